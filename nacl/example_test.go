package nacl_test

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// An Evaluator judges packets the way AWS does: the rules of the packet's
// direction in ascending number, the first match wins, else the default
// deny. NACLs are stateless: the reply to an outbound request comes back
// inbound, to the client's ephemeral port, and needs its own rule.
func ExampleEvaluator() {
	all := netip.MustParsePrefix("0.0.0.0/0")
	acl := &nacl.ACL{ID: "acl-web", Entries: []nacl.Entry{
		{RuleNumber: 100, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: nacl.ProtoTCP, CIDR: all, Ports: nacl.PortRange{From: 443, To: 443}, ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 130, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: nacl.ProtoTCP, CIDR: all, Ports: nacl.PortRange{From: 1024, To: 65535}, ICMPType: -1, ICMPCode: -1},
		{RuleNumber: 100, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: all, ICMPType: -1, ICMPCode: -1},
	}}
	ev := nacl.Compile(acl)
	for _, s := range []string{
		"tcp 198.51.100.20:50000 > 10.0.1.10:443", // a client's request to the web server
		"tcp 10.0.1.10:443 > 198.51.100.20:50000", // the server's reply
		"tcp 192.0.2.80:80 > 10.0.1.10:34372",     // the reply to the server's own download
		"udp 192.0.2.53:53 > 10.0.1.10:34372",     // no rule: the default deny
	} {
		p, err := nacl.ParsePacket(s)
		if err != nil {
			fmt.Println(err)
			return
		}
		dir := nacl.Ingress
		if p.Src.String() == "10.0.1.10" {
			dir = nacl.Egress
		}
		d := ev.Evaluate(dir, &p.Packet)
		fmt.Printf("%s: %s %s by rule %d\n", s, dir, d.Action, d.RuleNumber)
	}
	// Output:
	// tcp 198.51.100.20:50000 > 10.0.1.10:443: inbound allow by rule 100
	// tcp 10.0.1.10:443 > 198.51.100.20:50000: outbound allow by rule 100
	// tcp 192.0.2.80:80 > 10.0.1.10:34372: inbound deny by rule 130
	// udp 192.0.2.53:53 > 10.0.1.10:34372: inbound deny by rule 32767
}
