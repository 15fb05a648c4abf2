package lint

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// bigACL returns n inbound IPv4 rules of one of the shapes hostile
// inputs take: disjoint host/port allows, alternating allow/deny ports on
// 0.0.0.0/0 (every other rule hidden behind an earlier duplicate range),
// and overlapping /16 x port windows.
func bigACL(n, shape int) *nacl.ACL {
	acl := &nacl.ACL{ID: "acl-big"}
	for i := range n {
		e := nacl.Entry{RuleNumber: i + 1, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: nacl.ProtoTCP, ICMPType: -1, ICMPCode: -1}
		switch shape {
		case 0:
			e.CIDR = netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.%d/32", i>>16, (i>>8)&255, i&255))
			e.Ports = nacl.PortRange{From: uint16(1000 + i%60000), To: uint16(1000 + i%60000)}
		case 1:
			e.CIDR = netip.MustParsePrefix("0.0.0.0/0")
			e.Ports = nacl.PortRange{From: uint16(1 + i/2), To: uint16(1 + i/2)}
			e.Action = nacl.Action(i % 2)
		default:
			e.CIDR = netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", i%200))
			e.Ports = nacl.PortRange{From: uint16(i), To: uint16(i + 1000)}
			e.Action = nacl.Action(i % 2)
		}
		acl.Entries = append(acl.Entries, e)
	}
	acl.Entries = append(acl.Entries, nacl.Entry{RuleNumber: 100, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll,
		CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1})
	return acl
}

// TestLintWorkLimit: lint on 3,000 and 30,000 rules in one direction (the
// old analysis ran 22.6 s and >120 s) spends at most its work limit per
// direction and family, and when it stops there it says so
// (analysis-incomplete) instead of guessing.
func TestLintWorkLimit(t *testing.T) {
	const limit = 2_000_000
	for shape := range 3 {
		for _, n := range []int{3_000, 30_000} {
			acl := bigACL(n, shape)
			gs := splitGroups(acl)
			for _, g := range gs {
				g.maxWork = limit
				g.analyze()
			}
			g := gs[groupKey{nacl.Ingress, false}]
			if g.work > limit {
				t.Errorf("shape %d, %d rules: %d box operations, over the limit %d", shape, n, g.work, limit)
			}
			fs := Lint(acl, Options{MaxWork: limit})
			inc := withCode(fs, CodeIncomplete)
			if len(inc) != 1 || inc[0].Direction != nacl.Ingress || inc[0].IPv6 {
				t.Errorf("shape %d, %d rules: want one inbound IPv4 analysis-incomplete finding, got %+v", shape, n, inc)
			}
		}
	}
}

// TestLintWorkLimitClaimsOnlyProven: what lint reports when it stops at
// its work limit is a subset of what the complete analysis reports (the
// unreachable rules before the stop are still found).
func TestLintWorkLimitClaimsOnlyProven(t *testing.T) {
	acl := bigACL(400, 1)
	full := Lint(acl, Options{})
	if len(withCode(full, CodeIncomplete)) != 0 {
		t.Fatal("the complete analysis of 400 rules hit the default limit")
	}
	cut := Lint(acl, Options{MaxWork: 20_000})
	if len(withCode(cut, CodeIncomplete)) != 1 {
		t.Fatalf("MaxWork 20,000: want analysis-incomplete, got %d findings", len(cut))
	}
	unreach := withCode(cut, CodeUnreachable)
	if len(unreach) == 0 {
		t.Error("no unreachable rule reported although the first rules' reach was decided")
	}
	for _, f := range cut {
		if f.Code == CodeIncomplete {
			continue
		}
		if !slices.ContainsFunc(full, func(g Finding) bool { return g.Code == f.Code && g.Rule == f.Rule && g.Direction == f.Direction }) {
			t.Errorf("claim the complete analysis does not make: %s %s", f.Code, f.Message)
		}
	}
}

// TestLintDefaultLimitCompletes3000: the default limit leaves room for a
// full analysis of the 3,000-rule shapes (the old analysis finished
// them, slowly): the limit only stops what would run for minutes.
func TestLintDefaultLimitCompletes3000(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds")
	}
	for shape := range 3 {
		fs := Lint(bigACL(3_000, shape), Options{})
		if inc := withCode(fs, CodeIncomplete); len(inc) != 0 {
			t.Errorf("shape %d, 3,000 rules: %s", shape, inc[0].Message)
		}
	}
}
