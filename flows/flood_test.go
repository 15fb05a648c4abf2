package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// floodPackets returns n SYNs, each from its own source: n conversations.
func floodPackets(n int) []capture.Packet {
	ps := make([]capture.Packet, n)
	server := netip.AddrFrom4([4]byte{10, 0, 1, 10})
	for i := range ps {
		a := 0xc6336400 + uint32(i)
		ps[i] = capture.Packet{Frame: int64(i + 1), Time: t0.Add(time.Duration(i) * 20 * time.Microsecond), Kind: capture.KindIP,
			Version: 4, Proto: capture.ProtoTCP, IPLen: 60, HasPorts: true, TCPFlags: capture.TCPSyn, Seq: uint32(i) * 7919,
			Src: netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), Dst: server,
			SrcPort: 1024 + uint16(i%64000), DstPort: 443}
	}
	return ps
}

// BenchmarkFlood is the per-conversation cost of a SYN flood through the
// table: add (batched, as the commands do), classify, build every
// conversation. One op is one conversation.
func BenchmarkFlood(b *testing.B) {
	const n = 200_000
	ps := floodPackets(n)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		tb := NewTable(Config{})
		for i := 0; i < n; i += 256 {
			tb.AddAll(ps[i:min(i+256, n)])
		}
		cls := tb.Classify()
		states := 0
		if err := cls.Each(func(c *Conversation) error {
			if c.State == StateUnanswered {
				states++
			}
			return nil
		}); err != nil || states != n {
			b.Fatalf("%d unanswered of %d, %v", states, n, err)
		}
	}
}
