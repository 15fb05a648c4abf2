package lint

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// pmtudFinding checks that the inbound group lets ICMP "fragmentation
// needed" (IPv4 type 3 code 4) or ICMPv6 "packet too big" (type 2) in from
// anywhere, when it allows any inbound TCP at all: without them path MTU
// discovery fails and large TCP segments black-hole silently.
func pmtudFinding(in *group, used map[int]bool) (Finding, bool) {
	if in.err != nil || in.dir != nacl.Ingress {
		return Finding{}, false
	}
	tcp := fullBox(in.v6)
	tcp[dimProto] = interval{small(nacl.ProtoTCP), small(nacl.ProtoTCP)}
	allowed, _, _, _, err := in.judge([]box{tcp})
	if err != nil || len(allowed) == 0 {
		return Finding{}, false
	}
	b := fullBox(in.v6)
	proto, typ, code, name, line := nacl.ProtoICMP, 3, 4, "ICMP type 3 code 4 (fragmentation needed)", "icmp 0.0.0.0/0 3:4"
	if in.v6 {
		proto, typ, code, name, line = nacl.ProtoICMPv6, 2, 0, "ICMPv6 type 2 (packet too big)", "icmpv6 ::/0 2"
	}
	b[dimProto] = interval{small(uint64(proto)), small(uint64(proto))}
	b[dimType] = interval{small(uint64(typ)), small(uint64(typ))}
	b[dimCode] = interval{small(uint64(code)), small(uint64(code))}
	ok, denied, _, _, err := in.judge([]box{b})
	if err != nil || len(denied) == 0 {
		return Finding{}, false
	}
	var nums []int
	for _, s := range denied {
		nums = append(nums, in.ruleNum(s.rule))
	}
	n := suggestNumber(used, firstUserDeny(in, denied))
	f := Finding{Code: CodeNoPMTUD, Direction: in.dir, IPv6: in.v6, Related: nums,
		Fix: fmt.Sprintf("add `in %s allow %s` below any inbound deny that covers it (AWS recommends it for path MTU discovery)", numText(n), line)}
	if len(ok) == 0 {
		f.Severity = nacl.SevWarning
		f.Message = fmt.Sprintf("inbound %s allows TCP but denies %s from every source (%s): path MTU discovery fails and connections whose packets exceed a smaller path MTU hang",
			in.family(), name, denyRulesText(in, denied))
	} else {
		var pieces []box
		for _, s := range denied {
			pieces = append(pieces, s.pieces...)
		}
		f.Severity = nacl.SevInfo
		f.Message = fmt.Sprintf("inbound %s allows %s only from part of the address space; from %s it is denied (%s), so path MTU discovery fails over paths through routers there",
			in.family(), name, addrsText(unionIntervals(pieces, dimAddr), in.v6), denyRulesText(in, denied))
	}
	return f, true
}
