// Package capture reads packet capture files (pcap, pcapng, gzip-compressed
// or not, several merged by timestamp, or standard input) and decodes each
// record into a flat Packet summary: addresses, ports, flags and the few
// fields the conversation table needs. It never keeps packets: callers pull
// one at a time from a Stream and reuse the Packet value.
package capture

import (
	"net/netip"
	"time"
)

// Kind says what a record turned out to be after decoding.
type Kind uint8

const (
	// KindIP is an IPv4 or IPv6 packet (possibly decapsulated from a tunnel).
	KindIP Kind = iota + 1
	// KindNonIP is a well-formed frame that carries no IP (ARP, LLDP, ...).
	KindNonIP
	// KindUndecodable is a record whose headers could not be decoded; Reason says why.
	KindUndecodable
)

// String returns "ip", "non-ip" or "undecodable".
func (k Kind) String() string {
	switch k {
	case KindIP:
		return "ip"
	case KindNonIP:
		return "non-ip"
	case KindUndecodable:
		return "undecodable"
	}
	return "unknown"
}

// Encap names the tunnel a packet was decapsulated from.
type Encap uint8

const (
	// EncapNone means the packet was not inside a tunnel (or --no-decap was given).
	EncapNone Encap = iota
	// EncapVXLAN means the packet was carried in VXLAN (VPC Traffic Mirroring).
	EncapVXLAN
	// EncapGENEVE means the packet was carried in GENEVE (Gateway Load Balancer).
	EncapGENEVE
	// EncapGRE means the packet was carried in GRE (IP protocol 47, RFC
	// 2784/2890: IPv4, IPv6, Ethernet or MPLS inside); VNI is the GRE key.
	EncapGRE
	// EncapERSPAN means the packet is mirrored traffic carried in ERSPAN
	// type II or III inside GRE; VNI is the ERSPAN session ID.
	EncapERSPAN
)

// String returns "", "vxlan", "geneve", "gre" or "erspan".
func (e Encap) String() string {
	switch e {
	case EncapVXLAN:
		return "vxlan"
	case EncapGENEVE:
		return "geneve"
	case EncapGRE:
		return "gre"
	case EncapERSPAN:
		return "erspan"
	}
	return ""
}

// HeadSize is the number of payload bytes a Packet keeps (Packet.Head):
// enough for an IKE header behind the 4-byte non-ESP marker.
const HeadSize = 24

// IP protocol numbers used throughout flowverify.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoGRE    uint8 = 47
	ProtoICMPv6 uint8 = 58
)

// TCP flag bits as they appear in the TCP header's flags byte.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
	TCPEce uint8 = 0x40
	TCPCwr uint8 = 0x80
)

// Quote is the IP/transport header quoted inside an ICMP or ICMPv6 error
// (destination unreachable, time exceeded, packet too big, parameter problem).
// Src/Dst/ports are those of the original packet that caused the error.
type Quote struct {
	Valid    bool
	Src, Dst netip.Addr
	Proto    uint8
	// HasPorts is true when the quoted transport header was long enough to
	// hold ports (TCP/UDP) or an echo identifier (ICMP echo).
	HasPorts         bool
	SrcPort, DstPort uint16
	// ICMPType and ICMPID describe a quoted ICMP echo (ICMPID is the identifier).
	ICMPType uint8
	ICMPID   uint16
}

// Packet is one decoded capture record. The zero value is ready to be
// filled by Stream.Next; every field is overwritten on each call.
type Packet struct {
	// File is the index of the file in Stream.Files() the record came from.
	File int
	// Frame is the 1-based record number within that file; every record
	// counts (including non-IP and undecodable ones), as in Wireshark.
	Frame int64
	// Time is the record's capture timestamp (UTC).
	Time time.Time
	// WireLen is the original length on the wire; CapLen the bytes saved.
	WireLen, CapLen int
	// LinkType is the record's link-layer header type (pcap LINKTYPE_*).
	LinkType uint16

	Kind Kind
	// Reason explains KindNonIP ("arp", "ethertype 0x88cc", ...) and
	// KindUndecodable ("truncated IPv4 header", ...). Always a constant or
	// small string; empty for ordinary IP packets.
	Reason string
	// Truncated is true when the capture cut the packet inside a header
	// that was needed (snaplen), so some fields below may be missing.
	Truncated bool

	// Encap and VNI describe the tunnel the packet was decapsulated from.
	Encap Encap
	VNI   uint32

	// Version is 4 or 6.
	Version  uint8
	Src, Dst netip.Addr
	// Proto is the transport protocol (after IPv6 extension headers).
	Proto uint8
	// ProtoUnknown is true when the capture cut the packet inside its IPv6
	// extension-header chain before the upper layer: Proto is then only the
	// last header reached (hop-by-hop, routing, ...), not the protocol a
	// NACL would see. Truncated is set and Reason says where it was cut.
	ProtoUnknown bool
	// IPLen is the IP packet length in bytes as the IP header states it
	// (header plus payload); the unit of all byte counters.
	IPLen int
	// IPID is the IPv4 identification or the IPv6 fragment identification.
	IPID uint32
	// Fragment is true for any fragment (first or not). FragOffset is in
	// 8-byte units; MoreFragments is the MF bit (IPv6 M flag).
	Fragment      bool
	FragOffset    uint16
	MoreFragments bool
	// FragmentAttributed is true for a non-first fragment whose first
	// fragment was seen: its ports (and ICMP fields) were copied from it.
	// A non-first fragment with FragmentAttributed false has no ports.
	FragmentAttributed bool

	// HasPorts is true for TCP/UDP packets whose ports are known.
	HasPorts         bool
	SrcPort, DstPort uint16
	// PortsOnly is true when only the ports of the transport header are
	// known: the capture cut it before the TCP flags (Truncated), or it is a
	// first fragment too short to hold them (RFC 1858's tiny fragment). The
	// ports are valid; TCPFlags, Seq and Ack are zero and unknown, and
	// PayloadLen is only what the IP header implies.
	PortsOnly bool
	// TCP header fields (valid when Proto is TCP, HasPorts and not PortsOnly).
	TCPFlags uint8
	Seq, Ack uint32
	// PayloadLen is the transport payload length per the IP/TCP/UDP headers.
	PayloadLen int
	// Head holds the first HeadLen bytes of the TCP or UDP payload (at most
	// HeadSize; fewer when the payload or the capture is shorter), copied so
	// that the conversation table can look at the first packets of a
	// conversation (DNS QR bit, TLS ClientHello, ...) without keeping frames.
	Head    [HeadSize]byte
	HeadLen uint8

	// ICMP fields (valid when Proto is ICMP or ICMPv6 and not a non-first fragment).
	HasICMP  bool
	ICMPType uint8
	ICMPCode uint8
	// ICMPID is the echo identifier for echo request/reply.
	ICMPID uint16
	// Quote is the quoted header of an ICMP error message.
	Quote Quote
}

// IsFirstFragmentOrWhole reports whether the packet carries its transport
// header (not a non-first fragment).
func (p *Packet) IsFirstFragmentOrWhole() bool { return !p.Fragment || p.FragOffset == 0 }
