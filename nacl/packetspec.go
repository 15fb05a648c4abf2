package nacl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// PacketSpec is a packet written by a person, as the explain command
// takes it: the Packet plus the source port (NACLs never look at it, but
// it is echoed back).
type PacketSpec struct {
	Packet
	SrcPort    uint16
	HasSrcPort bool
}

// ParsePacket parses a packet description:
//
//	tcp 198.51.100.20:80 > 10.0.1.10:34372
//	udp [2001:db8::1]:53 > [2001:db8:1::10]:40000
//	icmp 1.2.3.4 > 10.0.1.10 type 8 code 0
//	icmpv6 2001:db8::1 > 2001:db8:1::10 type 128
//	47 10.0.0.1 > 10.0.2.1
//	tcp 1.2.3.4 > 10.0.1.10 fragment     (non-first fragment: no ports)
//
// "->" may replace ">". The protocol is a name or number (see
// ParseProtocol; "all" is not a packet protocol). TCP and UDP need the
// destination port unless "fragment" is given; the source port is
// optional. ICMP type and code are optional (unknown when omitted).
func ParsePacket(s string) (PacketSpec, error) {
	var ps PacketSpec
	s = strings.ReplaceAll(s, "->", " > ")
	s = strings.ReplaceAll(s, ">", " > ")
	f := strings.Fields(s)
	if len(f) < 4 || f[2] != ">" {
		return ps, fmt.Errorf("packet %q: want PROTO SRC > DST [type T [code C]], e.g. \"tcp 198.51.100.20:80 > 10.0.1.10:34372\"", s)
	}
	proto, err := ParseProtocol(f[0])
	if err != nil {
		return ps, fmt.Errorf("packet protocol: %w", err)
	}
	if proto < 0 {
		return ps, fmt.Errorf("packet protocol: a packet has one protocol, not %q", f[0])
	}
	ps.Proto = uint8(proto)
	var sp, dp int
	if ps.Src, sp, err = parseEndpoint(f[1]); err != nil {
		return ps, fmt.Errorf("packet source: %w", err)
	}
	if ps.Dst, dp, err = parseEndpoint(f[3]); err != nil {
		return ps, fmt.Errorf("packet destination: %w", err)
	}
	if ps.Src.Is4() != ps.Dst.Is4() {
		return ps, fmt.Errorf("packet: source %s and destination %s are of different IP families", ps.Src, ps.Dst)
	}
	ports := proto == ProtoTCP || proto == ProtoUDP
	icmp := proto == ProtoICMP || proto == ProtoICMPv6
	if (sp >= 0 || dp >= 0) && !ports {
		return ps, fmt.Errorf("packet: protocol %s has no ports", ProtocolName(proto))
	}
	if sp >= 0 {
		ps.SrcPort, ps.HasSrcPort = uint16(sp), true
	}
	frag := false
	rest := f[4:]
	for i := 0; i < len(rest); i++ {
		switch strings.ToLower(rest[i]) {
		case "fragment", "frag":
			frag = true
		case "type", "code":
			if !icmp {
				return ps, fmt.Errorf("packet: %q is only for icmp and icmpv6", rest[i])
			}
			if i+1 >= len(rest) {
				return ps, fmt.Errorf("packet: %s needs a number", rest[i])
			}
			n, err := strconv.Atoi(rest[i+1])
			if err != nil || n < 0 || n > 255 {
				return ps, fmt.Errorf("packet: ICMP %s %q is not 0-255", rest[i], rest[i+1])
			}
			if strings.EqualFold(rest[i], "type") {
				ps.ICMPType, ps.HasICMP = uint8(n), true
			} else {
				ps.ICMPCode = uint8(n)
			}
			i++
		default:
			return ps, fmt.Errorf("packet: unexpected %q (want type T, code C or fragment)", rest[i])
		}
	}
	switch {
	case ports && frag:
		if dp >= 0 {
			return ps, fmt.Errorf("packet: a non-first fragment has no destination port")
		}
	case ports:
		if dp < 0 {
			return ps, fmt.Errorf("packet: %s needs a destination port (ADDR:PORT or [IPv6]:PORT), or \"fragment\"", ProtocolName(proto))
		}
		ps.DstPort, ps.HasPort = uint16(dp), true
	case frag && icmp:
		ps.HasICMP = false
	}
	return ps, nil
}

// parseEndpoint parses "1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80",
// "[2001:db8::1]" or "2001:db8::1"; the port is -1 when absent.
func parseEndpoint(s string) (netip.Addr, int, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Addr().Zone() != "" {
			return netip.Addr{}, 0, fmt.Errorf("%q: zones are not allowed", s)
		}
		return ap.Addr(), int(ap.Port()), nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, 0, fmt.Errorf("%q is not an address or ADDR:PORT", s)
	}
	return a, -1, nil
}

// String formats the packet in ParsePacket's syntax.
func (ps PacketSpec) String() string {
	ep := func(a netip.Addr, port uint16, has bool) string {
		if !has {
			return a.String()
		}
		return netip.AddrPortFrom(a, port).String()
	}
	s := ProtocolName(int(ps.Proto)) + " " + ep(ps.Src, ps.SrcPort, ps.HasSrcPort) + " > " + ep(ps.Dst, ps.DstPort, ps.HasPort)
	switch {
	case (ps.Proto == ProtoTCP || ps.Proto == ProtoUDP) && !ps.HasPort:
		s += " fragment"
	case ps.HasICMP:
		s += fmt.Sprintf(" type %d code %d", ps.ICMPType, ps.ICMPCode)
	}
	return s
}
