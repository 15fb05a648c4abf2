package capture

import (
	"encoding/binary"
	"strconv"
)

// Link-layer header types (pcap LINKTYPE_* values) the decoder understands.
const (
	LinkTypeNull     uint16 = 0   // BSD loopback, host byte order of the writer
	LinkTypeEthernet uint16 = 1   // Ethernet II, 802.1Q/802.1ad tags followed
	LinkTypeRaw12    uint16 = 12  // raw IP (DLT_RAW on most systems)
	LinkTypeRaw14    uint16 = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkTypeRaw      uint16 = 101 // raw IPv4 or IPv6 (LINKTYPE_RAW)
	LinkTypeLoop     uint16 = 108 // OpenBSD loopback, network byte order
	LinkTypeLinuxSLL uint16 = 113 // Linux cooked capture v1
	LinkTypeIPv4     uint16 = 228 // raw IPv4 only
	LinkTypeIPv6     uint16 = 229 // raw IPv6 only
	LinkTypeNFLOG    uint16 = 239 // Linux netfilter NFLOG (iptables/nftables log target)
	LinkTypePKTAP    uint16 = 258 // Apple PKTAP (macOS tcpdump -i any / -k)
	LinkTypeSLL2     uint16 = 276 // Linux cooked capture v2 (tcpdump -i any)
)

// EtherTypes the decoder follows.
const (
	etherIPv4    = 0x0800
	etherARP     = 0x0806
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	etherQinQOld = 0x9100
	etherIPv6    = 0x86dd
	etherTEB     = 0x6558 // transparent Ethernet bridging (GENEVE inner Ethernet)
)

// maxVLANTags bounds the number of stacked 802.1Q/802.1ad tags followed.
const maxVLANTags = 8

// SupportedLinkType reports whether records of link type lt are decoded.
func SupportedLinkType(lt uint16) bool {
	switch lt {
	case LinkTypeNull, LinkTypeEthernet, LinkTypeRaw12, LinkTypeRaw14, LinkTypeRaw,
		LinkTypeLoop, LinkTypeLinuxSLL, LinkTypeIPv4, LinkTypeIPv6, LinkTypeSLL2, LinkTypeNFLOG, LinkTypePKTAP:
		return true
	}
	return false
}

// decodeLink decodes a frame of link type lt starting at data[0].
func (d *decoder) decodeLink(p *Packet, lt uint16, data []byte) {
	switch lt {
	case LinkTypeEthernet:
		d.decodeEthernet(p, data)
	case LinkTypeRaw, LinkTypeRaw12, LinkTypeRaw14:
		d.decodeIP(p, data, 0)
	case LinkTypeIPv4:
		d.decodeIP(p, data, 4)
	case LinkTypeIPv6:
		d.decodeIP(p, data, 6)
	case LinkTypeNull, LinkTypeLoop:
		d.decodeNull(p, data)
	case LinkTypeLinuxSLL:
		d.decodeSLL(p, data)
	case LinkTypeSLL2:
		d.decodeSLL2(p, data)
	case LinkTypeNFLOG:
		d.decodeNFLOG(p, data)
	case LinkTypePKTAP:
		d.decodePKTAP(p, data)
	default:
		p.Kind = KindUndecodable
		p.Reason = d.names.linkType(lt)
	}
}

// decodeEthernet decodes an Ethernet II frame (with any VLAN tags).
func (d *decoder) decodeEthernet(p *Packet, data []byte) {
	if len(data) < 14 {
		d.undecodable(p, "truncated ethernet header")
		return
	}
	d.decodeEtherType(p, binary.BigEndian.Uint16(data[12:14]), data[14:], true)
}

// decodeEtherType follows an EtherType (and VLAN tags when vlan is true).
func (d *decoder) decodeEtherType(p *Packet, et uint16, rest []byte, vlan bool) {
	for tags := 0; vlan && (et == etherVLAN || et == etherQinQ || et == etherQinQOld); tags++ {
		if tags == maxVLANTags {
			d.undecodable(p, "too many vlan tags")
			return
		}
		if len(rest) < 4 {
			d.undecodable(p, "truncated vlan tag")
			return
		}
		et = binary.BigEndian.Uint16(rest[2:4])
		rest = rest[4:]
	}
	switch {
	case et == etherIPv4:
		d.decodeIP(p, rest, 4)
	case et == etherIPv6:
		d.decodeIP(p, rest, 6)
	case et == etherMPLS || et == etherMPLSMulti:
		d.decodeMPLS(p, rest)
	case et == etherARP:
		p.Kind = KindNonIP
		p.Reason = "arp"
	case et < 0x0600:
		p.Kind = KindNonIP
		p.Reason = "llc"
	default:
		p.Kind = KindNonIP
		p.Reason = d.names.etherType(et)
	}
}

