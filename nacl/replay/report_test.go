package replay

import (
	"net/netip"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// synth builds TCP packets of one conversation: the client 10.0.1.10:34372
// fetches from 192.0.2.80:80 (SYN, SYN-ACK, ACK, data, data back).
func synth() []capture.Packet {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c, s := netip.MustParseAddr("10.0.1.10"), netip.MustParseAddr("192.0.2.80")
	mk := func(i int, fromClient bool, flags uint8) capture.Packet {
		p := capture.Packet{File: 0, Frame: int64(i + 1), Time: t0.Add(time.Duration(i) * time.Second), Kind: capture.KindIP,
			Version: 4, Proto: capture.ProtoTCP, IPLen: 60, HasPorts: true, TCPFlags: flags}
		if fromClient {
			p.Src, p.Dst, p.SrcPort, p.DstPort = c, s, 34372, 80
		} else {
			p.Src, p.Dst, p.SrcPort, p.DstPort = s, c, 80, 34372
		}
		return p
	}
	ps := []capture.Packet{
		mk(0, true, capture.TCPSyn), mk(1, false, capture.TCPSyn|capture.TCPAck), mk(2, true, capture.TCPAck),
		mk(3, true, capture.TCPAck|capture.TCPPsh), mk(4, false, capture.TCPAck|capture.TCPPsh),
	}
	// A non-first fragment whose first fragment was not captured: no ports.
	frag := capture.Packet{Frame: 6, Time: t0.Add(5 * time.Second), Kind: capture.KindIP, Version: 4, Proto: capture.ProtoTCP,
		Src: s, Dst: c, IPLen: 1500, Fragment: true, FragOffset: 185}
	return append(ps, frag)
}

func replaySynth(t *testing.T, w Window) *Report {
	t.Helper()
	rec := NewRecorder(flows.DefaultConfig(), w)
	for _, p := range synth() {
		rec.Add(&p)
	}
	return BuildReport(mustJudge(t, simple(t, webACL(t), "10.0.1.10/32")), rec.Finish())
}

func TestReportResponseDenied(t *testing.T) {
	rep := replaySynth(t, Window{})
	if len(rep.Conversations) != 1 {
		t.Fatalf("%d conversations", len(rep.Conversations))
	}
	cr := rep.Conversations[0]
	if cr.Status != StatusResponseDenied || cr.Request.Allowed != 3 || cr.Response.Denied != 2 {
		t.Fatalf("status %s, request %+v, response %+v", cr.Status, cr.Request.Tally, cr.Response.Tally)
	}
	if cr.Response.FirstDeniedFrame.Frame != 2 || cr.Response.Checks[0].Rule != 130 {
		t.Errorf("first denied frame %d, rule %d", cr.Response.FirstDeniedFrame.Frame, cr.Response.Checks[0].Rule)
	}
	// One denial: the response leg's replies, by inbound rule 130, with the requests allowed.
	if len(cr.Denials) != 1 {
		t.Fatalf("denials %+v", cr.Denials)
	}
	if d := cr.Denials[0]; d.Role != RoleResponse || d.Check.Rule != 130 || d.Check.Direction != nacl.Ingress || d.RequestDenied || d.ICMPError || d.Uncertain() {
		t.Errorf("denial %+v", d)
	}
	if len(rep.Fixes) != 1 || rep.Fixes[0].Line != "in 125 allow tcp 192.0.2.80/32 32768-60999" || rep.Fixes[0].Profile != "linux" {
		t.Errorf("fixes %+v", rep.Fixes)
	}
	s := rep.Summary
	if s.Evaluated != 6 || s.Unattributed != 1 || s.Uncertain != 1 || s.Denied != 3 || s.Affected != 1 {
		t.Errorf("summary %+v", s)
	}
	if rep.Conversations[0].Response.Uncertain != 0 || rep.Unattributed[0].Judgement.Uncertain() == false {
		t.Errorf("the uncertain packet is not the unattributed fragment: %+v", rep.Unattributed)
	}
}

// When the requests are denied too, the response denial says so (its
// sentence must not claim that they leave).
func TestReportBothDeniedSentences(t *testing.T) {
	acl := webACL(t)
	var kept []nacl.Entry
	for _, e := range acl.Entries {
		if e.Direction == nacl.Egress && e.RuleNumber == 110 { // outbound 80: the request leg falls to the default rule
			continue
		}
		kept = append(kept, e)
	}
	acl.Entries = kept
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for _, p := range synth() {
		rec.Add(&p)
	}
	rep := BuildReport(mustJudge(t, simple(t, acl, "10.0.1.10/32")), rec.Finish())
	cr := rep.Conversations[0]
	if cr.Status != StatusBothDenied || len(cr.Denials) != 2 {
		t.Fatalf("status %s, denials %+v", cr.Status, cr.Denials)
	}
	if d := cr.Denials[0]; d.Role != RoleRequest || d.Check.Rule != nacl.DefaultRuleIPv4 || d.Check.Direction != nacl.Egress {
		t.Errorf("request denial %+v", d)
	}
	// The response denial knows the requests are denied as well.
	if d := cr.Denials[1]; d.Role != RoleResponse || d.Check.Rule != 130 || !d.RequestDenied {
		t.Errorf("response denial %+v", d)
	}
}

func TestReportWindow(t *testing.T) {
	since, _ := ParseTimeBound("+3s")
	rep := replaySynth(t, Window{Since: since})
	if rep.Summary.OutsideWindow != 3 || rep.Summary.Evaluated != 3 {
		t.Fatalf("outside %d, evaluated %d", rep.Summary.OutsideWindow, rep.Summary.Evaluated)
	}
	cr := rep.Conversations[0]
	// Roles come from the whole capture even though the SYN is outside the window.
	if cr.Request.Packets != 1 || cr.Response.Packets != 1 || cr.Conv.Client.Port != 34372 {
		t.Errorf("request %d, response %d packets, client %v", cr.Request.Packets, cr.Response.Packets, cr.Conv.Client)
	}
}

func TestCompare(t *testing.T) {
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for _, p := range synth() {
		rec.Add(&p)
	}
	recording := rec.Finish()
	oldRep := BuildReport(mustJudge(t, simple(t, webACL(t), "10.0.1.10/32")), recording)
	fixed := webACL(t)
	fixed.Entries = append(fixed.Entries, oldRep.Fixes[0].Entry)
	newRep := BuildReport(mustJudge(t, simple(t, fixed, "10.0.1.10/32")), recording)
	d, err := Compare(oldRep, newRep)
	if err != nil {
		t.Fatal(err)
	}
	if d.NewlyAllowed != 1 || d.NewlyDenied != 0 || d.PacketsNewlyAllowed != 2 || len(d.Changes) != 1 {
		t.Fatalf("diff %+v", d)
	}
	ch := d.Changes[0]
	if ch.Role != RoleResponse || ch.Kind != NewlyAllowed || ch.FirstFrame.Frame != 2 || ch.Old[0].Rule != 130 || ch.New[0].Rule != 125 {
		t.Errorf("change %+v", ch)
	}
	// Reversed: the same leg becomes denied.
	back, _ := Compare(newRep, oldRep)
	if back.NewlyDenied != 1 || back.Changes[0].Denial == nil || back.Changes[0].Denial.Role != RoleResponse {
		t.Errorf("reverse diff %+v", back)
	}
}

func TestDetectHost(t *testing.T) {
	ep := func(a string, p uint16) flows.Endpoint { return flows.Endpoint{Addr: netip.MustParseAddr(a), Port: p} }
	convs := []*flows.Conversation{
		{ID: 1, Client: ep("10.0.1.10", 40000), Server: ep("192.0.2.80", 80)},
		{ID: 2, Client: ep("198.51.100.1", 40000), Server: ep("10.0.1.10", 80)},
		{ID: 3, Client: ep("10.0.1.10", 40001), Server: ep("169.254.169.254", 80)},
		{ID: 4, Client: ep("10.0.1.9", 40001), Server: ep("224.0.0.251", 5353)},
	}
	h, n, ok := DetectHost(convs)
	if !ok || h.String() != "10.0.1.10" || n != 3 {
		t.Errorf("host %v in %d, ok %v", h, n, ok)
	}
	// Ties go to the lowest address.
	h, _, _ = DetectHost(convs[:1])
	if h.String() != "10.0.1.10" {
		t.Errorf("tie: %v", h)
	}
	if _, _, ok := DetectHost(nil); ok {
		t.Error("host detected without conversations")
	}
}
