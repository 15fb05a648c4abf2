package lint

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// matchesICMPFields reports whether an entry of this protocol and family
// looks at ICMP type and code: ICMP (1), and ICMPv6 (58) only with an IPv6
// CIDR (with an IPv4 CIDR AWS matches every type and code).
func matchesICMPFields(proto int, v6 bool) bool {
	return proto == nacl.ProtoICMP || (proto == nacl.ProtoICMPv6 && v6)
}

// matchesPorts reports whether entries of this protocol look at the port range.
func matchesPorts(proto int) bool { return proto == nacl.ProtoTCP || proto == nacl.ProtoUDP }

// entryBox returns the box of packets e matches, or ok=false with the
// reason when it matches nothing.
func entryBox(e *nacl.Entry) (b box, why string, ok bool) {
	if !e.CIDR.IsValid() {
		return box{}, "it has no valid CIDR", false
	}
	// An IPv4-mapped IPv6 prefix (::ffff:0:0/96) is an ordinary IPv6
	// prefix: IPv6 packets with such addresses meet it, as the evaluator
	// does (the file readers accept it with a warning).
	v6 := e.IsIPv6()
	b = fullBox(v6)
	switch {
	case e.Protocol == nacl.ProtoAll:
	case e.Protocol >= 0 && e.Protocol <= maxProto:
		b[dimProto] = interval{small(uint64(e.Protocol)), small(uint64(e.Protocol))}
	default:
		return box{}, fmt.Sprintf("protocol %d is not -1 or 0-255", e.Protocol), false
	}
	p := e.CIDR.Masked()
	lo := addrValue(p.Addr())
	hostBits := p.Addr().BitLen() - p.Bits()
	b[dimAddr] = interval{lo, lo.or(lowOnes(hostBits))}
	if matchesPorts(e.Protocol) {
		if e.Ports.From > e.Ports.To {
			return box{}, fmt.Sprintf("port range %d-%d is empty (from > to)", e.Ports.From, e.Ports.To), false
		}
		b[dimPort] = interval{small(uint64(e.Ports.From)), small(uint64(e.Ports.To))}
	}
	if matchesICMPFields(e.Protocol, v6) {
		// As the evaluator does: a negative type means every type (the
		// code is then irrelevant), a negative code every code; values
		// above 255 match nothing.
		if e.ICMPType > maxICMP {
			return box{}, fmt.Sprintf("ICMP type %d is not -1 or 0-255", e.ICMPType), false
		}
		if e.ICMPType >= 0 {
			b[dimType] = interval{small(uint64(e.ICMPType)), small(uint64(e.ICMPType))}
			if e.ICMPCode > maxICMP {
				return box{}, fmt.Sprintf("ICMP code %d is not -1 or 0-255", e.ICMPCode), false
			}
			if e.ICMPCode >= 0 {
				b[dimCode] = interval{small(uint64(e.ICMPCode)), small(uint64(e.ICMPCode))}
			}
		}
	}
	return b, "", true
}
