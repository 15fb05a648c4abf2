package capture

import (
	"net/netip"
	"testing"
)

// want lists the decoded fields a table case checks.
type want struct {
	kind      Kind
	reason    string
	truncated bool
	encap     Encap
	vni       uint32
	version   uint8
	src, dst  string
	proto     uint8
	ports     [2]uint16 // checked when hasPorts
	hasPorts  bool
	ipLen     int
}

func checkPacket(t *testing.T, name string, p Packet, w want) {
	t.Helper()
	if p.Kind != w.kind || p.Reason != w.reason || p.Truncated != w.truncated {
		t.Errorf("%s: kind/reason/truncated = %v %q %v, want %v %q %v", name, p.Kind, p.Reason, p.Truncated, w.kind, w.reason, w.truncated)
	}
	if p.Encap != w.encap || p.VNI != w.vni {
		t.Errorf("%s: encap = %v/%d, want %v/%d", name, p.Encap, p.VNI, w.encap, w.vni)
	}
	if w.version == 0 {
		return
	}
	if p.Version != w.version || p.Src != netip.MustParseAddr(w.src) || p.Dst != netip.MustParseAddr(w.dst) || p.Proto != w.proto {
		t.Errorf("%s: ip = v%d %v > %v proto %d, want v%d %s > %s proto %d", name, p.Version, p.Src, p.Dst, p.Proto, w.version, w.src, w.dst, w.proto)
	}
	if p.HasPorts != w.hasPorts || (w.hasPorts && (p.SrcPort != w.ports[0] || p.DstPort != w.ports[1])) {
		t.Errorf("%s: ports = %v %d>%d, want %v %v", name, p.HasPorts, p.SrcPort, p.DstPort, w.hasPorts, w.ports)
	}
	if w.ipLen != 0 && p.IPLen != w.ipLen {
		t.Errorf("%s: IPLen = %d, want %d", name, p.IPLen, w.ipLen)
	}
}

