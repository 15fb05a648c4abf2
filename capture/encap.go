package capture

import "encoding/binary"

// EtherTypes of the encapsulations decoded in encap.go.
const (
	etherMPLS      = 0x8847
	etherMPLSMulti = 0x8848
	etherERSPAN2   = 0x88be // ERSPAN type II (and type I without the S bit)
	etherERSPAN3   = 0x22eb // ERSPAN type III
)

// maxMPLSLabels bounds the MPLS label stack walked.
const maxMPLSLabels = 16

// decodeGRE decapsulates a GRE packet (RFC 2784 with the RFC 2890 key and
// sequence fields): IPv4, IPv6, transparent Ethernet bridging, MPLS, and
// ERSPAN type II/III (mirrored Ethernet frames). Version 1 (PPTP) and other
// protocol types leave p as the outer GRE packet. b is the captured GRE
// header and payload, length its length on the wire.
func (d *decoder) decodeGRE(p *Packet, b []byte, length int) {
	if len(b) < 4 {
		return
	}
	flags := binary.BigEndian.Uint16(b[0:2])
	if flags&0x7 != 0 || flags&0x4000 != 0 { // version != 0, or source routing (RFC 1701)
		return
	}
	hlen := 4
	var key uint32
	if flags&0x8000 != 0 { // checksum present
		hlen += 4
	}
	if flags&0x2000 != 0 { // key present
		if len(b) >= hlen+4 {
			key = binary.BigEndian.Uint32(b[hlen : hlen+4])
		}
		hlen += 4
	}
	seq := flags&0x1000 != 0
	if seq {
		hlen += 4
	}
	proto := binary.BigEndian.Uint16(b[2:4])
	switch proto {
	case etherIPv4, etherIPv6, etherTEB, etherMPLS, etherMPLSMulti:
	case etherERSPAN2, etherERSPAN3:
		d.decodeERSPAN(p, b, hlen, length, proto, seq)
		return
	default:
		return
	}
	if len(b) < hlen {
		if length >= hlen {
			d.markTrunc(p, "truncated gre header")
		}
		return
	}
	d.enter(p, EncapGRE, key, length-hlen, len(b)-hlen)
	rest := b[hlen:]
	switch proto {
	case etherIPv4:
		d.decodeIP(p, rest, 4)
	case etherIPv6:
		d.decodeIP(p, rest, 6)
	case etherTEB:
		d.decodeEthernet(p, rest)
	default:
		d.decodeMPLS(p, rest)
	}
}

// decodeERSPAN decapsulates ERSPAN inside GRE starting at b[hlen:]: type
// II (8-byte header; type I, without the GRE sequence bit, has none) and
// type III (12 bytes, plus an 8-byte platform subheader when its O bit is
// set), followed by the mirrored Ethernet frame.
func (d *decoder) decodeERSPAN(p *Packet, b []byte, hlen, length int, proto uint16, seq bool) {
	var session uint32
	switch {
	case proto == etherERSPAN2 && !seq: // type I: no ERSPAN header
	case proto == etherERSPAN2:
		if len(b) >= hlen+4 {
			session = uint32(binary.BigEndian.Uint16(b[hlen+2:hlen+4]) & 0x3ff)
		}
		hlen += 8
	default:
		if len(b) >= hlen+12 {
			session = uint32(binary.BigEndian.Uint16(b[hlen+2:hlen+4]) & 0x3ff)
			if b[hlen+11]&0x01 != 0 { // O bit: platform-specific subheader
				hlen += 8
			}
		}
		hlen += 12
	}
	if len(b) < hlen {
		if length >= hlen {
			d.markTrunc(p, "truncated erspan header")
		}
		return
	}
	d.enter(p, EncapERSPAN, session, length-hlen, len(b)-hlen)
	d.decodeEthernet(p, b[hlen:])
}

// decodeMPLS walks an MPLS label stack (RFC 3032) to its bottom and decodes
// what follows: IPv4 or IPv6 by the version nibble, or a pseudowire control
// word (first nibble 0, RFC 4385) followed by an Ethernet frame.
func (d *decoder) decodeMPLS(p *Packet, b []byte) {
	for i := 0; ; i++ {
		if i == maxMPLSLabels {
			d.undecodable(p, "too many mpls labels")
			return
		}
		if len(b) < 4 {
			d.undecodable(p, "truncated mpls label")
			return
		}
		bottom := b[2]&0x01 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) < 1 {
		d.undecodable(p, "truncated mpls payload")
		return
	}
	switch b[0] >> 4 {
	case 4:
		d.decodeIP(p, b, 4)
	case 6:
		d.decodeIP(p, b, 6)
	case 0:
		if len(b) < 4 {
			d.undecodable(p, "truncated mpls payload")
			return
		}
		d.decodeEthernet(p, b[4:])
	default:
		p.Kind = KindNonIP
		p.Reason = "mpls payload"
	}
}
