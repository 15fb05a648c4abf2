package flowlog

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

func mkRec(eni, src string, sport uint16, dst string, dport uint16, proto uint8, start int64, flags int) *Record {
	r := &Record{InterfaceID: eni, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), SrcPort: sport, DstPort: dport,
		Proto: proto, Packets: 2, Bytes: 100, Start: start, End: start + 50, Action: ActionAccept}
	r.set(FieldSrcAddr)
	r.set(FieldDstAddr)
	r.set(FieldSrcPort)
	r.set(FieldDstPort)
	if flags >= 0 {
		r.TCPFlags = flags
		r.set(FieldTCPFlags)
	}
	return r
}

func TestPairerEvidence(t *testing.T) {
	var got []Conversation
	p := NewPairer(PairConfig{}, func(c *Conversation) { got = append(got, *c) })
	// 1: the server's SYN-ACK record comes first, then the client's SYN.
	id1, a1 := p.Add(mkRec("eni-1", "10.0.1.5", 8443, "10.0.0.9", 8444, 6, 100, 18))
	id1b, a1b := p.Add(mkRec("eni-1", "10.0.0.9", 8444, "10.0.1.5", 8443, 6, 101, 2))
	// 2: mid-connection records (flags 0): ports decide.
	id2, _ := p.Add(mkRec("eni-1", "10.0.1.5", 443, "198.51.100.7", 50000, 6, 100, 0))
	// 3: same 5-tuple on another interface is another conversation.
	id3, _ := p.Add(mkRec("eni-2", "10.0.1.5", 443, "198.51.100.7", 50000, 6, 100, 0))
	// 4: ICMP: first record.
	id4, _ := p.Add(mkRec("eni-1", "203.0.113.12", 0, "172.31.16.139", 0, 1, 100, -1))
	// 5: lone SYN-ACK: medium.
	id5, _ := p.Add(mkRec("eni-1", "10.0.1.5", 5000, "10.0.0.9", 6000, 6, 100, 19))
	// Same 5-tuple as 2 after the idle time: a new conversation.
	id6, _ := p.Add(mkRec("eni-1", "198.51.100.7", 50000, "10.0.1.5", 443, 6, 100+50+11*60+1, 0))
	if id1 != 1 || id1b != 1 || !a1 || a1b || id2 != 2 || id3 != 3 || id4 != 4 || id5 != 5 || id6 != 6 {
		t.Fatalf("ids %d %d %d %d %d %d %d, sides %v %v", id1, id1b, id2, id3, id4, id5, id6, a1, a1b)
	}
	p.Finish()
	if len(got) != 6 || p.Open() != 0 {
		t.Fatalf("%d conversations finished, %d open", len(got), p.Open())
	}
	want := map[int]Roles{
		1: {ClientIsA: false, Evidence: flows.EvidenceSYN, Confidence: flows.Certain},
		2: {ClientIsA: false, Evidence: flows.EvidenceServicePort, Confidence: flows.High},
		3: {ClientIsA: false, Evidence: flows.EvidenceServicePort, Confidence: flows.High},
		4: {ClientIsA: true, Evidence: EvidenceFirstRecord, Confidence: flows.Low},
		5: {ClientIsA: false, Evidence: flows.EvidenceSYNACK, Confidence: flows.Medium},
		6: {ClientIsA: true, Evidence: flows.EvidenceServicePort, Confidence: flows.High},
	}
	for id, w := range want {
		if r := p.Roles(id); r != w {
			t.Errorf("conversation %d: %+v, want %+v", id, r, w)
		}
	}
	if !p.Roles(4).Weak() || p.Roles(1).Weak() {
		t.Error("Weak")
	}
	if p.Roles(1).LegOf(true) != LegResponse || p.Roles(1).LegOf(false) != LegRequest {
		t.Error("LegOf")
	}
	for _, c := range got {
		if c.ID == 1 {
			if c.Client().Port != 8444 || c.Server().Port != 8443 || c.AtoB.Records != 1 || c.BtoA.Records != 1 || c.First != 100 || c.Last != 151 {
				t.Errorf("conversation 1: %+v", c)
			}
		}
	}
}
