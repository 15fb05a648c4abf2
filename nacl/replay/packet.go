package replay

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
)

// FromCapture returns what a NACL sees of a decoded IP packet: addresses,
// protocol, destination port (TCP/UDP with known ports) and ICMP type and
// code. A non-first fragment whose first fragment was not seen has
// HasPort/HasICMP false. The result is meaningful only for capture.KindIP.
func FromCapture(p *capture.Packet) nacl.Packet {
	np := nacl.Packet{Src: p.Src, Dst: p.Dst, Proto: p.Proto}
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
