package synth

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// recordMany records n TCP conversations (SYN, SYN-ACK, ACK, data back)
// between `clients` internet clients and the web server 10.0.1.10:443:
// the distinct (peer, service) pairs are bounded by clients, whatever n.
func recordMany(n, clients int) *replay.Recording {
	r := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	server := netip.AddrFrom4([4]byte{10, 0, 1, 10})
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var p capture.Packet
	for c := range n {
		k := c % clients
		client := netip.AddrFrom4([4]byte{198, 18 + byte(k>>16), byte(k >> 8), byte(k)})
		cport := uint16(32768 + (c/clients)%28000)
		for i, flags := range []uint8{capture.TCPSyn, capture.TCPSyn | capture.TCPAck, capture.TCPAck, capture.TCPAck | capture.TCPPsh} {
			p = capture.Packet{Frame: int64(c*4 + i + 1), Time: t0.Add(time.Duration(c*4+i) * time.Microsecond),
				Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP, IPLen: 60, HasPorts: true, TCPFlags: flags,
				Src: client, Dst: server, SrcPort: cport, DstPort: 443, Seq: uint32(c)}
			if i == 1 || i == 3 {
				p.Src, p.Dst, p.SrcPort, p.DstPort = p.Dst, p.Src, p.DstPort, p.SrcPort
			}
			r.Add(&p)
		}
	}
	return r.Classify()
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSynthMemoryPerConversation bounds what SynthesizeRecording and the
// self-check keep beyond the recording: with few distinct (peer, service)
// pairs it is about one byte per conversation (measured below 2 bytes;
// the old per-conversation observations and materialised conversations
// cost about 1 KB).
func TestSynthMemoryPerConversation(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 50_000
	}
	rec := recordMany(n, 500)
	base := heapAlloc()
	o := opts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	r, err := SynthesizeRecording(rec, o)
	if err != nil {
		t.Fatal(err)
	}
	cr := mustPass(t, r, o.Observations)
	after := heapAlloc()
	per := (float64(after) - float64(base)) / float64(n)
	t.Logf("%d conversations, 500 clients: %.1f bytes per conversation beyond the recording", n, per)
	if r.Used != n || cr.Packets != uint64(4*n) {
		t.Fatalf("used %d, replayed %d packets", r.Used, cr.Packets)
	}
	if per > 32 {
		t.Errorf("synth keeps %.1f bytes per conversation beyond the recording, want < 32", per)
	}
	runtime.KeepAlive(r)
	runtime.KeepAlive(rec)
}

func BenchmarkSynthesizeRecording(b *testing.B) {
	rec := recordMany(100_000, 20_000)
	o := opts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := SynthesizeRecording(rec, o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SelfCheck(r, o.Observations); err != nil {
			b.Fatal(err)
		}
	}
}
