package replay

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

// convGen builds synthetic conversations, each a few milliseconds after
// the previous one.
type convGen struct {
	t  time.Time
	ps []capture.Packet
}

func newConvGen() *convGen { return &convGen{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (g *convGen) pkt(src, dst string, sport, dport uint16, proto uint8, flags uint8) {
	g.t = g.t.Add(time.Millisecond)
	p := capture.Packet{Frame: int64(len(g.ps) + 1), Time: g.t, Kind: capture.KindIP, Version: 4, Proto: proto, IPLen: 60,
		Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst)}
	if proto == capture.ProtoICMP {
		p.HasICMP, p.ICMPType, p.ICMPID = true, uint8(sport), 7
	} else {
		p.HasPorts, p.SrcPort, p.DstPort, p.TCPFlags = true, sport, dport, flags
	}
	g.ps = append(g.ps, p)
}

// tcp adds a TCP conversation: "ok" (handshake and data), "rst" (SYN
// answered by RST), "syn" (SYN never answered).
func (g *convGen) tcp(kind, client string, cport uint16, server string, sport uint16) {
	g.pkt(client, server, cport, sport, capture.ProtoTCP, capture.TCPSyn)
	switch kind {
	case "ok":
		g.pkt(server, client, sport, cport, capture.ProtoTCP, capture.TCPSyn|capture.TCPAck)
		g.pkt(client, server, cport, sport, capture.ProtoTCP, capture.TCPAck)
		g.pkt(server, client, sport, cport, capture.ProtoTCP, capture.TCPAck|capture.TCPPsh)
	case "rst":
		g.pkt(server, client, sport, cport, capture.ProtoTCP, capture.TCPRst|capture.TCPAck)
	}
}

func (g *convGen) report(t *testing.T, topo *Topology, o ReportOptions) *Report {
	t.Helper()
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	return BuildReportWith(mustJudge(t, topo), rec.Finish(), o)
}

func classOf(t *testing.T, r *Report, id int) Classification {
	t.Helper()
	for _, cr := range r.Conversations {
		if cr.Conv.ID == id {
			return cr.Class
		}
	}
	t.Fatalf("no conversation #%d", id)
	return Classification{}
}

func TestIsTargeted(t *testing.T) {
	a, d := nacl.Allow, nacl.Deny
	icmp := ent(t, "in", 1, d, 1, "0.0.0.0/0", 0, 0)
	icmp.ICMPType = 8
	for _, c := range []struct {
		e    nacl.Entry
		want bool
	}{
		{ent(t, "in", 1, d, 6, "0.0.0.0/0", 1024, 65535), false}, // the seed's wide deny
		{ent(t, "in", 1, d, 6, "0.0.0.0/0", 0, 1023), false},     // 1024 ports: still a range
		{ent(t, "in", 1, d, -1, "0.0.0.0/0", 0, 0), false},       // deny all
		{ent(t, "in", 1, d, 6, "0.0.0.0/0", 5432, 5432), true},   // names the port
		{ent(t, "in", 1, d, 6, "0.0.0.0/0", 6000, 6999), true},   // 1000 ports: a service range
		{ent(t, "in", 1, d, -1, "203.0.113.0/24", 0, 0), true},   // names the peer
		{ent(t, "in", 1, d, 47, "0.0.0.0/0", 0, 0), true},        // names GRE
		{icmp, true},
		{ent(t, "in", 1, a, 6, "10.0.0.0/8", 22, 22), false}, // an allow is never a reason to deny
	} {
		if got, names := IsTargeted(&c.e); got != c.want || got == (names == "") {
			t.Errorf("%s: %v %q, want %v", ruleLine(&c.e), got, names, c.want)
		}
	}
}

// Every cause on one capture, against the seed ACL plus an explicit deny
// of port 5432.
func TestClassifyCauses(t *testing.T) {
	acl := webACL(t)
	acl.Entries = append(acl.Entries, ent(t, "in", 90, nacl.Deny, 6, "0.0.0.0/0", 5432, 5432))
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 80)      // 1: replies denied by the wide deny: breakage
	g.tcp("ok", "198.51.100.9", 50000, "10.0.1.10", 5432)  // 2: explicit deny of 5432: intended
	g.tcp("rst", "198.51.100.9", 50001, "10.0.1.10", 8080) // 3: refused
	g.tcp("syn", "198.51.100.9", 50002, "10.0.1.10", 8081) // 4: unanswered
	g.pkt("10.0.1.10", "192.0.2.99", 0, 0, capture.ProtoICMP, 0)
	g.pkt("192.0.2.99", "10.0.1.10", 0, 0, capture.ProtoICMP, 0) // 5: ping answered, default rule: breakage
	g.pkt("10.0.1.10", "192.0.2.98", 8, 0, capture.ProtoICMP, 0) // 6: ping never answered
	g.pkt("10.0.1.10", "192.0.2.97", 40001, 514, capture.ProtoUDP, 0)
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	want := map[int]string{1: "breakage: handshake-completed", 2: "intended: explicit-deny", 3: "intended: refused",
		4: "intended: unanswered", 6: "intended: unanswered", 7: "unclear: one-way"}
	for id, w := range want {
		if got := classOf(t, rep, id); got.String() != w {
			t.Errorf("#%d: %s, want %s", id, got, w)
		}
	}
	if c := classOf(t, rep, 2); c.Rule() != 90 || c.Names != TargetPort {
		t.Errorf("explicit deny: rule %d, names %q", c.Rule(), c.Names)
	}
	// Only the breakage gets fixes; the others are listed by class.
	for _, f := range rep.Fixes {
		if !slices.Equal(f.Conversations, []int{1}) && !slices.Equal(f.Conversations, []int{5}) {
			t.Errorf("fix %s for %v: only #1 and #5 are breakage", f.Line, f.Conversations)
		}
	}
	if rep.Classes[ClassBreakage] != 2 || rep.Classes[ClassIntended] != 4 || rep.Classes[ClassUnclear] != 1 {
		t.Errorf("classes %v", rep.Classes)
	}
	var groups []string
	for _, g := range rep.Unfixed {
		groups = append(groups, fmt.Sprintf("%s:%s%v", g.Class, g.Cause, g.Conversations))
	}
	if w := "intended:explicit-deny[2] intended:refused[3] intended:unanswered[4 6] unclear:one-way[7]"; strings.Join(groups, " ") != w {
		t.Errorf("unfixed %q, want %q", groups, w)
	}
	if !rep.Proof.Passed || !slices.Equal(rep.Proof.Fixed, []int{1, 5}) {
		t.Errorf("proof %+v", rep.Proof)
	}
	// --fix-all fixes the rest too, and the proof then expects them allowed.
	all := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{FixAll: true})
	if len(all.Unfixed) != 0 || !all.Proof.Passed || len(all.Proof.Fixed) != 7 {
		t.Errorf("fix-all: unfixed %v, proof %+v", all.Unfixed, all.Proof)
	}
}

