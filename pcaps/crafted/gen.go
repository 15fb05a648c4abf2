//go:build ignore

// gen writes the crafted captures of pcaps/crafted: one small file per
// decoding or client/server case of issue 10 that recorded traffic cannot
// show on demand (snaplen cuts inside headers, tiny fragments, rare IPv6
// extension headers, one-sided captures, tunnels and link types). It
// builds every byte itself, independently of the capture package, so that
// the decoder is tested against packets it did not write.
//
//	go run pcaps/crafted/gen.go [DIR]   # DIR defaults to pcaps/crafted
//
// The output is deterministic; README.md in DIR lists what each file holds.
package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// rec is one pcap record: data as captured, wire the original length
// (len(data) when 0).
type rec struct {
	data []byte
	wire int
}

// writePcap writes a classic little-endian microsecond pcap file.
func writePcap(path string, link uint32, recs []rec) {
	b := cat([]byte{0xd4, 0xc3, 0xb2, 0xa1}, []byte{2, 0, 4, 0}, make([]byte, 8))
	b = binary.LittleEndian.AppendUint32(b, 65535)
	b = binary.LittleEndian.AppendUint32(b, link)
	for i, r := range recs {
		wire := r.wire
		if wire == 0 {
			wire = len(r.data)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(1700000000+i/1000))
		b = binary.LittleEndian.AppendUint32(b, uint32(i%1000)*1000)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r.data)))
		b = binary.LittleEndian.AppendUint32(b, uint32(wire))
		b = append(b, r.data...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var (
	macA = []byte{0x02, 0, 0, 0, 0, 1}
	macB = []byte{0x02, 0, 0, 0, 0, 2}
)

func eth(etype uint16, payload []byte) []byte { return cat(macB, macA, be16(etype), payload) }

// ipv4 builds an IPv4 header (with opts, a multiple of 4 bytes) and payload.
func ipv4(src, dst string, proto uint8, id, frag uint16, opts, payload []byte) []byte {
	ihl := 20 + len(opts)
	h := make([]byte, ihl)
	h[0] = 0x40 | byte(ihl/4)
	binary.BigEndian.PutUint16(h[2:], uint16(ihl+len(payload)))
	binary.BigEndian.PutUint16(h[4:], id)
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	copy(h[20:], opts)
	var sum uint32
	for i := 0; i < ihl; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return append(h, payload...)
}

// ipv6 builds an IPv6 header whose first next-header is next.
func ipv6(src, dst string, next uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ext builds a generic IPv6 extension header of 8*(units+1) bytes.
func ext(next uint8, units int) []byte {
	b := make([]byte, 8*(units+1))
	b[0], b[1] = next, byte(units)
	if len(b) > 2 {
		b[2], b[3] = 1, byte(len(b)-4) // one PadN option filling the rest
	}
	return b
}

const (
	tcpFIN, tcpSYN, tcpRST, tcpPSH, tcpACK = 0x01, 0x02, 0x04, 0x08, 0x10
)

func tcp(sport, dport uint16, seq, ack uint32, flags uint8, payload []byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, payload...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	return cat(be16(sport), be16(dport), be16(uint16(8+len(payload))), be16(0), payload)
}

// cut keeps the first n bytes of frame and records its full length.
func cut(frame []byte, n int) rec { return rec{data: frame[:n], wire: len(frame)} }

// cutHeaders: snaplen cuts inside headers (item "cut headers" of issue 10).
func cutHeaders() []rec {
	data := make([]byte, 100)
	v6hbh := eth(0x86dd, ipv6("2001:db8::10", "2001:db8:1::20", 0, cat(ext(6, 1), tcp(40000, 443, 1, 0, tcpACK, data))))
	v4opts := eth(0x0800, ipv4("192.0.2.10", "10.0.1.20", 6, 1, 0, cat([]byte{7, 39, 4}, make([]byte, 37)), tcp(40001, 443, 1, 0, tcpACK, data)))
	v4tcp := eth(0x0800, ipv4("192.0.2.10", "10.0.1.20", 6, 2, 0, nil, tcp(40002, 443, 1, 0, tcpACK, data)))
	v4udp := eth(0x0800, ipv4("192.0.2.10", "10.0.1.20", 17, 3, 0, nil, udp(40003, 53, data)))
	v6tcp := eth(0x86dd, ipv6("2001:db8::10", "2001:db8:1::20", 6, tcp(40004, 443, 1, 0, tcpACK, data)))
	v6chain := eth(0x86dd, ipv6("2001:db8::10", "2001:db8:1::20", 60, cat(ext(43, 0), ext(17, 1), udp(40005, 53, data))))
	return []rec{
		cut(v6hbh, 14+40+6),        // 1: inside the 16-byte hop-by-hop header
		cut(v4opts, 14+20+12),      // 2: inside 20 bytes of IPv4 options
		cut(v4tcp, 14+20+10),       // 3: TCP cut after the ports
		cut(v4udp, 14+20+4),        // 4: UDP cut after the ports
		cut(v6tcp, 14+40+10),       // 5: IPv6 TCP cut after the ports
		cut(v6chain, 14+40+8+4),    // 6: inside the routing header, the second of two
		cut(v4tcp, 14+20+3),        // 7: TCP cut before the ports are complete
		{data: v4tcp},              // 8: the same packet whole
		cut(v6chain, 14+40+8+16+4), // 9: chain complete, UDP cut after the ports
	}
}

// fragments: a first fragment with only 8 bytes of TCP (RFC 1858), then
// the rest of the datagram, in IPv4 and IPv6.
func fragments() []rec {
	seg := tcp(40010, 22, 7, 9, tcpPSH|tcpACK, make([]byte, 52)) // 72 bytes
	f1 := eth(0x0800, ipv4("198.51.100.7", "10.0.1.20", 6, 77, 0x2000, nil, seg[:8]))
	f2 := eth(0x0800, ipv4("198.51.100.7", "10.0.1.20", 6, 77, 1, nil, seg[8:]))
	h6 := func(off uint16, more bool, payload []byte) []byte {
		fo := off << 3
		if more {
			fo |= 1
		}
		return eth(0x86dd, ipv6("2001:db8::7", "2001:db8:1::20", 44, cat([]byte{6, 0}, be16(fo), be32(78), payload)))
	}
	seg6 := tcp(40011, 22, 7, 9, tcpPSH|tcpACK, make([]byte, 52))
	return []rec{{data: f1}, {data: f2}, {data: h6(0, true, seg6[:8])}, {data: h6(1, false, seg6[8:])}}
}

// ipv6Ext: the RFC 7045 extension headers walked to the upper layer, and
// those that end the chain.
func ipv6Ext() []rec {
	src, dst := "2001:db8::10", "2001:db8:1::20"
	u := udp(40020, 53, []byte("q"))
	t := tcp(40021, 443, 1, 0, tcpSYN, nil)
	ah := cat([]byte{6, 4, 0, 0}, be32(0x100), be32(1), make([]byte, 12)) // AH, 24 bytes, next TCP
	mobility := []byte{59, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}   // MH binding update, payload proto 59
	return []rec{
		{data: eth(0x86dd, ipv6(src, dst, 135, mobility))},                                                                // 1: mobility, payload proto none: 59
		{data: eth(0x86dd, ipv6(src, dst, 60, cat(ext(135, 0), mobility)))},                                               // 2: dest opts + mobility: 59
		{data: eth(0x86dd, ipv6(src, dst, 139, cat(ext(17, 1), u)))},                                                      // 3: HIP then UDP
		{data: eth(0x86dd, ipv6(src, dst, 140, cat(ext(6, 0), t)))},                                                       // 4: shim6 then TCP
		{data: eth(0x86dd, ipv6(src, dst, 253, cat(ext(17, 0), u)))},                                                      // 5: experimental 253 then UDP
		{data: eth(0x86dd, ipv6(src, dst, 51, cat(ah, t)))},                                                               // 6: AH then TCP
		{data: eth(0x86dd, ipv6(src, dst, 50, cat(be32(0x100), be32(1), make([]byte, 40))))},                              // 7: ESP ends the chain: 50
		{data: eth(0x86dd, ipv6(src, dst, 0, cat(ext(43, 0), ext(60, 0), ext(135, 0), []byte{59, 0, 5, 0, 0, 0, 0, 0})))}, // 8: HBH, routing, dest, mobility: 59
	}
}

// v4 frames an IPv4 packet in Ethernet.
func v4(src, dst string, proto uint8, payload []byte) []byte {
	return eth(0x0800, ipv4(src, dst, proto, 1, 0, nil, payload))
}

// addrPort splits "a.b.c.d:port".
func addrPort(s string) (string, uint16) {
	ap := netip.MustParseAddrPort(s)
	return ap.Addr().String(), ap.Port()
}

// u is a UDP datagram from src to dst ("addr:port").
func u(src, dst string, payload []byte) rec {
	sa, sp := addrPort(src)
	da, dp := addrPort(dst)
	return rec{data: v4(sa, da, 17, udp(sp, dp, payload))}
}

// t is a TCP segment from src to dst.
func t(src, dst string, seq, ack uint32, flags uint8, payload []byte) rec {
	sa, sp := addrPort(src)
	da, dp := addrPort(dst)
	return rec{data: v4(sa, da, 6, tcp(sp, dp, seq, ack, flags, payload))}
}

func pad(b []byte, n int) []byte { return append(b, make([]byte, max(n-len(b), 0))...) }

// roles: the client/server cases of issue 10, one group of conversations
// each (pcaps/crafted/README.md lists the expected decisions).
func roles() []rec {
	var out []rec
	// 1. Fan-out: one cache manager port calls the same service on three
	// hosts; the hosts answer.
	for _, h := range []string{"10.0.1.1", "10.0.1.2", "10.0.1.3"} {
		out = append(out, u("10.0.0.9:7001", h+":7000", []byte("call")), u(h+":7000", "10.0.0.9:7001", []byte("reply")))
	}
	// 2. NFS over TCP, no handshake: the client sends from reserved port
	// 993 (also IMAPS) to 2049; ONC RPC call and reply.
	call := cat(be32(0x80000000|40), be32(0x1234), be32(0), be32(2), be32(100003), be32(3), be32(7), make([]byte, 16))
	reply := cat(be32(0x80000000|24), be32(0x1234), be32(1), be32(0), make([]byte, 12))
	out = append(out, t("10.0.0.5:993", "10.0.0.6:2049", 100, 200, tcpPSH|tcpACK, call), t("10.0.0.6:2049", "10.0.0.5:993", 200, 144, tcpPSH|tcpACK, reply))
	// 3. MPTCP subflows of one echo server on 10000, one packet each: the
	// server's ACK to one client, another client's ACK to the server.
	out = append(out, t("10.0.1.1:10000", "10.0.3.2:54737", 5, 6, tcpACK, nil), t("10.0.1.2:35924", "10.0.1.1:10000", 7, 8, tcpACK, nil))
	// 4. One-sided capture: a SYN, then data from the same side that
	// acknowledges the server's data (ldp-common-session.pcap's pattern).
	out = append(out, t("192.168.0.2:58321", "192.168.0.1:646", 1000, 0, tcpSYN, nil),
		t("192.168.0.2:58321", "192.168.0.1:646", 1001, 5001, tcpPSH|tcpACK, []byte("hello")),
		t("192.168.0.2:58321", "192.168.0.1:646", 1006, 5061, tcpPSH|tcpACK, []byte("again")))
	// 5. A bogus SYN+FIN from the server's port, then an ordinary exchange:
	// the invalid segment is no evidence.
	out = append(out, t("10.0.2.9:8080", "10.0.2.1:50000", 1, 0, tcpSYN|tcpFIN, nil),
		t("10.0.2.1:50000", "10.0.2.9:8080", 10, 20, tcpPSH|tcpACK, []byte("x")),
		t("10.0.2.9:8080", "10.0.2.1:50000", 20, 11, tcpPSH|tcpACK, []byte("y")))
	// 6. Payload evidence where ports say nothing or mislead; in each but
	// SSH the first captured packet comes from the server.
	dnsResp := cat(be16(0x77), []byte{0x81, 0x80}, be16(1), be16(1), be16(0), be16(0), []byte{0, 0, 1, 0, 1})
	out = append(out, u("10.0.3.2:53", "10.0.3.1:53", dnsResp))                                   // DNS 53<->53: response
	out = append(out, u("10.0.3.3:123", "10.0.3.4:123", pad([]byte{0x24, 2}, 48)))                // NTP v4 mode 4 (server)
	out = append(out, u("10.0.3.7:67", "10.0.3.8:67", pad([]byte{2, 1, 6, 0}, 240)))              // BOOTP reply between two port-67 agents
	serverHello := cat([]byte{0x16, 3, 3}, be16(60), []byte{2, 0, 0, 56, 3, 3}, make([]byte, 54)) // TLS ServerHello
	out = append(out, t("10.0.4.1:40443", "10.0.4.2:50000", 1, 1, tcpPSH|tcpACK, serverHello))
	out = append(out, t("10.0.4.3:50080", "10.0.4.4:45000", 1, 1, tcpPSH|tcpACK, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")))
	out = append(out, t("10.0.4.6:40000", "10.0.4.5:50022", 1, 1, tcpPSH|tcpACK, []byte("SSH-2.0-OpenSSH_9.6\r\n")),
		t("10.0.4.5:50022", "10.0.4.6:40000", 1, 22, tcpPSH|tcpACK, []byte("SSH-2.0-OpenSSH_9.2\r\n")))
	ikeResp := cat(be32(0x11111111), be32(0x11111111), be32(0x22222222), be32(0x22222222), []byte{33, 0x20, 34, 0x20}, be32(0), be32(28))
	out = append(out, u("10.0.5.1:500", "10.0.5.2:500", ikeResp)) // IKEv2 IKE_SA_INIT response (I clear, R set)
	ikeInit := cat(be32(0), be32(0x33333333), be32(0x33333333), be32(0), be32(0), []byte{33, 0x20, 34, 0x08}, be32(0), be32(28))
	out = append(out, u("10.0.5.3:4500", "10.0.5.4:4500", ikeInit)) // after the non-ESP marker: initiator
	quic := pad(cat([]byte{0xc3}, be32(1), []byte{8}, make([]byte, 8), []byte{0}, []byte{0}), 1200)
	out = append(out, u("10.0.6.1:45678", "10.0.6.2:54321", quic)) // QUIC v1 Initial from the client
	rpcReply := cat(be32(0x99), be32(1), be32(0), make([]byte, 12))
	out = append(out, u("10.0.7.2:111", "10.0.7.1:800", rpcReply)) // portmapper reply to a reserved client port
	return out
}

// mapped: IPv6 packets whose addresses are IPv4-mapped (::ffff:a.b.c.d);
// a NACL judges them as IPv6, never as IPv4.
func mapped() []rec {
	t6 := func(src, dst string, sport, dport uint16, flags uint8) rec {
		return rec{data: eth(0x86dd, ipv6(src, dst, 6, tcp(sport, dport, 1, 0, flags, nil)))}
	}
	u6 := func(src, dst string, sport, dport uint16) rec {
		return rec{data: eth(0x86dd, ipv6(src, dst, 17, udp(sport, dport, []byte("x"))))}
	}
	return []rec{
		t6("::ffff:203.0.113.9", "2001:db8:1::20", 40000, 443, tcpSYN),
		t6("2001:db8:1::20", "::ffff:203.0.113.9", 443, 40000, tcpSYN|tcpACK),
		t6("::ffff:203.0.113.9", "::ffff:10.0.1.20", 40001, 22, tcpSYN),
		t6("::ffff:10.0.1.20", "::ffff:169.254.169.254", 40002, 80, tcpSYN), // not the metadata service
		u6("::ffff:10.0.1.20", "::ffff:10.0.0.2", 40003, 53),                // not Amazon DNS
		u6("::ffff:169.254.1.1", "::ffff:10.0.1.20", 40004, 5353),           // not link-local
	}
}

// gre: GRE (RFC 2784/2890) carrying IPv4, IPv6 (with a key), Ethernet,
// MPLS, and ERSPAN type II and III mirrored frames; a PPTP (version 1)
// packet stays GRE.
func gre() []rec {
	inner4 := ipv4("10.9.0.1", "10.9.0.2", 6, 5, 0, nil, tcp(40100, 443, 1, 0, tcpSYN, nil))
	inner6 := ipv6("2001:db8:9::1", "2001:db8:9::2", 17, udp(40101, 53, []byte("q")))
	outer := func(greHdr, payload []byte) []byte {
		return eth(0x0800, ipv4("192.0.2.1", "192.0.2.2", 47, 9, 0, nil, cat(greHdr, payload)))
	}
	innerEth := eth(0x0800, ipv4("10.9.1.1", "10.9.1.2", 17, 6, 0, nil, udp(40102, 123, pad([]byte{0x23}, 48))))
	erspan2 := cat(be16(0x1000), be16(0x0000|77), be32(0))                   // ver 1, session 77
	erspan3 := cat(be16(0x2000), be16(0x0000|78), be32(0), be16(0), be16(0)) // ver 2, session 78, O bit clear
	mpls := cat([]byte{0, 0x01, 0x00, 64}, []byte{0, 0x02, 0x01, 64})        // two labels, bottom of stack on the second
	return []rec{
		{data: outer(cat(be16(0), be16(0x0800)), inner4)},                               // 1: GRE -> IPv4 TCP
		{data: outer(cat(be16(0x2000), be16(0x86dd), be32(1234)), inner6)},              // 2: GRE with key 1234 -> IPv6 UDP
		{data: outer(cat(be16(0), be16(0x6558)), innerEth)},                             // 3: GRE -> Ethernet (TEB)
		{data: outer(cat(be16(0x1000), be16(0x88be), be32(1)), cat(erspan2, innerEth))}, // 4: ERSPAN II
		{data: outer(cat(be16(0x1000), be16(0x22eb), be32(2)), cat(erspan3, innerEth))}, // 5: ERSPAN III
		{data: outer(cat(be16(0), be16(0x8847)), cat(mpls, inner4))},                    // 6: GRE -> MPLS -> IPv4
		{data: outer(cat(be16(0x3081), be16(0x880b), be16(0), be16(7), be32(1)), nil)},  // 7: PPTP GRE v1: not decapsulated
	}
}

// mplsFrames: MPLS over Ethernet (two labels then IPv4; one label, a
// pseudowire control word, then an Ethernet frame).
func mplsFrames() []rec {
	inner4 := ipv4("10.8.0.1", "10.8.0.2", 6, 5, 0, nil, tcp(40200, 22, 1, 0, tcpSYN, nil))
	innerEth := eth(0x86dd, ipv6("2001:db8:8::1", "2001:db8:8::2", 6, tcp(40201, 80, 1, 0, tcpSYN, nil)))
	return []rec{
		{data: eth(0x8847, cat([]byte{0, 0x01, 0x00, 64}, []byte{0, 0x02, 0x01, 64}, inner4))},
		{data: eth(0x8847, cat([]byte{0, 0x03, 0x01, 64}, be32(0), innerEth))},
	}
}

// nflog: Linux NFLOG records (little-endian TLVs): a prefix TLV, then the
// payload TLV holding an IPv4 packet; an IPv6 one; one without payload;
// an IPv4 one with big-endian TLVs.
func nflog() []rec {
	tlv := func(typ uint16, v []byte) []byte {
		l := 4 + len(v)
		b := cat([]byte{byte(l), byte(l >> 8), byte(typ), byte(typ >> 8)}, v)
		return append(b, make([]byte, (4-l%4)%4)...)
	}
	p4 := ipv4("10.7.0.1", "10.7.0.2", 6, 5, 0, nil, tcp(40300, 443, 1, 0, tcpSYN, nil))
	p6 := ipv6("2001:db8:7::1", "2001:db8:7::2", 17, udp(40301, 53, []byte("q")))
	tlvBE := func(typ uint16, v []byte) []byte { // as a big-endian host writes them
		l := 4 + len(v)
		b := cat(be16(uint16(l)), be16(typ), v)
		return append(b, make([]byte, (4-l%4)%4)...)
	}
	return []rec{
		{data: cat([]byte{2, 0, 0, 1}, tlv(10, []byte("drop\x00")), tlv(9, p4))},
		{data: cat([]byte{10, 0, 0, 1}, tlv(1, make([]byte, 4)), tlv(9, p6))},
		{data: cat([]byte{2, 0, 0, 1}, tlv(10, []byte("x\x00")))},
		{data: cat([]byte{2, 0, 0, 1}, tlvBE(1, make([]byte, 4)), tlvBE(9, p4))},
	}
}

// pktap: Apple PKTAP records: a 108-byte header naming DLT_EN10MB, then
// an Ethernet frame.
func pktap() []rec {
	h := make([]byte, 108)
	binary.LittleEndian.PutUint32(h[0:], 108)
	binary.LittleEndian.PutUint32(h[4:], 1) // PTH_TYPE_PACKET
	binary.LittleEndian.PutUint32(h[8:], 1) // DLT_EN10MB
	copy(h[12:], "en0")
	frame := eth(0x0800, ipv4("10.6.0.1", "10.6.0.2", 6, 5, 0, nil, tcp(40400, 443, 1, 0, tcpSYN, nil)))
	return []rec{{data: cat(h, frame)}}
}

func main() {
	dir := "pcaps/crafted"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files := []struct {
		name string
		link uint32
		recs []rec
	}{
		{"cut-headers.pcap", 1, cutHeaders()},
		{"tiny-fragments.pcap", 1, fragments()},
		{"ipv6-ext.pcap", 1, ipv6Ext()},
		{"roles.pcap", 1, roles()},
		{"mapped.pcap", 1, mapped()},
		{"gre.pcap", 1, gre()},
		{"mpls.pcap", 1, mplsFrames()},
		{"nflog.pcap", 239, nflog()},
		{"pktap.pcap", 258, pktap()},
		{"radiotap.pcap", 127, []rec{{data: make([]byte, 40)}}},
	}
	for _, f := range files {
		writePcap(filepath.Join(dir, f.name), f.link, f.recs)
	}
}
