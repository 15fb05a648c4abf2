package capture

import (
	"encoding/binary"
	"net/netip"
)

// maxIPv6ExtHeaders bounds the IPv6 extension-header chain walked.
const maxIPv6ExtHeaders = 16

// IPv6 extension header numbers: the IANA "IPv6 Extension Header Types"
// registry that RFC 7045 refers to.
//
// Walked (the protocol a NACL sees is the header after them): hop-by-hop
// options (0), routing (43), fragment (44), authentication header (51),
// destination options (60), mobility (135), HIP (139), shim6 (140) and the
// two experimental values 253 and 254 (RFC 3692, in the uniform format of
// RFC 6564). End the chain: ESP (50, the rest is encrypted: protocol 50),
// no next header (59: protocol 59), and every other value, which is the
// upper-layer protocol.
const (
	ip6HopByHop = 0
	ip6Routing  = 43
	ip6Fragment = 44
	ip6ESP      = 50
	ip6AH       = 51
	ip6NoNext   = 59
	ip6DestOpts = 60
	ip6Mobility = 135
	ip6HIP      = 139
	ip6Shim6    = 140
	ip6Exp1     = 253
	ip6Exp2     = 254
)

// ip6ExtLen returns the length of the IPv6 extension header next whose
// first two bytes are b0 and b1 (next header, length field), and false
// when next is not a walked extension header (see the constants above).
// The fragment header is always 8 bytes.
func ip6ExtLen(next, b1 uint8) (int, bool) {
	switch next {
	case ip6HopByHop, ip6Routing, ip6DestOpts, ip6Mobility, ip6HIP, ip6Shim6, ip6Exp1, ip6Exp2:
		return (int(b1) + 1) * 8, true
	case ip6AH:
		return (int(b1) + 2) * 4, true
	case ip6Fragment:
		return 8, true
	}
	return 0, false
}

// decodeIP decodes an IPv4 or IPv6 packet. want is 4 or 6 when the link
// layer says which, 0 when the version nibble decides.
func (d *decoder) decodeIP(p *Packet, data []byte, want uint8) {
	if len(data) < 1 {
		d.undecodable(p, "truncated ip header")
		return
	}
	v := data[0] >> 4
	if want != 0 && v != want {
		if want == 4 {
			d.undecodable(p, "ipv4 version mismatch")
		} else {
			d.undecodable(p, "ipv6 version mismatch")
		}
		return
	}
	// Bytes of this IP packet that were on the wire (the captured bytes
	// plus what the snaplen cut off).
	wire := len(data) + d.cut
	switch v {
	case 4:
		d.decodeIPv4(p, data, wire)
	case 6:
		d.decodeIPv6(p, data, wire)
	default:
		d.undecodable(p, "bad ip version")
	}
}

