package text

import (
	"strconv"

	"github.com/flowverify/flowverify/nacl"
)

// AppendRule appends e as one line of the native text format, single
// spaced: "in 125 allow tcp 198.51.100.20/32 32768-60999". The rule number
// is left out when it is 0 (an entry not numbered yet); the ports are
// printed for TCP and UDP, TYPE[:CODE] for ICMP and for ICMPv6 with an
// IPv6 CIDR (AWS ignores them otherwise). It is the one rule-line renderer
// of flowverify: Write aligns the same fields in columns.
func AppendRule(b []byte, e *nacl.Entry) []byte {
	if e.Direction == nacl.Egress {
		b = append(b, "out"...)
	} else {
		b = append(b, "in"...)
	}
	if e.RuleNumber != 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.RuleNumber), 10)
	}
	b = append(b, ' ')
	b = append(b, e.Action.String()...)
	b = append(b, ' ')
	b = append(b, nacl.ProtocolName(e.Protocol)...)
	b = append(b, ' ')
	b = e.CIDR.AppendTo(b)
	if x := appendMatch(nil, e); len(x) > 0 {
		b = append(b, ' ')
		b = append(b, x...)
	}
	return b
}

// Rule returns AppendRule(nil, e) as a string.
func Rule(e *nacl.Entry) string {
	var buf [80]byte
	return string(AppendRule(buf[:0], e))
}

// appendMatch appends the entry's last field: the port range (TCP/UDP),
// TYPE[:CODE] (ICMP, ICMPv6 with an IPv6 CIDR; nothing when both are
// -1, any), or nothing.
func appendMatch(b []byte, e *nacl.Entry) []byte {
	switch {
	case e.UsesPorts():
		return append(b, e.Ports.String()...)
	case e.UsesICMP() && (e.ICMPType >= 0 || e.ICMPCode >= 0):
		b = strconv.AppendInt(b, int64(e.ICMPType), 10)
		if e.ICMPCode >= 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(e.ICMPCode), 10)
		}
	}
	return b
}
