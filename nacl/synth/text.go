package synth

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/nacl"
)

// ruleText renders an entry in the native text format ("in 100 allow tcp
// 0.0.0.0/0 443"), without the rule number when it is zero.
func ruleText(e nacl.Entry) string {
	var b strings.Builder
	if e.Direction == nacl.Egress {
		b.WriteString("out")
	} else {
		b.WriteString("in")
	}
	if e.RuleNumber > 0 {
		fmt.Fprintf(&b, " %d", e.RuleNumber)
	}
	fmt.Fprintf(&b, " %s %s %s", e.Action, nacl.ProtocolName(e.Protocol), e.CIDR)
	switch {
	case e.Protocol == nacl.ProtoTCP || e.Protocol == nacl.ProtoUDP:
		fmt.Fprintf(&b, " %s", e.Ports)
	case e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && e.IsIPv6()):
		if e.ICMPType >= 0 {
			fmt.Fprintf(&b, " %d", e.ICMPType)
			if e.ICMPCode >= 0 {
				fmt.Fprintf(&b, ":%d", e.ICMPCode)
			}
		}
	}
	return b.String()
}
