package capgen

import (
	"bytes"
	"io"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// TestGeneratedCaptureReadsBack checks that the generator writes a valid
// capture whose packets and conversations the reader and the table find.
func TestGeneratedCaptureReadsBack(t *testing.T) {
	var buf bytes.Buffer
	cfg := Config{Bytes: 4 << 20, Concurrent: 200, Seed: 7}
	st, err := Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(buf.Len()) || st.Packets == 0 {
		t.Fatalf("stats %+v, buffer %d bytes", st, buf.Len())
	}
	s, err := capture.OpenReaders([]string{"gen.pcap"}, []io.Reader{bytes.NewReader(buf.Bytes())}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tb := flows.NewTable(flows.DefaultConfig())
	var p capture.Packet
	var n, v6 int64
	for s.Next(&p) == nil {
		if p.Kind != capture.KindIP || p.Truncated {
			t.Fatalf("frame %d: kind %v truncated %v reason %q", p.Frame, p.Kind, p.Truncated, p.Reason)
		}
		if p.Version == 6 {
			v6++
		}
		tb.Add(&p)
		n++
	}
	if !s.Complete() || len(s.Problems()) != 0 {
		t.Fatalf("problems: %v", s.Problems())
	}
	if n != st.Packets {
		t.Errorf("read %d packets, generated %d", n, st.Packets)
	}
	if v6 < n/20 || v6 > n/5 {
		t.Errorf("%d of %d packets are IPv6, want about a tenth", v6, n)
	}
	cls := tb.Classify()
	convs, sum := cls.All(), cls.Summary()
	// Conversations replaced at the very end may have sent nothing.
	if got := int64(len(convs)); got > st.Conversations || got < st.Conversations-int64(cfg.Concurrent) {
		t.Errorf("%d conversations, generator started %d (%d at once)", got, st.Conversations, cfg.Concurrent)
	}
	for _, proto := range []string{"tcp", "udp", "icmp"} {
		if sum.ConversationsByProto[proto] == 0 {
			t.Errorf("no %s conversations: %v", proto, sum.ConversationsByProto)
		}
	}
	states := map[flows.State]int{}
	for _, c := range convs {
		states[c.State]++
	}
	for _, st := range []flows.State{flows.StateClosedFIN, flows.StateClosedRST, flows.StateRejected, flows.StateUnanswered, flows.StateTwoWay, flows.StateOneWay} {
		if states[st] == 0 {
			t.Errorf("no %s conversations: %v", st, states)
		}
	}
	var again bytes.Buffer
	if _, err := Write(&again, cfg); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("same seed gave a different capture (err %v)", err)
	}
}

// TestFlood: every SYN of the flood is a conversation of its own, unanswered.
func TestFlood(t *testing.T) {
	var buf bytes.Buffer
	st, err := Write(&buf, Config{Flood: 3000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Packets != 3000 || st.Conversations != 3000 || st.Bytes != int64(buf.Len()) {
		t.Fatalf("stats %+v, buffer %d bytes", st, buf.Len())
	}
	s, err := capture.OpenReaders([]string{"flood.pcap"}, []io.Reader{bytes.NewReader(buf.Bytes())}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tb := flows.NewTable(flows.DefaultConfig())
	var p capture.Packet
	for s.Next(&p) == nil {
		if p.Kind != capture.KindIP || p.TCPFlags != capture.TCPSyn || p.DstPort != 443 {
			t.Fatalf("frame %d: %+v", p.Frame, p)
		}
		tb.Add(&p)
	}
	convs := tb.Classify().All()
	if len(convs) != 3000 {
		t.Fatalf("%d conversations, want 3000", len(convs))
	}
	for _, c := range convs {
		if c.State != flows.StateUnanswered || c.Server.Port != 443 || c.ToServer.Packets != 1 {
			t.Fatalf("conversation %+v", c)
		}
	}
}
