package replay

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

// TestStreamPasses: AddStream records what Add on every packet records,
// and the packet pass over a second stream visits every IP packet once,
// in frame order, stopping at emit's first error.
func TestStreamPasses(t *testing.T) {
	path := pcaps.Path("webserver-2.pcap")
	open := func() *capture.Stream {
		s, err := capture.Open([]string{path}, capture.Options{})
		if err != nil {
			t.Skip(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	byStream := NewRecorder(flows.DefaultConfig(), Window{})
	if err := byStream.AddStream(open()); err != nil {
		t.Fatal(err)
	}
	byPacket := NewRecorder(flows.DefaultConfig(), Window{})
	s := open()
	var p capture.Packet
	for s.Next(&p) == nil {
		byPacket.Add(&p)
	}
	rec, ref := byStream.Classify(), byPacket.Classify()
	if rec.NumConversations() == 0 || rec.NumConversations() != ref.NumConversations() {
		t.Fatalf("AddStream: %d conversations, Add: %d", rec.NumConversations(), ref.NumConversations())
	}

	acl := &nacl.ACL{ID: "acl-none"}
	topo, err := SimpleTopology(acl, []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := mustJudge(t, topo)
	var frames []int64
	err = NewPacketPass(j, flows.DefaultConfig(), rec).Stream(open(), func(p *capture.Packet, _ PacketResult) error {
		frames = append(frames, p.Frame)
		return nil
	})
	if err != nil || len(frames) == 0 {
		t.Fatalf("pass: err %v, %d packets", err, len(frames))
	}
	for i := 1; i < len(frames); i++ {
		if frames[i] <= frames[i-1] {
			t.Fatalf("frames out of order: %v", frames)
		}
	}
	stop := errors.New("stop")
	n := 0
	err = NewPacketPass(j, flows.DefaultConfig(), rec).Stream(open(), func(*capture.Packet, PacketResult) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("emit error: got %v after %d packets, want it after 1", err, n)
	}
}
