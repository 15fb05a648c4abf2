package lint_test

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

// Lint finds rules that never apply, rules that change nothing and
// stateless pitfalls such as replies that can never come back.
func ExampleLint() {
	tcp := func(num int, dir nacl.Direction, action nacl.Action, cidr string, from, to uint16) nacl.Entry {
		return nacl.Entry{RuleNumber: num, Direction: dir, Action: action, Protocol: nacl.ProtoTCP, CIDR: netip.MustParsePrefix(cidr),
			Ports: nacl.PortRange{From: from, To: to}, ICMPType: -1, ICMPCode: -1}
	}
	acl := &nacl.ACL{ID: "acl-web", Entries: []nacl.Entry{
		tcp(100, nacl.Ingress, nacl.Allow, "0.0.0.0/0", 443, 443),
		tcp(200, nacl.Ingress, nacl.Deny, "10.0.0.0/8", 22, 22),
		tcp(300, nacl.Ingress, nacl.Allow, "10.1.0.0/16", 22, 22), // hidden by 200
		tcp(400, nacl.Ingress, nacl.Allow, "0.0.0.0/0", 22, 22),
		tcp(100, nacl.Egress, nacl.Allow, "0.0.0.0/0", 32768, 65535), // replies to Linux and Windows clients only
	}}
	for _, f := range lint.Lint(acl, lint.Options{}) {
		fmt.Printf("%s %s %s rule %d: %s (related %v)\n", f.Severity, f.Code, f.Direction, f.Rule, f.Fix, f.Related)
	}
	// Output:
	// warning no-pmtud inbound rule 0: add `in 410 allow icmp 0.0.0.0/0 3:4` below any inbound deny that covers it (AWS recommends it for path MTU discovery) (related [32767])
	// error unreachable-rule inbound rule 300: delete inbound rule 300, or renumber it below 200 if it should take precedence (related [200])
	// info partial-override inbound rule 400: nothing if rule 200 is an intended exception (deny before a broader allow); otherwise narrow it or renumber rule 400 below it (related [200])
	// info narrow-ephemeral outbound rule 100: to let replies through on ports 1024-65535 (every client type checked): widen outbound rule 100 to ports 1024-65535: `out 100 allow tcp 0.0.0.0/0 1024-65535` (related [])
}