func TestDecodeLinkTypes(t *testing.T) {
	v4tcp := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP}.build(tcp(40000, 443, TCPSyn, nil))
	v6udp := ip6("2001:db8::1", "2001:db8::2", ProtoUDP, udp(5353, 53, []byte("q")))
	tcpWant := want{kind: KindIP, version: 4, src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP, hasPorts: true, ports: [2]uint16{40000, 443}, ipLen: 40}
	udpWant := want{kind: KindIP, version: 6, src: "2001:db8::1", dst: "2001:db8::2", proto: ProtoUDP, hasPorts: true, ports: [2]uint16{5353, 53}, ipLen: 49}
	sll := func(proto uint16, p []byte) []byte {
		return cat(be16(0), be16(1), be16(6), macA, []byte{0, 0}, be16(proto), p)
	}
	sll2 := func(proto uint16, p []byte) []byte {
		return cat(be16(proto), be16(0), be32(3), be16(1), []byte{0, 6}, macA, []byte{0, 0}, p)
	}
	le32 := func(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	cases := []struct {
		name string
		lt   uint16
		data []byte
		want want
	}{
		{"ethernet ipv4 tcp", LinkTypeEthernet, eth(etherIPv4, v4tcp), tcpWant},
		{"ethernet ipv6 udp", LinkTypeEthernet, eth(etherIPv6, v6udp), udpWant},
		{"802.1q", LinkTypeEthernet, eth(etherVLAN, cat(be16(100), be16(etherIPv4), v4tcp)), tcpWant},
		{"802.1ad qinq", LinkTypeEthernet, eth(etherQinQ, cat(be16(100), be16(etherVLAN), be16(200), be16(etherIPv4), v4tcp)), tcpWant},
		{"three tags", LinkTypeEthernet, eth(etherQinQ, cat(be16(1), be16(etherVLAN), be16(2), be16(etherVLAN), be16(3), be16(etherIPv6), v6udp)), udpWant},
		{"arp", LinkTypeEthernet, eth(etherARP, make([]byte, 28)), want{kind: KindNonIP, reason: "arp"}},
		{"lldp", LinkTypeEthernet, eth(0x88cc, make([]byte, 20)), want{kind: KindNonIP, reason: "ethertype 0x88cc"}},
		{"802.3 llc", LinkTypeEthernet, eth(46, make([]byte, 46)), want{kind: KindNonIP, reason: "llc"}},
		{"short ethernet", LinkTypeEthernet, make([]byte, 13), want{kind: KindUndecodable, reason: "truncated ethernet header"}},
		{"cut vlan", LinkTypeEthernet, eth(etherVLAN, []byte{0}), want{kind: KindUndecodable, reason: "truncated vlan tag"}},
		{"sll ipv4", LinkTypeLinuxSLL, sll(etherIPv4, v4tcp), tcpWant},
		{"sll llc", LinkTypeLinuxSLL, sll(4, make([]byte, 10)), want{kind: KindNonIP, reason: "llc"}},
		{"sll short", LinkTypeLinuxSLL, make([]byte, 15), want{kind: KindUndecodable, reason: "truncated sll header"}},
		{"sll2 ipv6", LinkTypeSLL2, sll2(etherIPv6, v6udp), udpWant},
		{"sll2 short", LinkTypeSLL2, make([]byte, 19), want{kind: KindUndecodable, reason: "truncated sll2 header"}},
		{"raw 101 v4", LinkTypeRaw, v4tcp, tcpWant},
		{"raw 101 v6", LinkTypeRaw, v6udp, udpWant},
		{"raw 12", LinkTypeRaw12, v4tcp, tcpWant},
		{"raw 14", LinkTypeRaw14, v6udp, udpWant},
		{"ipv4 228", LinkTypeIPv4, v4tcp, tcpWant},
		{"ipv6 229", LinkTypeIPv6, v6udp, udpWant},
		{"228 with v6", LinkTypeIPv4, v6udp, want{kind: KindUndecodable, reason: "ipv4 version mismatch"}},
		{"raw bad version", LinkTypeRaw, []byte{0x50, 0, 0}, want{kind: KindUndecodable, reason: "bad ip version"}},
		{"null le inet", LinkTypeNull, cat(le32(2), v4tcp), tcpWant},
		{"null be inet", LinkTypeNull, cat(be32(2), v4tcp), tcpWant},
		{"null darwin inet6", LinkTypeNull, cat(le32(30), v6udp), udpWant},
		{"null freebsd inet6", LinkTypeNull, cat(le32(28), v6udp), udpWant},
		{"loop be inet6", LinkTypeLoop, cat(be32(24), v6udp), udpWant},
		{"null other family", LinkTypeNull, cat(le32(7), v6udp), want{kind: KindNonIP, reason: "loopback family 7"}},
		{"unknown link type", 147, v4tcp, want{kind: KindUndecodable, reason: "unsupported link type 147 (USER0)"}},
	}
	for _, c := range cases {
		checkPacket(t, c.name, decodeOne(c.lt, c.data, Options{}), c.want)
	}
}

