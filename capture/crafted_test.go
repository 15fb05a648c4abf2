package capture

import (
	"testing"

	"github.com/flowverify/flowverify/pcaps"
)

// readCrafted decodes every record of pcaps/crafted/name (written by
// pcaps/crafted/gen.go).
func readCrafted(t *testing.T, name string, opts Options) []Packet {
	t.Helper()
	s, err := Open([]string{pcaps.Path("crafted/" + name)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []Packet
	var p Packet
	for s.Next(&p) == nil {
		out = append(out, p)
	}
	return out
}

// TestCraftedCutHeaders: a snaplen cut inside IPv6 extension headers or
// IPv4 options leaves a judgeable IP packet (addresses, and the protocol
// when the chain reached it) marked truncated; a transport header cut
// after the ports keeps the ports, in both families.
func TestCraftedCutHeaders(t *testing.T) {
	ps := readCrafted(t, "cut-headers.pcap", Options{})
	if len(ps) != 9 {
		t.Fatalf("%d packets, want 9", len(ps))
	}
	type w struct {
		proto        uint8
		protoUnknown bool
		ports        bool
		portsOnly    bool
		dport        uint16
		reason       string
	}
	want := []w{
		{0, true, false, false, 0, "truncated ipv6 extension header"},
		{ProtoTCP, false, false, false, 0, "truncated ipv4 options"},
		{ProtoTCP, false, true, true, 443, "truncated tcp header"},
		{ProtoUDP, false, true, true, 53, "truncated udp header"},
		{ProtoTCP, false, true, true, 443, "truncated tcp header"},
		{43, true, false, false, 0, "truncated ipv6 extension header"},
		{ProtoTCP, false, false, false, 0, "truncated tcp header"},
		{ProtoTCP, false, true, false, 443, ""},
		{ProtoUDP, false, true, true, 53, "truncated udp header"},
	}
	for i, p := range ps {
		x := want[i]
		if p.Kind != KindIP || !p.Src.IsValid() || !p.Dst.IsValid() {
			t.Errorf("frame %d: kind %v %v > %v, want an IP packet with addresses", i+1, p.Kind, p.Src, p.Dst)
			continue
		}
		if p.Proto != x.proto || p.ProtoUnknown != x.protoUnknown || p.HasPorts != x.ports || p.PortsOnly != x.portsOnly ||
			(x.ports && p.DstPort != x.dport) || p.Reason != x.reason || p.Truncated != (x.reason != "") {
			t.Errorf("frame %d: proto %d unknown %v ports %v only %v dport %d reason %q truncated %v; want %+v",
				i+1, p.Proto, p.ProtoUnknown, p.HasPorts, p.PortsOnly, p.DstPort, p.Reason, p.Truncated, x)
		}
		if p.PortsOnly && (p.TCPFlags != 0 || p.Seq != 0) {
			t.Errorf("frame %d: flags %x seq %d from a header cut before them", i+1, p.TCPFlags, p.Seq)
		}
	}
	if ps[1].IPLen != 20+40+20+100 {
		t.Errorf("IPv4 with cut options: IPLen %d", ps[1].IPLen)
	}
}

// TestCraftedTinyFragments: a first fragment carrying only 8 bytes of TCP
// keeps its ports, and the later fragment inherits them (IPv4 and IPv6).
func TestCraftedTinyFragments(t *testing.T) {
	ps := readCrafted(t, "tiny-fragments.pcap", Options{})
	if len(ps) != 4 {
		t.Fatalf("%d packets, want 4", len(ps))
	}
	for i := 0; i < 4; i += 2 {
		first, later := ps[i], ps[i+1]
		if first.Kind != KindIP || !first.HasPorts || !first.PortsOnly || first.DstPort != 22 || first.Reason != "tcp header split across fragments" || first.Truncated {
			t.Errorf("first fragment %d: %+v", i+1, first)
		}
		if !later.FragmentAttributed || !later.HasPorts || later.DstPort != 22 || later.SrcPort != first.SrcPort {
			t.Errorf("later fragment %d: %+v", i+2, later)
		}
	}
}

// TestCraftedIPv6ExtensionHeaders: every RFC 7045 extension header is
// walked to the upper layer; ESP and no-next-header end the chain.
func TestCraftedIPv6ExtensionHeaders(t *testing.T) {
	ps := readCrafted(t, "ipv6-ext.pcap", Options{})
	want := []struct {
		proto uint8
		dport uint16
	}{{59, 0}, {59, 0}, {ProtoUDP, 53}, {ProtoTCP, 443}, {ProtoUDP, 53}, {ProtoTCP, 443}, {50, 0}, {59, 0}}
	if len(ps) != len(want) {
		t.Fatalf("%d packets, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		if p.Kind != KindIP || p.Proto != want[i].proto || p.Truncated || p.ProtoUnknown || p.HasPorts != (want[i].dport != 0) || p.DstPort != want[i].dport {
			t.Errorf("frame %d: kind %v proto %d ports %v %d reason %q; want proto %d port %d", i+1, p.Kind, p.Proto, p.HasPorts, p.DstPort, p.Reason, want[i].proto, want[i].dport)
		}
	}
}

// TestCraftedEncapsulations: GRE (IPv4, IPv6 with a key, Ethernet, MPLS),
// ERSPAN II/III in GRE, MPLS over Ethernet, NFLOG and PKTAP are decoded to
// the inner packet; PPTP's GRE version 1 and --no-decap keep the outer one;
// an unknown link type is reported by name.
func TestCraftedEncapsulations(t *testing.T) {
	type w struct {
		encap Encap
		vni   uint32
		src   string
		proto uint8
		dport uint16
	}
	check := func(file string, opts Options, want []w) {
		t.Helper()
		ps := readCrafted(t, file, opts)
		if len(ps) != len(want) {
			t.Fatalf("%s: %d packets, want %d", file, len(ps), len(want))
		}
		for i, p := range ps {
			x := want[i]
			if p.Kind != KindIP || p.Encap != x.encap || p.VNI != x.vni || p.Src.String() != x.src || p.Proto != x.proto || p.DstPort != x.dport || p.Truncated {
				t.Errorf("%s frame %d: %v %q encap %v/%d %v proto %d dport %d; want %+v", file, i+1, p.Kind, p.Reason, p.Encap, p.VNI, p.Src, p.Proto, p.DstPort, x)
			}
		}
	}
	check("gre.pcap", Options{}, []w{
		{EncapGRE, 0, "10.9.0.1", ProtoTCP, 443},
		{EncapGRE, 1234, "2001:db8:9::1", ProtoUDP, 53},
		{EncapGRE, 0, "10.9.1.1", ProtoUDP, 123},
		{EncapERSPAN, 77, "10.9.1.1", ProtoUDP, 123},
		{EncapERSPAN, 78, "10.9.1.1", ProtoUDP, 123},
		{EncapGRE, 0, "10.9.0.1", ProtoTCP, 443},
		{EncapNone, 0, "192.0.2.1", ProtoGRE, 0},
	})
	outer := w{EncapNone, 0, "192.0.2.1", ProtoGRE, 0}
	check("gre.pcap", Options{NoDecap: true}, []w{outer, outer, outer, outer, outer, outer, outer})
	check("mpls.pcap", Options{}, []w{{EncapNone, 0, "10.8.0.1", ProtoTCP, 22}, {EncapNone, 0, "2001:db8:8::1", ProtoTCP, 80}})
	check("pktap.pcap", Options{}, []w{{EncapNone, 0, "10.6.0.1", ProtoTCP, 443}})
	ps := readCrafted(t, "nflog.pcap", Options{})
	if len(ps) != 4 || ps[0].Kind != KindIP || ps[0].DstPort != 443 || ps[1].Kind != KindIP || ps[1].Src.String() != "2001:db8:7::1" || ps[1].DstPort != 53 ||
		ps[2].Kind != KindNonIP || ps[2].Reason != "nflog without payload" || ps[3].Kind != KindIP || ps[3].DstPort != 443 {
		t.Errorf("nflog: %+v", ps)
	}
	ps = readCrafted(t, "radiotap.pcap", Options{})
	if len(ps) != 1 || ps[0].Kind != KindUndecodable || ps[0].Reason != "unsupported link type 127 (IEEE802_11_RADIOTAP)" {
		t.Errorf("radiotap: %+v", ps)
	}
}

// TestCutTCPKeepsWhatWasCaptured: a TCP header cut after its flags keeps
// flags and sequence numbers; a first fragment whose TCP options continue
// in the next fragment keeps everything it holds.
func TestCutTCPKeepsWhatWasCaptured(t *testing.T) {
	seg := tcp(1234, 80, TCPSyn, nil)
	seg[12] = 8 << 4 // 32-byte header: 12 bytes of options
	seg = append(seg, make([]byte, 12)...)
	frame := eth(etherIPv4, ip4{src: "192.0.2.1", dst: "198.51.100.7", proto: ProtoTCP}.build(seg))
	d := newDecoder(Options{})
	p := Packet{LinkType: LinkTypeEthernet, CapLen: 14 + 20 + 16, WireLen: len(frame)}
	d.decode(&p, frame[:14+20+16])
	if !p.HasPorts || p.PortsOnly || p.TCPFlags != TCPSyn || p.Seq != 1000 || !p.Truncated || p.Reason != "truncated tcp header" {
		t.Errorf("cut after the flags: %+v", p)
	}
	first := ip4{src: "192.0.2.1", dst: "198.51.100.7", proto: ProtoTCP, id: 9, frag: 0x2000}.build(seg[:24])
	p = Packet{LinkType: LinkTypeRaw, CapLen: len(first), WireLen: len(first)}
	d.decode(&p, first)
	if p.Kind != KindIP || !p.HasPorts || p.TCPFlags != TCPSyn || p.Reason != "tcp header split across fragments" {
		t.Errorf("first fragment with split options: %+v", p)
	}
	later := ip4{src: "192.0.2.1", dst: "198.51.100.7", proto: ProtoTCP, id: 9, frag: 3}.build(seg[24:])
	p = Packet{LinkType: LinkTypeRaw, CapLen: len(later), WireLen: len(later)}
	d.decode(&p, later)
	if !p.FragmentAttributed || p.DstPort != 80 {
		t.Errorf("later fragment: %+v", p)
	}
}
