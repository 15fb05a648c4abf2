package capture

import "encoding/binary"

// decodeTransport decodes the transport header of p (p.Proto) from l4,
// the captured bytes of the IP payload; length is the payload length the
// IP header states (len(l4) < length when the capture cut the packet).
func (d *decoder) decodeTransport(p *Packet, l4 []byte, length int) {
	if length < 0 {
		length = 0
	}
	if p.Fragment && p.FragOffset != 0 {
		p.PayloadLen = length
		d.frags.later(p)
		return
	}
	firstFrag := p.Fragment
	switch p.Proto {
	case ProtoTCP:
		d.decodeTCP(p, l4, length)
	case ProtoUDP:
		d.decodeUDP(p, l4, length)
	case ProtoICMP, ProtoICMPv6:
		d.decodeICMP(p, l4, length)
	case ProtoGRE:
		p.PayloadLen = length
		if !d.noDecap && !p.Fragment && d.depth < maxTunnelDepth {
			d.decodeGRE(p, l4, length)
		}
	default:
		p.PayloadLen = length
	}
	if firstFrag && p.Fragment && (p.HasPorts || p.HasICMP) {
		d.frags.first(p)
	}
}

// decodeTCP decodes a TCP header.
func (d *decoder) decodeTCP(p *Packet, l4 []byte, length int) {
	if len(l4) < 20 {
		d.shortTransport(p, l4, length, 20, "truncated tcp header")
		return
	}
	off := int(l4[12]>>4) * 4
	if off < 20 {
		d.undecodable(p, "tcp data offset < 20")
		return
	}
	p.HasPorts = true
	p.SrcPort = binary.BigEndian.Uint16(l4[0:2])
	p.DstPort = binary.BigEndian.Uint16(l4[2:4])
	p.Seq = binary.BigEndian.Uint32(l4[4:8])
	p.Ack = binary.BigEndian.Uint32(l4[8:12])
	p.TCPFlags = l4[13]
	if off > length {
		if p.Fragment {
			// The options continue in the next fragment (RFC 1858).
			p.Reason = "tcp header split across fragments"
			return
		}
		d.undecodable(p, "tcp header length exceeds ip payload")
		return
	}
	p.PayloadLen = max(length-off, 0)
	if off > len(l4) {
		d.markTrunc(p, "truncated tcp options")
		return
	}
	if p.PayloadLen > 0 {
		p.setHead(l4[off:min(len(l4), length)])
	}
}

// setHead keeps the first HeadSize bytes of the payload b in p.Head (one
// fixed-size move in the common case of a payload at least that long).
func (p *Packet) setHead(b []byte) {
	if len(b) >= HeadSize {
		p.Head = [HeadSize]byte(b[:HeadSize])
		p.HeadLen = HeadSize
		return
	}
	p.HeadLen = uint8(copy(p.Head[:], b))
}

// shortTransport handles a TCP or UDP header shorter than hdr bytes in the
// capture (l4) or in the IP packet (length). The ports are kept whenever
// their 4 bytes are there, TCP flags and sequence numbers when their 14
// bytes are (PortsOnly when they are not):
// for a header the snaplen cut (truncated), and for a first fragment too
// short to hold the header (RFC 1858's tiny fragment: "tcp header split
// across fragments"), whose later fragments then inherit the ports. A
// whole packet whose IP length leaves no room for the header is malformed.
func (d *decoder) shortTransport(p *Packet, l4 []byte, length, hdr int, reason string) {
	tiny := length < hdr && p.Fragment
	if len(l4) < 4 || length < 4 || (length < hdr && !tiny) {
		d.cutOrBad(p, length < hdr && !tiny, reason)
		return
	}
	p.HasPorts = true
	p.SrcPort = binary.BigEndian.Uint16(l4[0:2])
	p.DstPort = binary.BigEndian.Uint16(l4[2:4])
	p.PayloadLen = max(length-hdr, 0)
	if p.Proto == ProtoTCP && len(l4) >= 14 {
		// Sequence numbers and flags were captured too: only the options
		// (and the payload length, taken as if there were none) are unknown.
		p.Seq = binary.BigEndian.Uint32(l4[4:8])
		p.Ack = binary.BigEndian.Uint32(l4[8:12])
		p.TCPFlags = l4[13]
	} else {
		p.PortsOnly = true
	}
	if tiny {
		p.Reason = "tcp header split across fragments"
		if p.Proto == ProtoUDP {
			p.Reason = "udp header split across fragments"
		}
		return
	}
	d.markTrunc(p, reason)
}

