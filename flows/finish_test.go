package flows

import (
	"reflect"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
)

func TestPackedDecisionRoundTrip(t *testing.T) {
	for _, e := range evidenceCodes {
		for _, c := range confidenceCodes {
			for cl := uint8(0); cl < 2; cl++ {
				d := decision{client: cl, evidence: e, confidence: c}
				if got := pack(d).unpack(); got != d {
					t.Errorf("pack/unpack(%+v) = %+v", d, got)
				}
			}
		}
	}
	if len(evidenceCodes) > 16 || len(confidenceCodes) > 8 {
		t.Fatalf("codes no longer fit their bits: %d evidence, %d confidence", len(evidenceCodes), len(confidenceCodes))
	}
}

// TestClassifyEachMatchesFinish checks that streaming conversations one at
// a time yields exactly what Finish materialises.
func TestClassifyEachMatchesFinish(t *testing.T) {
	build := func() *Table {
		var q seq
		q.tcp(0, "198.51.100.7:40000", "10.0.1.10:443", capture.TCPSyn)
		q.tcp(time.Millisecond, "10.0.1.10:443", "198.51.100.7:40000", capture.TCPSyn|capture.TCPAck)
		q.data(2*time.Millisecond, "198.51.100.7:40000", "10.0.1.10:443", 300)
		q.udp(3*time.Millisecond, "10.0.1.10:53000", "192.0.2.53:53")
		q.udp(4*time.Millisecond, "192.0.2.53:53", "10.0.1.10:53000")
		q.icmp(5*time.Millisecond, "10.0.1.10", "192.0.2.80", 8, 7)
		q.udp(6*time.Millisecond, "203.0.113.9:5000", "10.0.1.10:41000")
		tb := NewTable(DefaultConfig())
		for _, p := range q.pkts {
			tb.Add(p)
		}
		return tb
	}
	want, wantSum := build().Finish()
	c := build().Classify()
	if c.Len() != len(want) || c.Len() != 4 {
		t.Fatalf("Len %d, Finish %d conversations, want 4", c.Len(), len(want))
	}
	var got []Conversation
	if err := c.Each(func(conv *Conversation) error { got = append(got, *conv); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], *want[i]) {
			t.Errorf("conversation %d: Each %+v, Finish %+v", i+1, got[i], *want[i])
		}
	}
	if !reflect.DeepEqual(c.Summary(), wantSum) {
		t.Errorf("summary %+v, want %+v", c.Summary(), wantSum)
	}
}

func TestClassifiedEndpointsAndClientSide(t *testing.T) {
	var q seq
	q.tcp(0, "10.0.1.10:443", "198.51.100.7:40000", capture.TCPSyn|capture.TCPAck) // server first: A is the server
	q.tcp(time.Millisecond, "198.51.100.7:40000", "10.0.1.10:443", capture.TCPAck)
	q.udp(2*time.Millisecond, "10.0.1.10:53000", "192.0.2.53:53")
	q.icmp(3*time.Millisecond, "10.0.1.10", "192.0.2.80", 8, 7)
	tb := NewTable(DefaultConfig())
	for _, p := range q.pkts {
		tb.Add(p)
	}
	c := tb.Classify()
	for id := 1; id <= c.Len(); id++ {
		var conv Conversation
		c.Conversation(id, &conv)
		proto, a, b := c.Endpoints(id)
		cl, sv := a, b
		if conv.ClientSide == SideB {
			cl, sv = b, a
		}
		if proto != conv.Proto || cl.Addr != conv.Client.Addr || sv.Addr != conv.Server.Addr ||
			(conv.HasPorts() && (cl.Port != conv.Client.Port || sv.Port != conv.Server.Port)) || c.ClientSide(id) != conv.ClientSide || c.State(id) != conv.State {
			t.Errorf("conversation %d: Endpoints %d %v %v, ClientSide %v; conversation %+v", id, proto, a, b, c.ClientSide(id), conv)
		}
	}
	var first Conversation
	c.Conversation(1, &first)
	if first.ClientSide != SideB {
		t.Errorf("conversation 1: client side %v, want B", first.ClientSide)
	}
}

// Finish classifies every conversation (client/server, evidence,
// confidence, profiles, final state) and returns them ordered by ID, with
// the summary. The table must not be used afterwards. For large captures
// prefer Classify and Each, which do not materialise every conversation.
// It is the tests' materialised reference (Classify and Each are the one
// production path).
func (t *Table) Finish() ([]*Conversation, Summary) {
	c := t.Classify()
	out := c.All()
	t.recs = store{}
	return out, c.sum
}
