package nacl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// protocolNames maps the names accepted in files to protocol numbers.
var protocolNames = map[string]int{
	"all": ProtoAll, "any": ProtoAll, "-1": ProtoAll,
	"icmp": ProtoICMP, "tcp": ProtoTCP, "udp": ProtoUDP,
	"icmpv6": ProtoICMPv6, "icmp6": ProtoICMPv6, "ipv6-icmp": ProtoICMPv6,
	"gre": 47, "esp": 50, "ah": 51, "sctp": 132,
}

// ParseProtocol parses a protocol as files spell it: a number -1..255 or
// a name (all, any, tcp, udp, icmp, icmpv6/icmp6, gre, esp, ah, sctp),
// case-insensitive.
func ParseProtocol(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if n, ok := protocolNames[t]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("unknown protocol %q (want all, -1, tcp, udp, icmp, icmpv6 or a number 0-255)", s)
	}
	if n < -1 || n > 255 {
		return 0, fmt.Errorf("protocol %d outside -1..255", n)
	}
	return n, nil
}

// ProtocolName returns "all", "icmp", "tcp", "udp", "icmpv6" or the
// number as text.
func ProtocolName(p int) string {
	switch p {
	case ProtoAll:
		return "all"
	case ProtoICMP:
		return "icmp"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(p)
}

// ParseDirection parses in/inbound/ingress or out/outbound/egress.
func ParseDirection(s string) (Direction, error) {
	switch strings.ToLower(s) {
	case "in", "inbound", "ingress":
		return Ingress, nil
	case "out", "outbound", "egress":
		return Egress, nil
	}
	return 0, fmt.Errorf("unknown direction %q (want in or out)", s)
}

// ParseAction parses allow or deny (case-insensitive).
func ParseAction(s string) (Action, error) {
	switch strings.ToLower(s) {
	case "allow":
		return Allow, nil
	case "deny":
		return Deny, nil
	}
	return 0, fmt.Errorf("unknown rule action %q (want allow or deny)", s)
}

// ParseCIDR parses an IPv4 or IPv6 CIDR block and returns it in canonical
// form. When s is not canonical (host bits set) it returns the canonical
// prefix and a warning worded as AWS behaves, e.g. "100.68.0.18/18 is not
// canonical; AWS stores 100.68.0.0/18". A bare address is not accepted:
// AWS requires the /length. An IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/n)
// is accepted as the IPv6 prefix it is, with a warning.
func ParseCIDR(s string) (netip.Prefix, string, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		if _, aerr := netip.ParseAddr(strings.TrimSpace(s)); aerr == nil {
			return netip.Prefix{}, "", fmt.Errorf("%q has no prefix length (write %s/32 or /128)", s, s)
		}
		return netip.Prefix{}, "", fmt.Errorf("bad CIDR %q", s)
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, "", fmt.Errorf("bad CIDR %q: zones are not allowed", s)
	}
	m := p.Masked()
	var warn string
	if m != p {
		warn = fmt.Sprintf("%s is not canonical; AWS stores %s", p, m)
	}
	if p.Addr().Is4In6() {
		// An IPv6 prefix like any other: it matches IPv6 packets with such
		// addresses, never IPv4 packets (an IPv4 rule is not its equivalent).
		if warn != "" {
			warn += "; "
		}
		warn += fmt.Sprintf("%s is an IPv4-mapped IPv6 prefix: it matches only IPv6 packets with IPv4-mapped addresses, never IPv4 packets; whether AWS accepts it as an Ipv6CidrBlock is UNCONFIRMED", m)
	}
	return m, warn, nil
}

// CheckPorts checks a TCP/UDP port range given as integers and returns it.
func CheckPorts(from, to int) (PortRange, error) {
	if from < 0 || from > 65535 {
		return PortRange{}, fmt.Errorf("port %d outside 0-65535", from)
	}
	if to < 0 || to > 65535 {
		return PortRange{}, fmt.Errorf("port %d outside 0-65535", to)
	}
	if from > to {
		return PortRange{}, fmt.Errorf("port range %d-%d: From is greater than To", from, to)
	}
	return PortRange{uint16(from), uint16(to)}, nil
}

