package replay_test

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// A Judge places a NACL on its subnets and judges packets as the VPC
// would: which checks a packet meets (the source subnet's outbound rules,
// the destination subnet's inbound rules), and the traffic NACLs never
// filter, such as the Amazon DNS resolver at the VPC's base+2.
func ExampleJudge() {
	all := netip.MustParsePrefix("0.0.0.0/0")
	acl := &nacl.ACL{ID: "acl-web", Entries: []nacl.Entry{
		{RuleNumber: 100, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: nacl.ProtoTCP, CIDR: all, Ports: nacl.PortRange{From: 80, To: 80}, ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 130, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: nacl.ProtoTCP, CIDR: all, Ports: nacl.PortRange{From: 1024, To: 65535}, ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 100, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: all, ICMPType: -1, ICMPCode: -1},
	}}
	subnets := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("10.0.2.0/24")}
	topo, err := replay.SimpleTopology(acl, subnets, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		fmt.Println(err)
		return
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []string{
		"tcp 198.51.100.20:40000 > 10.0.1.10:80", // into the subnet: inbound rules
		"tcp 192.0.2.80:80 > 10.0.1.10:34372",    // a reply to the subnet's own request
		"tcp 10.0.1.10:40000 > 10.0.2.20:5432",   // between two subnets: both checks
		"udp 10.0.1.10:40000 > 10.0.0.2:53",      // Amazon DNS: never filtered
		"tcp 10.0.1.10:40000 > 10.0.1.11:22",     // inside one subnet
	} {
		p, err := nacl.ParsePacket(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		jd := j.Judge(&p.Packet)
		fmt.Printf("%s: %s", s, jd.Verdict)
		if jd.Reason != "" {
			fmt.Printf(" (%s)", jd.Reason)
		}
		for _, c := range jd.CheckList() {
			fmt.Printf(", %s %s rule %d %s", c.Subnet, c.Direction, c.Rule, c.Action)
		}
		fmt.Println()
	}
	// Output:
	// tcp 198.51.100.20:40000 > 10.0.1.10:80: allow, 10.0.1.0/24 inbound rule 100 allow
	// tcp 192.0.2.80:80 > 10.0.1.10:34372: deny, 10.0.1.0/24 inbound rule 130 deny
	// tcp 10.0.1.10:40000 > 10.0.2.20:5432: deny, 10.0.1.0/24 outbound rule 100 allow, 10.0.2.0/24 inbound rule 130 deny
	// udp 10.0.1.10:40000 > 10.0.0.2:53: exempt (amazon-dns)
	// tcp 10.0.1.10:40000 > 10.0.1.11:22: not-filtered (same-subnet)
}