func TestDecodeIP(t *testing.T) {
	base := ip4{src: "192.0.2.1", dst: "198.51.100.7", proto: ProtoTCP}
	withOpts := base
	withOpts.opts = []byte{1, 1, 1, 0} // NOP NOP NOP EOL
	tso := base
	tso.total = -1
	lying := base
	lying.total = 1000
	short := base
	short.total = 10
	seg := tcp(1234, 80, TCPAck, []byte("hello"))
	badOff := tcp(1234, 80, TCPAck, nil)
	badOff[12] = 4 << 4
	longOff := tcp(1234, 80, TCPAck, nil)
	longOff[12] = 15 << 4
	w := func(ports bool, iplen int) want {
		return want{kind: KindIP, version: 4, src: "192.0.2.1", dst: "198.51.100.7", proto: ProtoTCP, hasPorts: ports, ports: [2]uint16{1234, 80}, ipLen: iplen}
	}
	ihl6 := eth(etherIPv4, base.build(seg))
	ihl6[14] = 0x43
	cases := []struct {
		name string
		data []byte
		wire int
		want want
	}{
		{"options", eth(etherIPv4, withOpts.build(seg)), 0, w(true, 49)},
		{"tso total length 0", eth(etherIPv4, tso.build(seg)), 0, w(true, 45)},
		{"ethernet padding", cat(eth(etherIPv4, base.build(tcp(1234, 80, TCPAck, nil))), make([]byte, 6)), 0, w(true, 40)},
		{"ihl < 5", ihl6, 0, want{kind: KindUndecodable, reason: "ipv4 header length < 20"}},
		{"short ipv4", eth(etherIPv4, base.build(nil)[:19]), 0, want{kind: KindUndecodable, reason: "truncated ipv4 header"}},
		{"total < ihl", eth(etherIPv4, short.build(seg)), 0, want{kind: KindUndecodable, reason: "ipv4 total length < header length"}},
		{"total lies", eth(etherIPv4, lying.build(seg)), 0, func() want {
			x := w(true, 45)
			x.truncated = true
			x.reason = "ipv4 total length exceeds frame"
			return x
		}()},
		// Cut after the ports: the ports are kept (issue 10), flags are unknown.
		{"snaplen cut tcp", eth(etherIPv4, base.build(seg))[:14+20+10], 14 + 20 + 25, func() want { x := w(true, 45); x.truncated = true; x.reason = "truncated tcp header"; return x }()},
		{"snaplen cut tcp before ports", eth(etherIPv4, base.build(seg))[:14+20+3], 14 + 20 + 25, func() want { x := w(false, 45); x.truncated = true; x.reason = "truncated tcp header"; return x }()},
		{"tcp header beyond ip", eth(etherIPv4, base.build(seg[:10])), 0, func() want { x := w(false, 30); x.kind = KindUndecodable; x.reason = "truncated tcp header"; return x }()},
		{"tcp data offset < 5", eth(etherIPv4, base.build(badOff)), 0, func() want { x := w(false, 40); x.kind = KindUndecodable; x.reason = "tcp data offset < 20"; return x }()},
		{"tcp options beyond ip", eth(etherIPv4, base.build(longOff)), 0, func() want {
			x := w(true, 40)
			x.kind = KindUndecodable
			x.reason = "tcp header length exceeds ip payload"
			return x
		}()},
	}
	for _, c := range cases {
		d := newDecoder(Options{})
		p := Packet{LinkType: LinkTypeEthernet, CapLen: len(c.data), WireLen: len(c.data)}
		if c.wire > 0 {
			p.WireLen = c.wire
		}
		d.decode(&p, c.data)
		checkPacket(t, c.name, p, c.want)
	}
	// TCP fields.
	p := decodeOne(LinkTypeEthernet, eth(etherIPv4, base.build(seg)), Options{})
	if p.TCPFlags != TCPAck || p.Seq != 1000 || p.Ack != 2000 || p.PayloadLen != 5 || p.IPLen != 45 {
		t.Errorf("tcp fields: flags %x seq %d ack %d payload %d iplen %d", p.TCPFlags, p.Seq, p.Ack, p.PayloadLen, p.IPLen)
	}
}

func TestDecodeIPv6ExtensionHeaders(t *testing.T) {
	payload := cat(ext6(ip6DestOpts), ext6(ProtoTCP), tcp(5000, 22, TCPSyn, nil))
	p := decodeOne(LinkTypeRaw, ip6("2001:db8::a", "2001:db8::b", ip6HopByHop, payload), Options{})
	checkPacket(t, "hop-by-hop+dest", p, want{kind: KindIP, version: 6, src: "2001:db8::a", dst: "2001:db8::b", proto: ProtoTCP, hasPorts: true, ports: [2]uint16{5000, 22}, ipLen: 76})
	if p.PayloadLen != 0 || p.TCPFlags != TCPSyn {
		t.Errorf("payload %d flags %x", p.PayloadLen, p.TCPFlags)
	}
	routing := cat([]byte{ProtoUDP, 0, 0, 0, 0, 0, 0, 0}, udp(1, 2, nil))
	p = decodeOne(LinkTypeRaw, ip6("::1", "::2", ip6Routing, routing), Options{})
	checkPacket(t, "routing", p, want{kind: KindIP, version: 6, src: "::1", dst: "::2", proto: ProtoUDP, hasPorts: true, ports: [2]uint16{1, 2}})
	cut := ip6("::1", "::2", ip6HopByHop, []byte{ProtoTCP, 3, 0, 0})
	p = decodeOne(LinkTypeRaw, cut, Options{})
	if p.Kind != KindUndecodable || p.Reason != "truncated ipv6 extension header" {
		t.Errorf("ext header beyond payload: %v %q", p.Kind, p.Reason)
	}
	p = decodeOne(LinkTypeRaw, ip6("::1", "::2", ip6NoNext, nil), Options{})
	if p.Kind != KindIP || p.Proto != ip6NoNext || p.HasPorts {
		t.Errorf("no next header: %+v", p)
	}
	p = decodeOne(LinkTypeRaw, make([]byte, 39), Options{})
	if p.Kind != KindUndecodable {
		t.Errorf("short: %v", p.Kind)
	}
	short := make([]byte, 39)
	short[0] = 0x60
	if p = decodeOne(LinkTypeRaw, short, Options{}); p.Reason != "truncated ipv6 header" {
		t.Errorf("short ipv6 reason %q", p.Reason)
	}
}