// decodeNull decodes BSD loopback (NULL: host byte order of the writer;
// LOOP: network byte order). Either byte order is accepted for both.
func (d *decoder) decodeNull(p *Packet, data []byte) {
	if len(data) < 4 {
		d.undecodable(p, "truncated loopback header")
		return
	}
	fam := binary.LittleEndian.Uint32(data[:4])
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(data[:4])
	}
	switch fam {
	case 2: // AF_INET everywhere
		d.decodeIP(p, data[4:], 4)
	case 10, 24, 28, 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, Darwin
		d.decodeIP(p, data[4:], 6)
	default:
		p.Kind = KindNonIP
		p.Reason = "loopback family " + d.names.small(fam)
	}
}

// decodeSLL decodes a Linux cooked (SLL, 16-byte) header.
func (d *decoder) decodeSLL(p *Packet, data []byte) {
	if len(data) < 16 {
		d.undecodable(p, "truncated sll header")
		return
	}
	d.decodeSLLProto(p, binary.BigEndian.Uint16(data[2:4]), binary.BigEndian.Uint16(data[14:16]), data[16:])
}

// decodeSLL2 decodes a Linux cooked v2 (SLL2, 20-byte) header.
func (d *decoder) decodeSLL2(p *Packet, data []byte) {
	if len(data) < 20 {
		d.undecodable(p, "truncated sll2 header")
		return
	}
	d.decodeSLLProto(p, binary.BigEndian.Uint16(data[8:10]), binary.BigEndian.Uint16(data[0:2]), data[20:])
}

// decodeSLLProto follows the protocol field of a cooked header whose
// ARPHRD type is hatype.
func (d *decoder) decodeSLLProto(p *Packet, hatype, proto uint16, rest []byte) {
	switch hatype {
	case 824: // ARPHRD_NETLINK
		p.Kind = KindNonIP
		p.Reason = "netlink"
		return
	}
	if proto < 0x0600 {
		// 1 = Novell 802.3, 4 = 802.2 LLC, others: CAN, etc.
		p.Kind = KindNonIP
		p.Reason = "llc"
		return
	}
	d.decodeEtherType(p, proto, rest, true)
}

// nameCache turns rare numeric reasons into strings without allocating
// on every packet. It is bounded: past its size, a generic name is used.
type nameCache struct {
	m map[uint32]string
}

const nameCacheMax = 512

func (c *nameCache) get(key uint32, build func() string, overflow string) string {
	if s, ok := c.m[key]; ok {
		return s
	}
	if c.m == nil {
		c.m = map[uint32]string{}
	}
	if len(c.m) >= nameCacheMax {
		return overflow
	}
	s := build()
	c.m[key] = s
	return s
}

// etherType returns "ethertype 0xNNNN".
func (c *nameCache) etherType(et uint16) string {
	return c.get(uint32(et), func() string {
		const hex = "0123456789abcdef"
		b := []byte("ethertype 0x0000")
		for i := 0; i < 4; i++ {
			b[len(b)-1-i] = hex[(et>>(4*i))&0xf]
		}
		return string(b)
	}, "other ethertype")
}

// linkType returns "unsupported link type N (NAME)", or without the name
// when LinkTypeName knows none.
func (c *nameCache) linkType(lt uint16) string {
	return c.get(1<<20|uint32(lt), func() string {
		s := "unsupported link type " + strconv.Itoa(int(lt))
		if n := LinkTypeName(lt); n != "" {
			s += " (" + n + ")"
		}
		return s
	}, "unsupported link type")
}