// decodeIPv4 decodes an IPv4 header; wire is the packet's length on the wire.
// A header whose options the capture cut (snaplen) still gives addresses,
// protocol and fragment fields: the packet is judged by those, without
// ports, and marked truncated ("truncated ipv4 options").
func (d *decoder) decodeIPv4(p *Packet, data []byte, wire int) {
	if len(data) < 20 {
		d.undecodable(p, "truncated ipv4 header")
		return
	}
	ihl := int(data[0]&0x0f) * 4
	if ihl < 20 {
		d.undecodable(p, "ipv4 header length < 20")
		return
	}
	total := int(binary.BigEndian.Uint16(data[2:4]))
	if len(data) < ihl && (d.cut == 0 || ihl > wire || (total != 0 && total < ihl)) {
		// The header claims more bytes than the packet has: malformed.
		d.undecodable(p, "truncated ipv4 options")
		return
	}
	p.Kind = KindIP
	p.Version = 4
	p.Src = netip.AddrFrom4([4]byte(data[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(data[16:20]))
	p.Proto = data[9]
	p.IPID = uint32(binary.BigEndian.Uint16(data[4:6]))
	switch {
	case total == 0:
		// TSO/GSO super-packet captured before segmentation.
		total = wire
	case total < ihl:
		p.Kind = KindUndecodable
		p.Reason = "ipv4 total length < header length"
		return
	case total > wire:
		p.Truncated = true
		p.Reason = "ipv4 total length exceeds frame"
		total = wire
	}
	p.IPLen = total
	frag := binary.BigEndian.Uint16(data[6:8])
	p.MoreFragments = frag&0x2000 != 0
	p.FragOffset = frag & 0x1fff
	p.Fragment = p.MoreFragments || p.FragOffset != 0
	if len(data) < ihl {
		// Cut by the snaplen inside the options.
		d.markTrunc(p, "truncated ipv4 options")
		if p.FragOffset != 0 {
			d.decodeTransport(p, nil, total-ihl) // attribution needs no payload
		} else {
			p.PayloadLen = total - ihl
		}
		return
	}
	end := min(total, len(data))
	d.decodeTransport(p, data[ihl:end], total-ihl)
}

// decodeIPv6 decodes an IPv6 header and its extension-header chain. A
// chain the capture cut (snaplen) before the upper layer leaves Proto at
// the last header reached with ProtoUnknown set and the packet truncated;
// a chain the IP length itself cuts is malformed (undecodable).
func (d *decoder) decodeIPv6(p *Packet, data []byte, wire int) {
	if len(data) < 40 {
		d.undecodable(p, "truncated ipv6 header")
		return
	}
	p.Kind = KindIP
	p.Version = 6
	p.Src = netip.AddrFrom16([16]byte(data[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(data[24:40]))
	plen := int(binary.BigEndian.Uint16(data[4:6]))
	total := 40 + plen
	switch {
	case plen == 0:
		// Jumbogram or GSO super-packet: use what was on the wire.
		total = wire
	case total > wire:
		p.Truncated = true
		p.Reason = "ipv6 payload length exceeds frame"
		total = wire
	}
	p.IPLen = total
	end := min(total, len(data))
	next := data[6]
	off := 40
	for i := 0; ; i++ {
		if i == maxIPv6ExtHeaders {
			p.Proto = next
			d.undecodable(p, "too many ipv6 extension headers")
			return
		}
		if _, ext := ip6ExtLen(next, 0); !ext {
			p.Proto = next
			d.decodeTransport(p, data[off:end], total-off)
			return
		}
		need := 2
		if next == ip6Fragment {
			need = 8
		}
		if end-off < need {
			d.cutChain(p, next, off+need > total)
			return
		}
		hlen, _ := ip6ExtLen(next, data[off+1])
		if next == ip6Fragment {
			fo := binary.BigEndian.Uint16(data[off+2 : off+4])
			p.FragOffset = fo >> 3
			p.MoreFragments = fo&1 != 0
			// An atomic fragment (offset 0, no more) is a whole datagram.
			p.Fragment = p.FragOffset != 0 || p.MoreFragments
			p.IPID = binary.BigEndian.Uint32(data[off+4 : off+8])
		}
		if off+hlen > end {
			d.cutChain(p, next, off+hlen > total)
			return
		}
		next = data[off]
		off += hlen
		if p.Fragment && p.FragOffset != 0 {
			// Non-first fragment: the rest is payload of the first.
			p.Proto = next
			d.decodeTransport(p, data[off:end], total-off)
			return
		}
	}
}

// cutChain ends an IPv6 extension-header chain cut inside header next:
// malformed when bad (the IP length ends there), else cut by the capture,
// which leaves the upper-layer protocol unknown.
func (d *decoder) cutChain(p *Packet, next uint8, bad bool) {
	p.Proto = next
	reason := "truncated ipv6 extension header"
	if next == ip6Fragment {
		reason = "truncated ipv6 fragment header"
	}
	if bad {
		d.undecodable(p, reason)
		return
	}
	p.ProtoUnknown = true
	d.markTrunc(p, reason)
}