func TestDecodeICMP(t *testing.T) {
	echo := ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build(icmp(8, 0, cat(be16(77), be16(1), []byte("ping"))))
	p := decodeOne(LinkTypeRaw, echo, Options{})
	if !p.HasICMP || p.ICMPType != 8 || p.ICMPID != 77 || p.HasPorts || p.Quote.Valid {
		t.Errorf("echo: %+v", p)
	}
	// Destination unreachable (port unreachable) quoting a UDP datagram.
	orig := ip4{src: "10.2.2.2", dst: "10.1.1.1", proto: ProtoUDP}.build(udp(33000, 53, []byte("xxxxxxxx")))
	unreach := ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build(icmp(3, 3, cat(be32(0), orig[:28])))
	p = decodeOne(LinkTypeRaw, unreach, Options{})
	q := p.Quote
	if p.ICMPType != 3 || p.ICMPCode != 3 || !q.Valid || !q.HasPorts || q.Proto != ProtoUDP || q.SrcPort != 33000 || q.DstPort != 53 ||
		q.Src != netip.MustParseAddr("10.2.2.2") || q.Dst != netip.MustParseAddr("10.1.1.1") {
		t.Errorf("unreachable quote: %+v", q)
	}
	// Time exceeded quoting only the IP header: valid, no ports.
	te := ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build(icmp(11, 0, cat(be32(0), orig[:20])))
	if q = decodeOne(LinkTypeRaw, te, Options{}).Quote; !q.Valid || q.HasPorts {
		t.Errorf("time exceeded short quote: %+v", q)
	}
	// ICMPv6 packet too big quoting TCP inside IPv6 with a hop-by-hop header.
	orig6 := ip6("2001:db8::2", "2001:db8::1", ip6HopByHop, cat(ext6(ProtoTCP), tcp(443, 50000, TCPAck, nil)))
	ptb := ip6("2001:db8::ff", "2001:db8::2", ProtoICMPv6, icmp(2, 0, cat(be32(1280), orig6)))
	p = decodeOne(LinkTypeRaw, ptb, Options{})
	q = p.Quote
	if p.ICMPType != 2 || !q.Valid || !q.HasPorts || q.Proto != ProtoTCP || q.SrcPort != 443 || q.DstPort != 50000 {
		t.Errorf("packet too big quote: %+v", q)
	}
	// ICMPv6 echo.
	p = decodeOne(LinkTypeRaw, ip6("::1", "::2", ProtoICMPv6, icmp(128, 0, cat(be16(9), be16(1)))), Options{})
	if !p.HasICMP || p.ICMPType != 128 || p.ICMPID != 9 {
		t.Errorf("icmpv6 echo: %+v", p)
	}
	// Quoted ICMP echo.
	origEcho := ip4{src: "10.2.2.2", dst: "10.9.9.9", proto: ProtoICMP}.build(icmp(8, 0, cat(be16(5), be16(1))))
	p = decodeOne(LinkTypeRaw, ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build(icmp(3, 1, cat(be32(0), origEcho))), Options{})
	if q = p.Quote; !q.Valid || q.Proto != ProtoICMP || q.ICMPType != 8 || q.ICMPID != 5 || !q.HasPorts {
		t.Errorf("quoted echo: %+v", q)
	}
	// Cut ICMP header.
	p = decodeOne(LinkTypeRaw, ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build([]byte{8, 0}), Options{})
	if p.Kind != KindUndecodable || p.Reason != "truncated icmp header" {
		t.Errorf("cut icmp: %v %q", p.Kind, p.Reason)
	}
}