// linkTypeNames are the tcpdump.org LINKTYPE_ names of the link types
// decoded and of those that real captures commonly hold.
var linkTypeNames = map[uint16]string{
	0: "NULL", 1: "ETHERNET", 6: "IEEE802_5", 8: "SLIP", 9: "PPP", 10: "FDDI", 12: "RAW", 14: "RAW",
	50: "PPP_HDLC", 51: "PPP_ETHER", 101: "RAW", 104: "C_HDLC", 105: "IEEE802_11", 107: "FRELAY", 108: "LOOP",
	113: "LINUX_SLL", 114: "LTALK", 117: "PFLOG", 119: "IEEE802_11_PRISM", 122: "IP_OVER_FC", 127: "IEEE802_11_RADIOTAP",
	138: "APPLE_IP_OVER_IEEE1394", 139: "MTP2_WITH_PHDR", 140: "MTP2", 141: "MTP3", 142: "SCCP", 143: "DOCSIS",
	144: "LINUX_IRDA", 161: "USER14", 163: "IEEE802_11_AVS", 165: "BACNET_MS_TP", 166: "PPP_PPPD",
	169: "GPRS_LLC", 177: "LINUX_LAPD", 187: "BLUETOOTH_HCI_H4", 189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4_WITHFCS",
	197: "ERF", 201: "BLUETOOTH_HCI_H4_WITH_PHDR", 215: "IEEE802_15_4_NONASK_PHY", 220: "USB_LINUX_MMAPPED",
	227: "CAN_SOCKETCAN", 228: "IPV4", 229: "IPV6", 230: "IEEE802_15_4_NOFCS", 235: "DVB_CI", 239: "NFLOG",
	240: "NETANALYZER", 241: "NETANALYZER_TRANSPARENT", 242: "IPOIB", 247: "INFINIBAND", 249: "USBPCAP",
	251: "BLUETOOTH_LE_LL", 253: "NETLINK", 254: "BLUETOOTH_LINUX_MONITOR", 256: "BLUETOOTH_LE_LL_WITH_PHDR",
	258: "PKTAP", 259: "EPON", 263: "NORDIC_BLE", 264: "DOCSIS31_XRA31", 266: "DECT", 268: "ZWAVE_R1_R2",
	270: "WATTSTOPPER_DLM", 273: "ELEE", 275: "IEEE802_15_4_TAP", 276: "LINUX_SLL2", 281: "ETW", 288: "EDK2_MM",
}

// LinkTypeName returns the tcpdump.org LINKTYPE_ name of lt ("ETHERNET",
// "IEEE802_11_RADIOTAP", ...), or "" for a value it does not list.
func LinkTypeName(lt uint16) string {
	if lt >= 147 && lt <= 162 {
		return "USER" + strconv.Itoa(int(lt-147))
	}
	return linkTypeNames[lt]
}

// decodeNFLOG decodes a Linux NFLOG record: a 4-byte header (address
// family, version 0, resource ID) and TLVs whose length and type are in the
// writer's byte order (both are tried); the NFULA_PAYLOAD TLV (type 9)
// holds the IP packet. A record without one is non-IP ("nflog without
// payload").
func (d *decoder) decodeNFLOG(p *Packet, data []byte) {
	if len(data) < 4 {
		d.undecodable(p, "truncated nflog header")
		return
	}
	var want uint8
	switch data[0] {
	case 2:
		want = 4
	case 10:
		want = 6
	default:
		p.Kind = KindNonIP
		p.Reason = "nflog family " + d.names.small(uint32(data[0]))
		return
	}
	b := data[4:]
	// The first TLV (normally NFULA_PACKET_HDR) tells the byte order: its
	// length read the wrong way round is below 4 or beyond the record.
	le := true
	if len(b) >= 4 {
		if l := int(binary.LittleEndian.Uint16(b[0:2])); l < 4 || l > len(b) {
			le = false
		}
	}
	for len(b) >= 4 {
		tl, tt := binary.LittleEndian.Uint16(b[0:2]), binary.LittleEndian.Uint16(b[2:4])
		if !le {
			tl, tt = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
		}
		if tl < 4 {
			d.undecodable(p, "bad nflog tlv length")
			return
		}
		if tt&0x7fff == 9 { // NFULA_PAYLOAD
			end := min(int(tl), len(b))
			// Bytes the snaplen cut from the payload are the IP packet's.
			d.decodeIP(p, b[4:end], want)
			return
		}
		step := (int(tl) + 3) &^ 3
		if step > len(b) {
			break
		}
		b = b[step:]
	}
	p.Kind = KindNonIP
	p.Reason = "nflog without payload"
}

// decodePKTAP decodes an Apple PKTAP record: a header of pth_length bytes
// (little-endian, as macOS writes it) whose pth_dlt field names the link
// type of the packet that follows (Ethernet, NULL, RAW, ...).
func (d *decoder) decodePKTAP(p *Packet, data []byte) {
	if len(data) < 12 {
		d.undecodable(p, "truncated pktap header")
		return
	}
	hl := binary.LittleEndian.Uint32(data[0:4])
	if hl < 12 || int(hl) > len(data) {
		d.undecodable(p, "bad pktap header length")
		return
	}
	dlt := binary.LittleEndian.Uint32(data[8:12])
	if dlt == uint32(LinkTypePKTAP) || dlt > 0xffff {
		d.undecodable(p, "bad pktap link type")
		return
	}
	d.decodeLink(p, uint16(dlt), data[hl:])
}

// small returns the decimal form of n.
func (c *nameCache) small(n uint32) string {
	if n > 0xffff {
		return "other"
	}
	return c.get(2<<20|n, func() string { return strconv.Itoa(int(n)) }, "other")
}
