package flows

import "github.com/flowverify/flowverify/capture"

// setPacket fills k with the conversation key of an IP packet and returns
// the canonical side of its sender, or the reason it joins no conversation:
//   - TCP/UDP: addresses and ports; a non-first fragment needs the ports
//     the capture package copied from its first fragment;
//   - ICMP/ICMPv6 echo: addresses and identifier; other ICMP (including
//     errors that quote no known conversation): addresses;
//   - any other protocol: addresses, so fragments need no attribution;
//   - a packet whose upper-layer protocol is unknown (capture.Packet.ProtoUnknown): none.
func (k *key) setPacket(p *capture.Packet, nonFirst bool) (uint8, string) {
	switch {
	case p.ProtoUnknown:
		// Cut inside the IPv6 extension headers: no conversation can be
		// named (the packet is still judged on its own by replay).
		return 0, "ip packet with unknown protocol"
	case p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP:
		if nonFirst && !p.FragmentAttributed {
			return 0, "unattributed fragment"
		}
		if !p.HasPorts {
			return 0, ProtoName(p.Proto) + " packet without ports"
		}
		return k.set(kindPorts, p.Proto, p.Src, p.SrcPort, p.Dst, p.DstPort), ""
	case isICMP(p.Proto):
		if nonFirst && !p.FragmentAttributed {
			return 0, "unattributed fragment"
		}
		role := echoRole(p.Proto, p.ICMPType)
		if !p.HasICMP || role == 0 {
			return k.set(kindAddrs, p.Proto, p.Src, 0, p.Dst, 0), ""
		}
		side := k.set(kindEcho, p.Proto, p.Src, p.ICMPID, p.Dst, 0)
		if p.Src == p.Dst && role == 2 {
			side = 1 // ping to oneself: replies are the other direction
		}
		return side, ""
	}
	return k.set(kindAddrs, p.Proto, p.Src, 0, p.Dst, 0), ""
}
