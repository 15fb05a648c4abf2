package capture

import "encoding/binary"

// decodeVXLAN decapsulates a VXLAN payload (RFC 7348): an 8-byte header
// with the I flag and a 24-bit VNI, then an Ethernet frame. length is the
// UDP payload length the headers state. A payload that is not VXLAN
// (I flag clear) leaves p as the outer UDP packet.
func (d *decoder) decodeVXLAN(p *Packet, b []byte, length int) {
	if len(b) < 8 {
		if length >= 8 {
			d.markTrunc(p, "truncated vxlan header")
		}
		return
	}
	if b[0]&0x08 == 0 {
		return
	}
	vni := binary.BigEndian.Uint32(b[4:8]) >> 8
	d.enter(p, EncapVXLAN, vni, length-8, len(b)-8)
	d.decodeEthernet(p, b[8:])
}

// decodeGENEVE decapsulates a GENEVE payload (RFC 8926): version 0, the
// options, then an Ethernet frame (protocol 0x6558) or an IP packet
// (0x0800/0x86DD, as AWS Gateway Load Balancer sends). Other protocol
// types leave p as the outer UDP packet.
func (d *decoder) decodeGENEVE(p *Packet, b []byte, length int) {
	if len(b) < 8 {
		if length >= 8 {
			d.markTrunc(p, "truncated geneve header")
		}
		return
	}
	if b[0]>>6 != 0 {
		return
	}
	hlen := 8 + int(b[0]&0x3f)*4
	proto := binary.BigEndian.Uint16(b[2:4])
	if proto != etherTEB && proto != etherIPv4 && proto != etherIPv6 {
		return
	}
	if len(b) < hlen {
		if length >= hlen {
			d.markTrunc(p, "truncated geneve options")
		}
		return
	}
	vni := binary.BigEndian.Uint32(b[4:8]) >> 8
	d.enter(p, EncapGENEVE, vni, length-hlen, len(b)-hlen)
	switch proto {
	case etherTEB:
		d.decodeEthernet(p, b[hlen:])
	case etherIPv4:
		d.decodeIP(p, b[hlen:], 4)
	default:
		d.decodeIP(p, b[hlen:], 6)
	}
}

// enter resets p to describe the inner packet of a tunnel. innerLen is
// the inner frame length the outer headers state, captured the bytes of
// it present.
func (d *decoder) enter(p *Packet, e Encap, vni uint32, innerLen, captured int) {
	resetLayers(p)
	p.Encap = e
	p.VNI = vni
	d.depth++
	d.cut = max(innerLen-captured, 0)
}