// decodeUDP decodes a UDP header and decapsulates VXLAN/GENEVE.
func (d *decoder) decodeUDP(p *Packet, l4 []byte, length int) {
	if len(l4) < 8 {
		d.shortTransport(p, l4, length, 8, "truncated udp header")
		return
	}
	p.HasPorts = true
	p.SrcPort = binary.BigEndian.Uint16(l4[0:2])
	p.DstPort = binary.BigEndian.Uint16(l4[2:4])
	ulen := int(binary.BigEndian.Uint16(l4[4:6]))
	if ulen < 8 || ulen > length {
		// 0 is legal for jumbograms/GSO; a lying length is not worth
		// refusing the packet: the IP length rules.
		ulen = length
	}
	p.PayloadLen = ulen - 8
	payload := l4[8:min(ulen, len(l4))]
	p.setHead(payload)
	if d.noDecap || p.Fragment || d.depth >= maxTunnelDepth {
		return
	}
	switch {
	case p.DstPort == 6081:
		d.decodeGENEVE(p, payload, ulen-8)
	case d.isVXLAN(p.DstPort):
		d.decodeVXLAN(p, payload, ulen-8)
	}
}

// ICMP types with a quoted packet, and echo types.
func icmpQuotes(proto, typ uint8) bool {
	if proto == ProtoICMP {
		return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
	}
	return typ >= 1 && typ <= 4
}

func icmpEcho(proto, typ uint8) bool {
	if proto == ProtoICMP {
		return typ == 0 || typ == 8 || typ == 13 || typ == 14 || typ == 15 || typ == 16 || typ == 17 || typ == 18
	}
	return typ == 128 || typ == 129
}

// decodeICMP decodes an ICMP or ICMPv6 header and the header quoted by an error.
func (d *decoder) decodeICMP(p *Packet, l4 []byte, length int) {
	name := "truncated icmp header"
	if p.Proto == ProtoICMPv6 {
		name = "truncated icmpv6 header"
	}
	if len(l4) < 4 {
		if len(l4) >= 2 && length >= 4 {
			// Cut after type and code: a NACL's ICMP fields are known.
			p.HasICMP = true
			p.ICMPType, p.ICMPCode = l4[0], l4[1]
			p.PayloadLen = max(length-8, 0)
		}
		d.cutOrBad(p, length < 4, name)
		return
	}
	p.HasICMP = true
	p.ICMPType = l4[0]
	p.ICMPCode = l4[1]
	p.PayloadLen = max(length-8, 0)
	switch {
	case icmpEcho(p.Proto, p.ICMPType):
		if len(l4) < 8 {
			d.cutOrBad(p, length < 8, name)
			return
		}
		p.ICMPID = binary.BigEndian.Uint16(l4[4:6])
	case icmpQuotes(p.Proto, p.ICMPType) && len(l4) >= 8:
		decodeQuote(&p.Quote, l4[8:])
	}
}

// decodeQuote decodes the IP header (and the start of the transport
// header) quoted inside an ICMP error. Quotes are short by design, so
// missing bytes are not an anomaly: q.Valid says whether the IP header
// was complete, q.HasPorts whether the ports were quoted.
func decodeQuote(q *Quote, b []byte) {
	var l4 []byte
	if len(b) < 1 {
		return
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return
		}
		q.Src = addr4(b[12:16])
		q.Dst = addr4(b[16:20])
		q.Proto = b[9]
		if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
			q.Valid = true // a non-first fragment: no transport header
			return
		}
		l4 = b[ihl:]
	case 6:
		if len(b) < 40 {
			return
		}
		q.Src = addr16(b[8:24])
		q.Dst = addr16(b[24:40])
		next, off := b[6], 40
		for i := 0; i < maxIPv6ExtHeaders; i++ {
			if _, ext := ip6ExtLen(next, 0); !ext {
				break
			}
			if len(b)-off < 8 {
				q.Proto = next
				q.Valid = true
				return
			}
			hlen, _ := ip6ExtLen(next, b[off+1])
			if next == ip6Fragment && binary.BigEndian.Uint16(b[off+2:off+4])>>3 != 0 {
				q.Proto = b[off]
				q.Valid = true
				return
			}
			next = b[off]
			off += hlen
			if off > len(b) {
				q.Proto = next
				q.Valid = true
				return
			}
		}
		q.Proto = next
		l4 = b[off:]
	default:
		return
	}
	q.Valid = true
	switch q.Proto {
	case ProtoTCP, ProtoUDP:
		if len(l4) >= 4 {
			q.HasPorts = true
			q.SrcPort = binary.BigEndian.Uint16(l4[0:2])
			q.DstPort = binary.BigEndian.Uint16(l4[2:4])
		}
	case ProtoICMP, ProtoICMPv6:
		if len(l4) >= 1 {
			q.ICMPType = l4[0]
		}
		if len(l4) >= 6 && icmpEcho(q.Proto, q.ICMPType) {
			q.HasPorts = true
			q.ICMPID = binary.BigEndian.Uint16(l4[4:6])
		}
	}
}
