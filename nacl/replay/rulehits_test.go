package replay

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// hitsFor returns the hit of rule n in direction d.
func hitsFor(t *testing.T, hits []RuleHit, d nacl.Direction, n int) RuleHit {
	t.Helper()
	for _, h := range hits {
		if h.Direction == d && h.Rule == n {
			return h
		}
	}
	t.Fatalf("no rule %v#%d in %d hits", d, n, len(hits))
	return RuleHit{}
}

// The seed scenario: per-rule packets, conversations, times and flags,
// from the summarizing pass, against a per-packet reference that judges
// every packet on its own.
func TestRuleHits(t *testing.T) {
	acl := webACL(t)
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 80)            // 1: replies denied by in#130
	g.tcp("ok", "10.0.1.10", 40001, "192.0.2.81", 80)            // 2: the same
	g.tcp("ok", "198.51.100.9", 50000, "10.0.1.10", 443)         // 3: allowed by in#120, out#130
	g.tcp("ok", "198.51.100.200", 50010, "10.0.1.10", 443)       // 4: the same
	g.pkt("10.0.1.10", "192.0.2.99", 8, 0, capture.ProtoICMP, 0) // 5: out default rule
	topo := simple(t, acl, "10.0.1.0/24")
	j := mustJudge(t, topo)
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	rep := Summarize(j, rec.Classify())

	// Reference: judge every packet, count per rule.
	type ref struct {
		pkts  uint64
		convs map[string]bool
	}
	want := map[[2]int]*ref{}
	for i := range g.ps {
		p := &g.ps[i]
		k := FromCapture(p)
		jd := j.Judge(&k)
		lo, hi := p.Src.String(), p.Dst.String()
		if hi < lo {
			lo, hi = hi, lo
		}
		for _, c := range jd.Checks[:jd.NCheck] {
			r := want[[2]int{int(c.Direction), c.Rule}]
			if r == nil {
				r = &ref{convs: map[string]bool{}}
				want[[2]int{int(c.Direction), c.Rule}] = r
			}
			r.pkts++
			r.convs[lo+hi] = true
		}
	}
	// 8 entries, and the default rule 32767 per direction (no IPv6).
	if len(rep.Rules) != 10 {
		t.Fatalf("%d rules, want 10: %+v", len(rep.Rules), rep.Rules)
	}
	for _, h := range rep.Rules {
		w := want[[2]int{int(h.Direction), h.Rule}]
		if w == nil {
			w = &ref{}
		}
		if h.Packets != w.pkts || h.Conversations != len(w.convs) {
			t.Errorf("%v#%d: %d packets in %d conversations, want %d in %d", h.Direction, h.Rule, h.Packets, h.Conversations, w.pkts, len(w.convs))
		}
		if never := slices.Contains(h.Flags, FlagNeverHit); never != (w.pkts == 0) {
			t.Errorf("%v#%d: flags %v with %d packets", h.Direction, h.Rule, h.Flags, w.pkts)
		}
	}
	in130 := hitsFor(t, rep.Rules, nacl.Ingress, 130)
	if !slices.Equal(in130.Flags, []RuleFlag{FlagDenyWithHits}) || in130.Conversations != 2 {
		t.Errorf("in#130: %+v", in130)
	}
	// The first reply of #1 is its SYN-ACK (packet 2), the last #2's data (packet 8).
	if !in130.First.Equal(g.ps[1].Time) || !in130.Last.Equal(g.ps[7].Time) {
		t.Errorf("in#130 first %v last %v, want %v %v", in130.First, in130.Last, g.ps[1].Time, g.ps[7].Time)
	}
	// out#130 allows 1024-65535; the replies went to 50000 and 50010 only.
	out130 := hitsFor(t, rep.Rules, nacl.Egress, 130)
	if !slices.Equal(out130.Flags, []RuleFlag{FlagAllowWiderThanUsed}) || out130.UsedPorts != (nacl.PortRange{From: 50000, To: 50010}) {
		t.Errorf("out#130: %+v", out130)
	}
	// in#120 allows exactly 443 from anywhere: not wider (a /0 is intent).
	if in120 := hitsFor(t, rep.Rules, nacl.Ingress, 120); len(in120.Flags) != 0 || in120.UsedPeers != netip.MustParsePrefix("198.51.100.0/24") {
		t.Errorf("in#120: %+v", in120)
	}
	if out := hitsFor(t, rep.Rules, nacl.Egress, nacl.DefaultRuleIPv4); out.Packets != 1 || !slices.Equal(out.Flags, []RuleFlag{FlagDenyWithHits}) {
		t.Errorf("out#32767: %+v", out)
	}
	if h := hitsFor(t, rep.Rules, nacl.Ingress, 100); !slices.Equal(h.Flags, []RuleFlag{FlagNeverHit}) || !h.First.IsZero() {
		t.Errorf("in#100: %+v", h)
	}
}

