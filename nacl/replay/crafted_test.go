package replay

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

// TestCraftedCutHeadersJudged: packets cut inside a header are judged by
// what is known, and uncertain exactly when a rule needed what was cut,
// the same in IPv4 and IPv6 (pcaps/crafted/cut-headers.pcap).
func TestCraftedCutHeadersJudged(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-cut", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 443, 443),
		ent(t, "in", 110, nacl.Allow, 17, "0.0.0.0/0", 53, 53),
		ent(t, "in", 120, nacl.Allow, 6, "::/0", 443, 443),
		ent(t, "in", 130, nacl.Allow, 17, "::/0", 53, 53),
	}}
	topo, err := SimpleTopology(acl, []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:1::/64")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := mustJudge(t, topo)
	s, err := capture.Open([]string{pcaps.Path("crafted/cut-headers.pcap")}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := []struct {
		v         Verdict
		rule      int
		uncertain bool
	}{
		{Deny, nacl.DefaultRuleIPv6, true}, // protocol unknown: the TCP and UDP rules cannot be applied
		{Deny, nacl.DefaultRuleIPv4, true}, // IPv4 options cut: protocol known, ports unknown
		{Allow, 100, false},                // ports kept
		{Allow, 110, false},
		{Allow, 120, false},
		{Deny, nacl.DefaultRuleIPv6, true},
		{Deny, nacl.DefaultRuleIPv4, true}, // cut inside the ports
		{Allow, 100, false},
		{Allow, 130, false},
	}
	var p capture.Packet
	for i := 0; s.Next(&p) == nil; i++ {
		np := FromCapture(&p)
		jd := j.Judge(&np)
		if i >= len(want) {
			t.Fatalf("more packets than expected")
		}
		w := want[i]
		if jd.Verdict != w.v || jd.NCheck != 1 || jd.Checks[0].Rule != w.rule || jd.Uncertain() != w.uncertain {
			t.Errorf("frame %d: %s rule %d uncertain %v, want %s %d %v", i+1, jd.Verdict, jd.Checks[0].Rule, jd.Uncertain(), w.v, w.rule, w.uncertain)
		}
	}
}

// TestUncertainWhy names the unknown field and the cause for each packet
// of cut-headers.pcap and tiny-fragments.pcap.
func TestUncertainWhy(t *testing.T) {
	want := map[string][]string{
		"cut-headers.pcap": {"protocol unknown: truncated ipv6 extension header", "ports unknown: truncated ipv4 options", "", "", "",
			"protocol unknown: truncated ipv6 extension header", "ports unknown: truncated tcp header", "", ""},
		"tiny-fragments.pcap": {"", "", "", ""},
	}
	for file, w := range want {
		s, err := capture.Open([]string{pcaps.Path("crafted/" + file)}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p capture.Packet
		for i := 0; s.Next(&p) == nil; i++ {
			if got := UncertainWhy(&p); i >= len(w) || got != w[i] {
				t.Errorf("%s frame %d: %q", file, i+1, got)
			}
		}
		s.Close()
	}
	orphan := capture.Packet{Kind: capture.KindIP, Proto: capture.ProtoUDP, Fragment: true, FragOffset: 10}
	if got := UncertainWhy(&orphan); got != "ports unknown: non-first fragment whose first fragment was not seen" {
		t.Errorf("orphan fragment: %q", got)
	}
}
