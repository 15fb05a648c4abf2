package replay

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/pcaps"
)

// openWindow is a window that holds every packet: it makes the recorder
// count implied keys itself (sideStore) instead of deriving them from the
// conversation table, the reference of the derived counters.
var openWindow = Window{Until: TimeBound{Set: true, Abs: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}}

// sameKeys records ps with and without a sideStore, materialised (Finish)
// and not (Classify), and compares every conversation's keys.
func sameKeys(t *testing.T, name string, ps []capture.Packet) {
	t.Helper()
	record := func(w Window) *Recorder {
		r := NewRecorder(flows.DefaultConfig(), w)
		for i := range ps {
			r.Add(&ps[i])
		}
		return r
	}
	ref := record(openWindow).Classify()
	if ref.sides == nil {
		t.Fatal("the reference has no sideStore")
	}
	for _, got := range []*Recording{record(Window{}).Classify(), record(Window{}).Finish()} {
		if got.sides != nil {
			t.Fatal("no window, yet a sideStore")
		}
		if got.NumConversations() != ref.NumConversations() {
			t.Fatalf("%s: %d conversations, reference %d", name, got.NumConversations(), ref.NumConversations())
		}
		for id := 1; id <= ref.NumConversations(); id++ {
			for _, s := range []flows.Side{flows.SideA, flows.SideB} {
				if g, w := got.Keys(id, s), ref.Keys(id, s); !reflect.DeepEqual(g, w) {
					t.Fatalf("%s: conversation %d side %d:\n got %+v\nwant %+v", name, id, s, g, w)
				}
			}
		}
	}
}

// readPackets reads every packet of a capture file.
func readPackets(t *testing.T, path string) []capture.Packet {
	t.Helper()
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []capture.Packet
	var p capture.Packet
	for s.Next(&p) == nil {
		out = append(out, p)
	}
	return out
}

// TestDerivedCounters: the implied keys' counters derived from the
// conversation table equal those counted packet by packet, on every
// sample and crafted capture, and on packets made to disagree with the
// table (ICMP errors and fragments first, other ICMP types, zero and
// pre-1678 times, negative lengths).
func TestDerivedCounters(t *testing.T) {
	for _, s := range pcaps.Samples {
		sameKeys(t, s.File, readPackets(t, pcaps.Path(s.File)))
	}
	crafted, _ := filepath.Glob(filepath.Join(pcaps.Dir(), "crafted", "*.pcap"))
	if len(crafted) == 0 {
		t.Fatal("no crafted captures")
	}
	for _, f := range crafted {
		sameKeys(t, filepath.Base(f), readPackets(t, f))
	}
	if _, err := os.Stat(pcaps.Dir()); err != nil {
		t.Fatal(err)
	}

	c, srv := netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("192.0.2.9")
	t1 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tcp := func(i int, src, dst netip.Addr, sp, dp uint16, flags uint8, ipLen int, at time.Time) capture.Packet {
		return capture.Packet{Frame: int64(i), Time: at, Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP,
			IPLen: ipLen, HasPorts: true, TCPFlags: flags, Src: src, Dst: dst, SrcPort: sp, DstPort: dp}
	}
	syn := tcp(1, c, srv, 40000, 443, capture.TCPSyn, 60, t1)
	// An ICMP error quoting the SYN comes back before the SYN-ACK: the
	// table's first packet of that side is not the implied key's.
	unreach := capture.Packet{Frame: 2, Time: t1.Add(time.Millisecond), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoICMP,
		IPLen: 56, HasICMP: true, ICMPType: 3, ICMPCode: 4, Src: srv, Dst: c,
		Quote: capture.Quote{Valid: true, Proto: capture.ProtoTCP, Src: c, Dst: srv, SrcPort: 40000, DstPort: 443, HasPorts: true}}
	synack := tcp(3, srv, c, 443, 40000, capture.TCPSyn|capture.TCPAck, -5, t1.Add(2*time.Millisecond))
	ack := tcp(4, c, srv, 40000, 443, capture.TCPAck, 52, t1.Add(3*time.Millisecond))
	frag := capture.Packet{Frame: 5, Time: t1.Add(4 * time.Millisecond), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP,
		IPLen: 1500, Fragment: true, FragOffset: 185, Src: c, Dst: srv}
	// A conversation whose first packet has the zero time, one before 1678.
	zero := tcp(6, c, srv, 40001, 443, capture.TCPSyn, 60, time.Time{})
	old := tcp(7, srv, c, 443, 40001, capture.TCPSyn|capture.TCPAck, 60, time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC))
	// Echo: the reply side's first packet is another ICMP type.
	echo := capture.Packet{Frame: 8, Time: t1.Add(5 * time.Millisecond), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoICMP,
		IPLen: 84, HasICMP: true, ICMPType: 8, ICMPID: 7, Src: c, Dst: srv}
	reply := echo
	reply.Frame, reply.Src, reply.Dst, reply.ICMPType = 9, srv, c, 0
	other := reply
	other.Frame, other.ICMPType, other.ICMPCode = 10, 5, 1
	sameKeys(t, "crafted packets", []capture.Packet{syn, unreach, synack, ack, frag, ack, zero, old, echo, reply, other, echo, reply})
}
