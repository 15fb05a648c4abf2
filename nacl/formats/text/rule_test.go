package text

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestRule(t *testing.T) {
	for _, c := range []struct {
		e    nacl.Entry
		want string
	}{
		{nacl.Entry{RuleNumber: 125, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: 6, CIDR: netip.MustParsePrefix("192.0.2.80/32"),
			Ports: nacl.PortRange{From: 32768, To: 60999}}, "in 125 allow tcp 192.0.2.80/32 32768-60999"},
		{nacl.Entry{RuleNumber: 7, Direction: nacl.Egress, Action: nacl.Allow, Protocol: 1, CIDR: netip.MustParsePrefix("0.0.0.0/0"),
			ICMPType: 3, ICMPCode: 4}, "out 7 allow icmp 0.0.0.0/0 3:4"},
		{nacl.Entry{Direction: nacl.Egress, Action: nacl.Deny, Protocol: -1, CIDR: netip.MustParsePrefix("::/0"), ICMPType: -1, ICMPCode: -1},
			"out deny all ::/0"},
		{nacl.Entry{RuleNumber: 9, Action: nacl.Allow, Protocol: 58, CIDR: netip.MustParsePrefix("2001:db8::/32"), ICMPType: 2, ICMPCode: -1},
			"in 9 allow icmpv6 2001:db8::/32 2"},
		// ICMPv6 with an IPv4 CIDR: AWS ignores type and code, so they are not printed.
		{nacl.Entry{RuleNumber: 9, Action: nacl.Allow, Protocol: 58, CIDR: netip.MustParsePrefix("10.0.0.0/8"), ICMPType: 2, ICMPCode: -1},
			"in 9 allow icmpv6 10.0.0.0/8"},
	} {
		if got := Rule(&c.e); got != c.want {
			t.Errorf("Rule = %q, want %q", got, c.want)
		}
		acls, diags, err := Parse("x", []byte(Rule(&c.e)+"\n"))
		if c.e.RuleNumber == 0 {
			continue
		}
		if err != nil || len(acls) != 1 || len(acls[0].Entries) != 1 {
			t.Errorf("%s does not parse back: %v %v", c.want, err, diags)
		}
	}
}