// A client that was refused on many ports is a scanner: even its
// conversations that worked are intended.
func TestClassifyScan(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	for p := uint16(0); p < ScanMinTargets; p++ {
		g.tcp("rst", "203.0.113.66", 40000+p, "10.0.1.10", 2000+p)
	}
	g.tcp("ok", "203.0.113.66", 41000, "10.0.1.10", 8443) // worked, denied by the wide deny
	g.tcp("ok", "10.0.1.10", 42000, "192.0.2.80", 80)
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	if c := classOf(t, rep, ScanMinTargets+1); c.String() != "intended: scan" {
		t.Errorf("scanner's open port: %s", c)
	}
	if c := classOf(t, rep, ScanMinTargets+2); c.Class != ClassBreakage {
		t.Errorf("ordinary download: %s", c)
	}
	for _, f := range rep.Fixes {
		if strings.Contains(f.Line, "203.0.113.66") {
			t.Errorf("a fix opens to the scanner: %s", f.Line)
		}
	}
}

// Thirty clients each fetched from a different mirror: thirty response
// rules do not fit the quota, so they are merged until they fit, but
// never over a refused connection (a guarded packet) in between.
func TestChangeSetQuotaMergesAroundGuards(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	for i := 0; i < 30; i++ {
		g.tcp("ok", "10.0.1.10", uint16(40000+i), fmt.Sprintf("198.51.100.%d", 4*i+1), 443)
	}
	g.tcp("rst", "198.51.100.62", 50000, "10.0.1.10", 45000) // refused, in the middle of the mirrors
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	if len(rep.ChangeSets) != 1 {
		t.Fatalf("change sets %+v", rep.ChangeSets)
	}
	cs := rep.ChangeSets[0]
	q := cs.Quota[0]
	if q.Direction != nacl.Ingress || q.Before != 5 || q.After != QuotaDefault || !q.Fits || len(cs.Merges) == 0 || len(cs.Problems) != 0 {
		t.Errorf("quota %+v, %d merges, problems %+v", q, len(cs.Merges), cs.Problems)
	}
	guard := tcpPkt("198.51.100.62", "10.0.1.10", 45000)
	for _, f := range rep.Fixes {
		ev := nacl.Compile(&nacl.ACL{Entries: []nacl.Entry{f.Entry}})
		if ev.Evaluate(nacl.Ingress, &guard).Entry == 0 {
			t.Errorf("fix %s lets the refused connection through", f.Line)
		}
	}
	if !rep.Proof.Passed || len(rep.Proof.Fixed) != 30 || len(rep.Proof.Opened) != 0 {
		t.Errorf("proof %+v", rep.Proof)
	}
}