// ParsePorts parses "N", "N-M", or "all"/"any" (0-65535).
func ParsePorts(s string) (PortRange, error) {
	switch strings.ToLower(s) {
	case "all", "any", "*":
		return PortRange{0, 65535}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	from, err := strconv.Atoi(a)
	if err != nil || a == "" || a[0] == '+' {
		return PortRange{}, fmt.Errorf("bad port range %q (want N or N-M)", s)
	}
	to := from
	if ok {
		to, err = strconv.Atoi(b)
		if err != nil || b == "" || b[0] == '+' || b[0] == '-' {
			return PortRange{}, fmt.Errorf("bad port range %q (want N or N-M)", s)
		}
	}
	return CheckPorts(from, to)
}

// CheckICMP checks an ICMP type or code: -1 (any) to 255.
func CheckICMP(what string, v int) error {
	if v < -1 || v > 255 {
		return fmt.Errorf("ICMP %s %d outside -1..255", what, v)
	}
	return nil
}

// IsDefaultRuleNumber reports whether n is 32767 or 32768.
func IsDefaultRuleNumber(n int) bool { return n == DefaultRuleIPv4 || n == DefaultRuleIPv6 }

// CheckDefaultEntry checks an entry read from a file with rule number
// 32767 or 32768: those are the implicit default deny rules, which readers
// accept and drop. It returns an error unless the entry is exactly the
// default ("deny", protocol -1, 0.0.0.0/0 for 32767, ::/0 for 32768).
func CheckDefaultEntry(e *Entry) error {
	want := netip.MustParsePrefix("0.0.0.0/0")
	if e.RuleNumber == DefaultRuleIPv6 {
		want = netip.MustParsePrefix("::/0")
	}
	if e.Action != Deny || e.Protocol != ProtoAll || e.CIDR != want {
		return fmt.Errorf("rule %d is the implicit default rule and must be \"deny all %s\", got %s %s %s",
			e.RuleNumber, want, e.Action, ProtocolName(e.Protocol), e.CIDR)
	}
	return nil
}

// UsesPorts reports whether the entry's port range matters (TCP or UDP).
func (e *Entry) UsesPorts() bool { return e.Protocol == ProtoTCP || e.Protocol == ProtoUDP }

// UsesICMP reports whether the entry's ICMP type/code matter: ICMP (1),
// or ICMPv6 (58) with an IPv6 CIDR.
func (e *Entry) UsesICMP() bool {
	return e.Protocol == ProtoICMP || (e.Protocol == ProtoICMPv6 && e.IsIPv6())
}

// Normalize clears the fields AWS ignores for the entry's protocol (ports
// unless TCP/UDP, ICMP type/code unless ICMP or ICMPv6 with an IPv6 CIDR,
// set to -1) and canonicalises the CIDR, so that entries read from
// different formats compare equal.
func (e *Entry) Normalize() {
	e.CIDR = e.CIDR.Masked()
	if !e.UsesPorts() {
		e.Ports = PortRange{}
	}
	if !e.UsesICMP() {
		e.ICMPType, e.ICMPCode = -1, -1
	}
}

// MatchText describes what the entry matches, e.g. "tcp 0.0.0.0/0 port 22",
// "icmp 0.0.0.0/0 type 3 code 4", "all ::/0".
func (e *Entry) MatchText() string {
	s := ProtocolName(e.Protocol) + " " + e.CIDR.String()
	switch {
	case e.UsesPorts():
		if e.Ports.From == e.Ports.To {
			s += " port " + e.Ports.String()
		} else {
			s += " ports " + e.Ports.String()
		}
	case e.UsesICMP():
		s += " " + icmpText(e.ICMPType, e.ICMPCode)
	}
	return s
}