func TestDecodeTunnels(t *testing.T) {
	inner := eth(etherIPv4, ip4{src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoTCP}.build(tcp(50000, 3306, TCPSyn, nil)))
	innerWant := want{kind: KindIP, version: 4, src: "172.16.0.1", dst: "172.16.0.2", proto: ProtoTCP, hasPorts: true, ports: [2]uint16{50000, 3306}, ipLen: 40}
	outer := func(dport uint16, payload []byte) []byte {
		return eth(etherIPv4, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(60000, dport, payload)))
	}
	with := func(w want, e Encap, vni uint32) want { w.encap, w.vni = e, vni; return w }
	outerWant := func(dport uint16) want {
		return want{kind: KindIP, version: 4, src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP, hasPorts: true, ports: [2]uint16{60000, dport}}
	}
	innerIP6 := ip6("fd00::1", "fd00::2", ProtoUDP, udp(1000, 2000, nil))
	gwlbOpts := cat(be16(0x0108), []byte{1, 2}, make([]byte, 8), be16(0x0108), []byte{2, 2}, make([]byte, 8), be16(0x0108), []byte{3, 1}, make([]byte, 4))
	cases := []struct {
		name string
		data []byte
		opts Options
		want want
	}{
		{"vxlan 4789", outer(4789, cat(vxlanHdr(42), inner)), Options{}, with(innerWant, EncapVXLAN, 42)},
		{"vxlan 8472 not configured", outer(8472, cat(vxlanHdr(42), inner)), Options{}, outerWant(8472)},
		{"vxlan 8472 configured", outer(8472, cat(vxlanHdr(42), inner)), Options{VXLANPorts: []uint16{8472}}, with(innerWant, EncapVXLAN, 42)},
		{"vxlan I flag clear", outer(4789, cat(make([]byte, 8), inner)), Options{}, outerWant(4789)},
		{"vxlan no-decap", outer(4789, cat(vxlanHdr(42), inner)), Options{NoDecap: true}, outerWant(4789)},
		{"vxlan inner arp", outer(4789, cat(vxlanHdr(7), eth(etherARP, make([]byte, 28)))), Options{}, want{kind: KindNonIP, reason: "arp", encap: EncapVXLAN, vni: 7}},
		{"geneve ethernet", outer(6081, cat(geneveHdr(etherTEB, 9, nil), inner)), Options{}, with(innerWant, EncapGENEVE, 9)},
		{"geneve gwlb ipv4", outer(6081, cat(geneveHdr(etherIPv4, 0, gwlbOpts), inner[14:])), Options{}, with(innerWant, EncapGENEVE, 0)},
		{"geneve ipv6", outer(6081, cat(geneveHdr(etherIPv6, 5, nil), innerIP6)), Options{}, want{kind: KindIP, encap: EncapGENEVE, vni: 5, version: 6, src: "fd00::1", dst: "fd00::2", proto: ProtoUDP, hasPorts: true, ports: [2]uint16{1000, 2000}}},
		{"geneve unknown protocol", outer(6081, cat(geneveHdr(0x1234, 5, nil), innerIP6)), Options{}, outerWant(6081)},
		{"geneve in vxlan", outer(4789, cat(vxlanHdr(1), eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoUDP}.build(udp(1, 6081, cat(geneveHdr(etherTEB, 2, nil), inner)))))), Options{}, with(innerWant, EncapGENEVE, 2)},
		{"vxlan inner cut", outer(4789, cat(vxlanHdr(3), inner[:20])), Options{}, want{kind: KindUndecodable, reason: "truncated ipv4 header", encap: EncapVXLAN, vni: 3}},
	}
	for _, c := range cases {
		checkPacket(t, c.name, decodeOne(LinkTypeEthernet, c.data, c.opts), c.want)
	}
	// Nesting is bounded: 6 VXLAN layers stop at maxTunnelDepth.
	pkt := inner
	for i := 0; i < 6; i++ {
		pkt = outer(4789, cat(vxlanHdr(uint32(i)), pkt))
	}
	p := decodeOne(LinkTypeEthernet, pkt, Options{})
	if p.Encap != EncapVXLAN || p.DstPort != 4789 {
		t.Errorf("deep nesting: encap %v dport %d, want vxlan outer UDP at depth %d", p.Encap, p.DstPort, maxTunnelDepth)
	}
}