// A narrow allow CIDR used by part of its peers is wider than used.
func TestRuleHitsWiderPeers(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-x", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Allow, 6, "198.51.100.0/24", 22, 22),
		ent(t, "out", 100, nacl.Allow, -1, "0.0.0.0/0", 0, 0),
	}}
	g := newConvGen()
	g.tcp("ok", "198.51.100.9", 50000, "10.0.1.10", 22)
	g.tcp("ok", "198.51.100.10", 50001, "10.0.1.10", 22)
	rep := g.report(t, simple(t, acl, "10.0.1.0/24"), ReportOptions{})
	h := hitsFor(t, rep.Rules, nacl.Ingress, 100)
	if !h.WiderPeers() || h.WiderPorts() || h.UsedPeers != netip.MustParsePrefix("198.51.100.8/30") {
		t.Errorf("in#100: %+v", h)
	}
	// An all-protocols rule has no port range to be wider than.
	if o := hitsFor(t, rep.Rules, nacl.Egress, 100); o.WiderPorts() || len(o.Flags) != 0 {
		t.Errorf("out#100: %+v", o)
	}
}

func TestCommonPrefix(t *testing.T) {
	for _, c := range [][3]string{
		{"10.0.0.1", "10.0.0.1", "10.0.0.1/32"},
		{"10.0.0.0", "10.0.0.255", "10.0.0.0/24"},
		{"10.0.0.1", "10.128.0.0", "10.0.0.0/8"},
		{"0.0.0.0", "255.0.0.0", "0.0.0.0/0"},
		{"2001:db8::1", "2001:db8::2", "2001:db8::/126"},
	} {
		if got := commonPrefix(netip.MustParseAddr(c[0]), netip.MustParseAddr(c[1])); got.String() != c[2] {
			t.Errorf("%s..%s: %s, want %s", c[0], c[1], got, c[2])
		}
	}
	if commonPrefix(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::1")).IsValid() {
		t.Error("mixed families gave a prefix")
	}
}

// What broke, by rule then peer and service, agrees with the rule hits of
// the deny rules.
func TestBroke(t *testing.T) {
	g := newConvGen()
	g.tcp("ok", "10.0.1.10", 40000, "192.0.2.80", 80)
	g.tcp("ok", "10.0.1.10", 40001, "192.0.2.80", 80)
	g.tcp("ok", "10.0.1.10", 40002, "192.0.2.81", 443)
	g.pkt("10.0.1.10", "192.0.2.99", 8, 0, capture.ProtoICMP, 0)
	rep := g.report(t, simple(t, webACL(t), "10.0.1.0/24"), ReportOptions{})
	if len(rep.Broke) != 2 {
		t.Fatalf("%d rules: %+v", len(rep.Broke), rep.Broke)
	}
	b := rep.Broke[0]
	if b.Rule != 130 || b.Direction != nacl.Ingress || b.Conversations != 3 || b.Packets != 6 || len(b.Groups) != 2 {
		t.Fatalf("first: %+v", b)
	}
	g0, g1 := b.Groups[0], b.Groups[1]
	if g0.Peer.String() != "192.0.2.80" || g0.Port != 80 || g0.Role != RoleResponse || g0.Conversations != 2 || g0.Packets != 4 ||
		g1.Peer.String() != "192.0.2.81" || g1.Port != 443 || g1.Conversations != 1 {
		t.Errorf("groups: %+v", b.Groups)
	}
	if h := hitsFor(t, rep.Rules, nacl.Ingress, 130); h.Packets != b.Packets || !h.First.Equal(b.First) || !h.Last.Equal(b.Last) {
		t.Errorf("rule hit %+v disagrees with %+v", h, b)
	}
	if o := rep.Broke[1]; o.Rule != nacl.DefaultRuleIPv4 || o.Direction != nacl.Egress || o.Groups[0].Role != RoleRequest || o.Groups[0].HasPort {
		t.Errorf("second: %+v", o)
	}
}

