package lint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"go4.org/netipx"
)

// ruleLabel returns "*" for the default rules, else the number.
func ruleLabel(n int) string {
	if n == nacl.DefaultRuleIPv4 || n == nacl.DefaultRuleIPv6 {
		return "*"
	}
	return strconv.Itoa(n)
}

// isFull reports whether dimension d of b spans its whole range.
func isFull(b *box, d int, v6 bool) bool {
	f := fullBox(v6)
	return b[d] == f[d]
}

// rangeText formats a small interval as "N" or "N-M".
func rangeText(iv interval) string {
	if iv.lo == iv.hi {
		return strconv.FormatUint(iv.lo.lo, 10)
	}
	return fmt.Sprintf("%d-%d", iv.lo.lo, iv.hi.lo)
}

// addrText formats an address interval as CIDRs, at most four of them.
func addrText(iv interval, v6 bool) string {
	r := netipx.IPRangeFrom(valueAddr(iv.lo, v6), valueAddr(iv.hi, v6))
	ps := r.Prefixes()
	var parts []string
	for i, p := range ps {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-4))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ", ")
}

// describeBox says in words which packets b holds, e.g.
// "tcp port 22 from 10.0.0.0/8" (inbound) or "all traffic to ::/0".
func describeBox(b *box, dir nacl.Direction, v6 bool) string {
	var s []string
	proto := b[dimProto]
	single := proto.lo == proto.hi
	p := int(proto.lo.lo)
	switch {
	case isFull(b, dimProto, v6):
		s = append(s, "all traffic")
	case single:
		s = append(s, nacl.ProtocolName(p))
	default:
		s = append(s, "protocols "+rangeText(proto))
	}
	if single && matchesPorts(p) {
		switch {
		case isFull(b, dimPort, v6):
			s = append(s, "all ports")
		case b[dimPort].lo == b[dimPort].hi:
			s = append(s, "port "+rangeText(b[dimPort]))
		default:
			s = append(s, "ports "+rangeText(b[dimPort]))
		}
	}
	if single && matchesICMPFields(p, v6) {
		if !isFull(b, dimType, v6) {
			s = append(s, "type "+rangeText(b[dimType]))
		}
		if !isFull(b, dimCode, v6) {
			s = append(s, "code "+rangeText(b[dimCode]))
		}
	}
	word := "from"
	if dir == nacl.Egress {
		word = "to"
	}
	s = append(s, word, addrText(b[dimAddr], v6))
	return strings.Join(s, " ")
}

// entryText renders an entry in the native text format (without comment).
func entryText(e *nacl.Entry) string {
	dir := "in"
	if e.Direction == nacl.Egress {
		dir = "out"
	}
	s := fmt.Sprintf("%s %d %s %s %s", dir, e.RuleNumber, e.Action, nacl.ProtocolName(e.Protocol), e.CIDR)
	switch {
	case matchesPorts(e.Protocol):
		s += " " + e.Ports.String()
	case matchesICMPFields(e.Protocol, e.IsIPv6()):
		switch {
		case e.ICMPType < 0:
		case e.ICMPCode < 0:
			s += fmt.Sprintf(" %d", e.ICMPType)
		default:
			s += fmt.Sprintf(" %d:%d", e.ICMPType, e.ICMPCode)
		}
	}
	return s
}

// ruleList formats rule numbers as "100, 110 and 120".
func ruleList(nums []int) string {
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = ruleLabel(n)
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// unionIntervals projects pieces onto dimension d and merges the result
// into sorted, disjoint, non-adjacent intervals.
func unionIntervals(pieces []box, d int) []interval {
	ivs := make([]interval, 0, len(pieces))
	for i := range pieces {
		ivs = append(ivs, pieces[i][d])
	}
	for i := 1; i < len(ivs); i++ {
		for j := i; j > 0 && ivs[j].lo.less(ivs[j-1].lo); j-- {
			ivs[j], ivs[j-1] = ivs[j-1], ivs[j]
		}
	}
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && (out[n-1].hi == lowOnes(128) || !out[n-1].hi.inc().less(iv.lo)) {
			if out[n-1].hi.less(iv.hi) {
				out[n-1].hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// portsText formats merged port intervals as "1024-32767, 61000-65535".
func portsText(ivs []interval) string {
	parts := make([]string, len(ivs))
	for i, iv := range ivs {
		parts[i] = rangeText(iv)
	}
	return strings.Join(parts, ", ")
}

// addrsText formats merged address intervals as CIDRs.
func addrsText(ivs []interval, v6 bool) string {
	parts := make([]string, 0, len(ivs))
	for i, iv := range ivs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more ranges", len(ivs)-3))
			break
		}
		parts = append(parts, addrText(iv, v6))
	}
	return strings.Join(parts, ", ")
}