// When every merge would open a refused connection, the change set says
// exactly why it does not fit and what quota it needs, and the proof fails.
func TestChangeSetQuotaCannotFit(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	for i := 0; i < 30; i++ {
		g.tcp("ok", "10.0.1.10", uint16(40000+i), fmt.Sprintf("198.51.100.%d", 4*i+1), 443)
		g.tcp("rst", fmt.Sprintf("198.51.100.%d", 4*i+2), 50000, "10.0.1.10", uint16(40000+i))
		g.tcp("rst", fmt.Sprintf("198.51.100.%d", 4*i), 50000, "10.0.1.10", uint16(40000+i))
	}
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	cs := rep.ChangeSets[0]
	if q := cs.Quota[0]; q.After != 35 || q.Fits || q.Increase != 35 {
		t.Errorf("quota %+v", q)
	}
	if len(cs.Problems) != 1 || cs.Problems[0].Kind != ProblemOverQuota || cs.Problems[0].Quota.After != 35 || cs.Problems[0].Blocked == 0 || cs.Problems[0].Cause != CauseRefused {
		t.Errorf("problems %+v", cs.Problems)
	}
	if rep.Proof.Passed || len(rep.Proof.Problems) != 1 || len(rep.Proof.Opened) != 0 {
		t.Errorf("proof %+v", rep.Proof)
	}
}

// The proof catches a change set that lets an intended conversation
// through or leaves breakage denied.
func TestProofCatchesBadChangeSet(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 80)
	g.tcp("rst", "192.0.2.80", 50000, "10.0.1.10", 45000)
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	if !rep.Proof.Passed {
		t.Fatalf("proof %+v", rep.Proof)
	}
	// Widen the fix to every port: it now lets the refused SYN in.
	cs := &rep.ChangeSets[0]
	for i := range cs.Patched.Entries {
		if e := &cs.Patched.Entries[i]; e.RuleNumber == 125 {
			e.Ports = nacl.PortRange{From: 0, To: 65535}
		}
	}
	j := mustJudge(t, simple(t, acl, "10.0.1.0/24"))
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	rg := rec.Finish()
	classes := map[int]Class{1: ClassBreakage, 2: ClassIntended}
	pf := rep.prove(j, rg, func(id int) bool { return id <= 2 }, func(id int) Class { return classes[id] }, rep.toFix)
	if pf.Passed || !slices.Equal(pf.Opened, []int{2}) {
		t.Errorf("widened fix: proof %+v, want #2 opened", pf)
	}
	// Drop the fix: the breakage stays denied.
	cs.Patched = cloneACL(acl)
	pf = rep.prove(j, rg, func(id int) bool { return id <= 2 }, func(id int) Class { return classes[id] }, rep.toFix)
	if pf.Passed || !slices.Equal(pf.StillDenied, []int{1}) {
		t.Errorf("no fix: proof %+v, want #1 still denied", pf)
	}
}

// A fix that makes an ACL rule unreachable is reported by the proof's lint.
func TestNewLintFindings(t *testing.T) {
	acl := webACL(t)
	p := cloneACL(acl)
	p.Entries = append(p.Entries, ent(t, "in", 125, nacl.Allow, 6, "0.0.0.0/0", 1024, 65535))
	got := newLintFindings(acl, p)
	if len(got) != 1 || got[0].Finding.Rule != 130 || got[0].Finding.Code != lint.CodeUnreachable || got[0].ACL != p.ID {
		t.Errorf("lint %+v", got)
	}
	if got := newLintFindings(acl, cloneACL(acl)); len(got) != 0 {
		t.Errorf("unchanged ACL: %+v", got)
	}
}