// Services roll the peers up: distinct peers, conversations counted once.
func TestBrokeServices(t *testing.T) {
	g := newConvGen()
	for i := range 5 {
		g.pkt(fmt.Sprintf("198.51.100.%d", i+1), "10.0.1.10", uint16(40000+i), 514, capture.ProtoUDP, 0)
	}
	g.pkt("198.51.100.1", "10.0.1.10", 40100, 514, capture.ProtoUDP, 0)
	g.pkt("198.51.100.1", "10.0.1.10", 40101, 161, capture.ProtoUDP, 0)
	rep := g.report(t, simple(t, webACL(t), "10.0.1.0/24"), ReportOptions{})
	if len(rep.Broke) != 1 {
		t.Fatalf("%+v", rep.Broke)
	}
	sv := rep.Broke[0].Services
	if len(sv) != 2 || sv[0].Port != 514 || sv[0].Conversations != 6 || sv[0].Peers != 5 || sv[0].Packets != 6 || len(sv[0].TopPeers) != TopPeers ||
		sv[0].TopPeers[0].Peer.String() != "198.51.100.1" || sv[0].TopPeers[0].Conversations != 2 || sv[1].Port != 161 || sv[1].Peers != 1 {
		t.Errorf("services: %+v", sv)
	}
}

// A rule deciding only replies says so (its ports are ephemeral ports).
func TestRuleHitsRepliesOnly(t *testing.T) {
	g := newConvGen()
	g.tcp("ok", "198.51.100.9", 50000, "10.0.1.10", 443)
	rep := g.report(t, simple(t, webACL(t), "10.0.1.0/24"), ReportOptions{})
	if h := hitsFor(t, rep.Rules, nacl.Egress, 130); !h.RepliesOnly() || h.ResponsePackets != 2 {
		t.Errorf("out#130: %+v", h)
	}
	if h := hitsFor(t, rep.Rules, nacl.Ingress, 120); h.RepliesOnly() || h.ResponsePackets != 0 {
		t.Errorf("in#120: %+v", h)
	}
}

// keepTop keeps the first n groups of the full sort, whatever the order
// groups come in (many ties on conversations and packets).
func TestKeepTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var all []BrokeGroup
		for i := range 300 {
			all = append(all, BrokeGroup{Peer: netip.AddrFrom4([4]byte{192, 0, 2, byte(rng.IntN(8))}), Port: uint16(rng.IntN(3)), HasPort: rng.IntN(2) == 0,
				Role: []Role{RoleRequest, RoleResponse}[rng.IntN(2)], Conversations: rng.IntN(4), Packets: uint64(rng.IntN(3)), lastConv: i})
		}
		for _, n := range []int{1, TopPeers, BrokeGroups, 1000} {
			var top []BrokeGroup
			for i := range all {
				top = keepTop(top, &all[i], n)
			}
			want := slices.Clone(all)
			slices.SortStableFunc(want, func(x, y BrokeGroup) int { return compareGroups(&x, &y) })
			want = want[:min(n, len(want))]
			for i := range want {
				if compareGroups(&top[i], &want[i]) != 0 {
					t.Fatalf("round %d, n %d: group %d is %+v, want %+v", round, n, i, top[i], want[i])
				}
			}
			if len(top) != len(want) {
				t.Fatalf("round %d, n %d: %d groups, want %d", round, n, len(top), len(want))
			}
		}
	}
}

// A flood of denied peers: the rule keeps its BrokeGroups busiest groups,
// the service counts every peer and names the busiest three.
func TestBrokeFloodBounded(t *testing.T) {
	g := newConvGen()
	for i := range 200 {
		for range 1 + i%5 { // peers 4, 9, 14, ... have 5 conversations
			g.tcp("syn", fmt.Sprintf("198.51.%d.%d", i/250, i%250), uint16(40000+len(g.ps)), "10.0.1.10", 8443)
		}
	}
	rep := g.report(t, simple(t, webACL(t), "10.0.1.0/24"), ReportOptions{})
	if len(rep.Broke) != 1 {
		t.Fatalf("%d rules", len(rep.Broke))
	}
	b := rep.Broke[0]
	if len(b.Groups) != BrokeGroups || b.Groups[0].Conversations != 5 || b.Groups[0].Peer.String() != "198.51.0.4" || len(b.Services) != 1 {
		t.Fatalf("%d groups, first %+v", len(b.Groups), b.Groups[0])
	}
	sv := b.Services[0]
	if sv.Peers != 200 || sv.Conversations != 600 || len(sv.TopPeers) != TopPeers || sv.TopPeers[2].Peer.String() != "198.51.0.14" {
		t.Errorf("service: %d peers, %d conversations, top %+v", sv.Peers, sv.Conversations, sv.TopPeers)
	}
}
