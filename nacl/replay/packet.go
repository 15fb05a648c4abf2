package replay

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
)

// FromCapture returns what a NACL sees of a decoded IP packet: addresses,
// protocol, destination port (TCP/UDP with known ports) and ICMP type and
// code. A non-first fragment whose first fragment was not seen, and a
// packet the capture cut before its ports, has HasPort/HasICMP false; a
// packet cut inside its IPv6 extension headers has ProtoUnknown. The result is meaningful only for capture.KindIP.
func FromCapture(p *capture.Packet) nacl.Packet {
	np := nacl.Packet{Src: p.Src, Dst: p.Dst, Proto: p.Proto, ProtoUnknown: p.ProtoUnknown}
	switch p.Proto {
	case capture.ProtoTCP, capture.ProtoUDP:
		if p.HasPorts {
			np.HasPort = true
			np.DstPort = p.DstPort
		}
	case capture.ProtoICMP, capture.ProtoICMPv6:
		if p.HasICMP {
			np.HasICMP = true
			np.ICMPType, np.ICMPCode = p.ICMPType, p.ICMPCode
		}
	}
	return np
}

// UncertainWhy says which field a NACL looks at is unknown for p, and why
// ("ports unknown: non-first fragment", "protocol unknown: truncated ipv6
// extension header", ...), or "" when every field is known. A verdict on p
// is uncertain (nacl.Decision.Uncertain) exactly when a rule needed that
// field; this names the reason for the reader.
func UncertainWhy(p *capture.Packet) string {
	cause := p.Reason
	if p.Fragment && p.FragOffset != 0 {
		cause = "non-first fragment whose first fragment was not seen"
	}
	if cause == "" {
		cause = "not captured"
	}
	switch {
	case p.ProtoUnknown:
		return "protocol unknown: " + cause
	case (p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP) && !p.HasPorts:
		return "ports unknown: " + cause
	case (p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6) && !p.HasICMP:
		return "icmp type unknown: " + cause
	}
	return ""
}