// The held-out check: rules learned from the first 80% of the capture
// carry over to the later downloads (new client ports in the same
// ephemeral range), and say so when they do not (a new mirror).
func TestHeldOut(t *testing.T) {
	g := newConvGen()
	for i := 0; i < 8; i++ {
		g.tcp("ok", "10.0.1.10", uint16(40000+i*100), "192.0.2.80", 443)
	}
	g.tcp("ok", "10.0.1.10", 50000, "192.0.2.80", 443)
	g.tcp("ok", "10.0.1.10", 50100, "192.0.2.99", 443) // a mirror never seen before
	rep := g.report(t, simple(t, webACL(t), "10.0.1.0/24"), ReportOptions{})
	h := rep.Proof.HeldOut
	if h == nil || h.Learned != 8 || h.Tested != 2 || !slices.Equal(h.Fixed, []int{9}) || len(h.Opened) != 0 {
		t.Fatalf("held out %+v", h)
	}
	if !rep.Proof.Passed {
		t.Errorf("the held-out estimate must not decide the proof: %+v", rep.Proof)
	}
}

// NoFixes (diff) judges the same but makes no classes, fixes or proof.
func TestReportNoFixes(t *testing.T) {
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 80)
	g.tcp("rst", "198.51.100.9", 50001, "10.0.1.10", 8080)
	topo := simple(t, webACL(t), "10.0.1.0/24")
	full := g.report(t, topo, ReportOptions{})
	bare := g.report(t, topo, ReportOptions{NoFixes: true})
	if bare.Summary.Affected != full.Summary.Affected || bare.Summary.Denied != full.Summary.Denied || full.Summary.Affected != 2 {
		t.Errorf("summaries differ: %+v vs %+v", bare.Summary, full.Summary)
	}
	if len(bare.Fixes)+len(bare.ChangeSets)+len(bare.Unfixed) != 0 || bare.Proof.Checked || len(bare.Classes) != 0 {
		t.Errorf("NoFixes report has fixes or classes: %+v", bare)
	}
	if len(full.Fixes) == 0 || full.Classes[ClassBreakage] != 1 {
		t.Errorf("full report: fixes %d, classes %v", len(full.Fixes), full.Classes)
	}
}

// No free number below the blocking rule: the change set says so and the
// proof fails (nothing can be applied as it stands).
func TestChangeSetNoRuleNumber(t *testing.T) {
	a, d := nacl.Allow, nacl.Deny
	acl := &nacl.ACL{ID: "acl-tight", Entries: []nacl.Entry{
		ent(t, "in", 1, a, 6, "0.0.0.0/0", 22, 22),
		ent(t, "in", 2, d, 6, "0.0.0.0/0", 1024, 65535),
		ent(t, "out", 100, a, -1, "0.0.0.0/0", 0, 0),
	}}
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 443)
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	if len(rep.ChangeSets) != 1 || len(rep.ChangeSets[0].Problems) != 1 || rep.ChangeSets[0].Problems[0].Kind != ProblemNoRuleNumber || rep.ChangeSets[0].Problems[0].Line != "in ? allow tcp 192.0.2.80/32 32768-60999" {
		t.Fatalf("change sets %+v", rep.ChangeSets)
	}
	if rep.Proof.Passed || !slices.Equal(rep.Proof.StillDenied, []int{1}) {
		t.Errorf("proof %+v", rep.Proof)
	}
}

// A broken service reached from more than PublicPeers public peers gets
// one rule naming 0.0.0.0/0 (tomorrow's peers are other addresses); an
// administrative port (Telnet, 23) reached the same way keeps its
// observed peers; so do private peers.
func TestFixPublicServiceWidens(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	for i := 0; i < 12; i++ {
		g.tcp("ok", fmt.Sprintf("203.0.%d.7", 113+i), uint16(40000+i), "10.0.1.10", 25)
		g.tcp("ok", fmt.Sprintf("198.51.%d.9", 100+i), uint16(41000+i), "10.0.1.10", 23)
		g.tcp("ok", fmt.Sprintf("10.9.%d.5", i), uint16(42000+i), "10.0.1.10", 21)
	}
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	var smtp, telnet, ftp []string
	for _, f := range rep.Fixes {
		if f.Direction != nacl.Ingress {
			continue
		}
		switch f.Entry.Ports.From {
		case 25:
			smtp = append(smtp, f.Entry.CIDR.String())
		case 23:
			telnet = append(telnet, f.Entry.CIDR.String())
		case 21:
			ftp = append(ftp, f.Entry.CIDR.String())
		}
	}
	if len(smtp) != 1 || smtp[0] != "0.0.0.0/0" {
		t.Errorf("smtp fixes %v, want one 0.0.0.0/0", smtp)
	}
	if len(telnet) == 0 || slices.Contains(telnet, "0.0.0.0/0") {
		t.Errorf("telnet fixes %v, want the observed peers", telnet)
	}
	if len(ftp) == 0 || slices.Contains(ftp, "0.0.0.0/0") {
		t.Errorf("ftp (private peers) fixes %v, want the observed peers", ftp)
	}
	if !rep.Proof.Passed {
		t.Errorf("proof %+v", rep.Proof)
	}
}