func TestFragments(t *testing.T) {
	d := newDecoder(Options{})
	h := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP, id: 99}
	first, mid, last := h, h, h
	first.frag = 0x2000
	mid.frag = 0x2000 | 185
	last.frag = 370
	dec := func(hdr ip4, payload []byte, sec int) Packet {
		p := Packet{LinkType: LinkTypeRaw, Time: t0.Add(timeSec(sec))}
		data := hdr.build(payload)
		p.CapLen, p.WireLen = len(data), len(data)
		d.decode(&p, data)
		return p
	}
	p := dec(mid, make([]byte, 1480), 0)
	if !p.Fragment || p.FragmentAttributed || p.HasPorts || p.FragOffset != 185 {
		t.Errorf("orphan fragment: %+v", p)
	}
	p = dec(first, udp(4000, 53, make([]byte, 1472)), 1)
	if !p.Fragment || !p.IsFirstFragmentOrWhole() || !p.HasPorts || !p.MoreFragments {
		t.Errorf("first fragment: %+v", p)
	}
	p = dec(mid, make([]byte, 1480), 2)
	if !p.FragmentAttributed || !p.HasPorts || p.SrcPort != 4000 || p.DstPort != 53 || p.IsFirstFragmentOrWhole() {
		t.Errorf("middle fragment: %+v", p)
	}
	p = dec(last, make([]byte, 100), 3)
	if !p.FragmentAttributed || p.DstPort != 53 || p.MoreFragments {
		t.Errorf("last fragment: %+v", p)
	}
	if len(d.frags.m) != 0 {
		t.Errorf("last fragment did not drop the entry: %d left", len(d.frags.m))
	}
	// Expiry: a later fragment beyond FragmentTimeout is not attributed.
	dec(first, udp(4000, 53, make([]byte, 100)), 10)
	if p = dec(mid, make([]byte, 8), 100); p.FragmentAttributed {
		t.Errorf("fragment attributed after the timeout")
	}
	// IPv6 fragments.
	f1 := ip6("2001:db8::1", "2001:db8::2", ip6Fragment, cat(frag6(ProtoTCP, 0, true, 7), tcp(1, 2, TCPAck, make([]byte, 100))))
	f2 := ip6("2001:db8::1", "2001:db8::2", ip6Fragment, cat(frag6(ProtoTCP, 15, false, 7), make([]byte, 40)))
	p = Packet{LinkType: LinkTypeRaw, Time: t0, CapLen: len(f1), WireLen: len(f1)}
	d.decode(&p, f1)
	if !p.Fragment || p.IPID != 7 || !p.HasPorts {
		t.Errorf("ipv6 first fragment: %+v", p)
	}
	p = Packet{LinkType: LinkTypeRaw, Time: t0, CapLen: len(f2), WireLen: len(f2)}
	d.decode(&p, f2)
	if !p.FragmentAttributed || p.Proto != ProtoTCP || p.SrcPort != 1 || p.FragOffset != 15 {
		t.Errorf("ipv6 later fragment: %+v", p)
	}
}

func TestIPv6AtomicFragment(t *testing.T) {
	d := newDecoder(Options{})
	data := ip6("2001:db8::1", "2001:db8::2", ip6Fragment, cat(frag6(ProtoUDP, 0, false, 9), udp(7, 8, nil)))
	p := Packet{LinkType: LinkTypeRaw, CapLen: len(data), WireLen: len(data)}
	d.decode(&p, data)
	if p.Fragment || !p.HasPorts || p.DstPort != 8 || p.IPID != 9 || len(d.frags.m) != 0 {
		t.Errorf("atomic fragment: fragment %v ports %v/%d id %d table %d", p.Fragment, p.HasPorts, p.DstPort, p.IPID, len(d.frags.m))
	}
}
