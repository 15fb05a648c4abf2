package replay

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestExplain(t *testing.T) {
	acl := webACL(t)
	two := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("10.0.2.0/24")}
	pkt := func(s string) *nacl.Packet {
		p, err := nacl.ParsePacket(s)
		if err != nil {
			t.Fatal(err)
		}
		return &p.Packet
	}
	// Between two subnets: the source subnet's outbound rules (130 allows),
	// then the destination subnet's inbound rules (130 denies): that decides.
	x, err := Explain(ExplainQuery{ACL: acl, Packet: pkt("tcp 10.0.1.5:40000 > 10.0.2.5:5432"), Subnets: two})
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Checks) != 2 || !x.Between || x.Deciding != 1 || x.Checks[0].Direction != nacl.Egress || x.Checks[1].Direction != nacl.Ingress ||
		x.Checks[0].Decision.Action != nacl.Allow || x.Checks[1].Decision.RuleNumber != 130 || x.Checks[1].Subnet != two[1] {
		t.Errorf("between subnets: %+v", x)
	}
	for _, c := range x.Checks {
		for _, st := range c.Steps {
			if st.Miss == nacl.MissDirection {
				t.Errorf("check %s lists the other direction's rule %d", c.Direction, st.RuleNumber)
			}
		}
	}
	// --direction keeps one of the two checks, or contradicts the subnets.
	x, err = Explain(ExplainQuery{ACL: acl, Packet: pkt("tcp 10.0.1.5:40000 > 10.0.2.5:5432"), Subnets: two, Direction: nacl.Egress, HasDirection: true})
	if err != nil || len(x.Checks) != 1 || !x.OneOfTwo || x.Checks[0].Decision.Action != nacl.Allow {
		t.Errorf("one of two: %+v, %v", x, err)
	}
	_, err = Explain(ExplainQuery{ACL: acl, Packet: pkt("tcp 198.51.100.20:80 > 10.0.1.10:22"), Subnets: two[:1], Direction: nacl.Egress, HasDirection: true})
	var de *DirectionError
	if !errors.As(err, &de) || de.Want != nacl.Egress || de.Got != nacl.Ingress {
		t.Errorf("contradicting direction: %v", err)
	}
	// Inside one subnet: no check, and the subnet says why.
	x, err = Explain(ExplainQuery{ACL: acl, Packet: pkt("tcp 10.0.1.5:40000 > 10.0.1.9:5432"), Subnets: two})
	if err != nil || len(x.Checks) != 0 || x.Reason != ReasonSameSubnet || x.Subnet != two[0] {
		t.Errorf("same subnet: %+v, %v", x, err)
	}
	// Without subnets only exemptions hold; a link-local packet meets the
	// rules of the direction given.
	x, err = Explain(ExplainQuery{ACL: acl, Packet: pkt("tcp 169.254.1.1:80 > 10.0.1.10:22"), Direction: nacl.Ingress, HasDirection: true})
	if err != nil || len(x.Checks) != 1 || !x.ByDirection || x.Checks[0].Decision.RuleNumber != 100 {
		t.Errorf("by direction: %+v, %v", x, err)
	}
	x, err = Explain(ExplainQuery{ACL: acl, Packet: pkt("udp 10.0.1.10:50000 > 169.254.169.253:53"), Direction: nacl.Egress, HasDirection: true})
	if err != nil || len(x.Checks) != 0 || x.Verdict != Exempt || x.Reason != ReasonAmazonDNS {
		t.Errorf("exempt: %+v, %v", x, err)
	}
}