// detectScannersRef is the one-pass definition of DetectScanners: one set
// of every never-worked (client, target) pair.
func detectScannersRef(rec *Recording) Scanners {
	type target struct {
		client netip.Addr
		server netip.AddrPort
	}
	seen := map[target]bool{}
	count := map[netip.Addr]int{}
	eachNeverWorked(rec, func(cl netip.Addr, sv netip.AddrPort) {
		if !seen[target{cl, sv}] {
			seen[target{cl, sv}] = true
			count[cl]++
		}
	})
	out := Scanners{}
	for a, n := range count {
		if n >= ScanMinTargets {
			out[a] = n
		}
	}
	return out
}

// A client with enough never-worked conversations but too few distinct
// targets passes the first count of DetectScanners and must still not be
// a scanner; the laziness must not change who is one.
func TestDetectScannersTwoPass(t *testing.T) {
	g := newConvGen()
	for p := uint16(0); p < ScanMinTargets+2; p++ {
		g.tcp("rst", "203.0.113.66", 40000+p, "10.0.1.10", 2000+p)                    // 12 targets
		g.tcp("syn", "203.0.113.77", 40000+p, "10.0.1.10", 3000+p%(ScanMinTargets-1)) // 12 conversations, 9 targets
		if p < ScanMinTargets-1 {
			g.tcp("syn", "203.0.113.88", 40000+p, "10.0.1.11", 22+p) // 9 targets
		}
		g.tcp("ok", "203.0.113.99", 40000+p, "10.0.1.10", 4000+p) // worked
	}
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	r := rec.Classify()
	got, want := DetectScanners(r), detectScannersRef(r)
	if len(got) != 1 || got[netip.MustParseAddr("203.0.113.66")] != ScanMinTargets+2 {
		t.Errorf("DetectScanners = %v, want only 203.0.113.66 with %d targets", got, ScanMinTargets+2)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DetectScanners = %v, reference %v", got, want)
	}
}

// The scanners are detected only when a denied conversation that worked
// is classified: an allow-all report (a flood judged by an open ACL)
// never pays for them, the scan scenario does.
func TestScannersLazy(t *testing.T) {
	g := newConvGen()
	for p := uint16(0); p < ScanMinTargets; p++ {
		g.tcp("rst", "203.0.113.66", 40000+p, "10.0.1.10", 2000+p)
	}
	g.tcp("ok", "203.0.113.66", 41000, "10.0.1.10", 8443)
	a := nacl.Allow
	open := &nacl.ACL{ID: "acl-open", Entries: []nacl.Entry{ent(t, "in", 100, a, -1, "0.0.0.0/0", 0, 0), ent(t, "out", 100, a, -1, "0.0.0.0/0", 0, 0)}}
	for _, tc := range []struct {
		acl  *nacl.ACL
		want bool
	}{{open, false}, {webACL(t), true}} {
		rec := NewRecorder(flows.DefaultConfig(), Window{})
		for i := range g.ps {
			rec.Add(&g.ps[i])
		}
		rep := Summarize(mustJudge(t, simple(t, tc.acl, "10.0.1.0/24")), rec.Classify())
		if err := rep.EachConversation(func(*ConvResult) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if done := rep.lazy.scanners.done; done != tc.want {
			t.Errorf("%s: scanners detected = %v, want %v", tc.acl.ID, done, tc.want)
		}
		if tc.want && rep.Classes[ClassIntended] == 0 {
			t.Errorf("%s: the scanner's open port is not intended: %v", tc.acl.ID, rep.Classes)
		}
	}
}
