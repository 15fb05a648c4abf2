package capture

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// fuzzFrames are the decoder seeds: one frame per link type and shape.
func fuzzFrames() []struct {
	lt   uint16
	data []byte
} {
	v4 := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP}.build(tcp(1, 2, TCPSyn, nil))
	v6 := ip6("::1", "::2", ip6HopByHop, cat(ext6(ip6Fragment), frag6(ProtoUDP, 0, true, 5), udp(1, 2, []byte("x"))))
	frag := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP, frag: 0x2000}.build(udp(3, 4, make([]byte, 16)))
	inner := eth(etherIPv4, v4)
	unreach := ip4{src: "10.1.1.1", dst: "10.2.2.2", proto: ProtoICMP}.build(icmp(3, 3, cat(be32(0), v4[:28])))
	return []struct {
		lt   uint16
		data []byte
	}{
		{LinkTypeEthernet, eth(etherIPv4, v4)},
		{LinkTypeEthernet, eth(etherVLAN, cat(be16(5), be16(etherIPv6), v6))},
		{LinkTypeEthernet, eth(etherIPv4, frag)},
		{LinkTypeEthernet, eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoUDP}.build(udp(9, 4789, cat(vxlanHdr(1), inner))))},
		{LinkTypeEthernet, eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoUDP}.build(udp(9, 6081, cat(geneveHdr(etherIPv4, 1, make([]byte, 8)), v4))))},
		{LinkTypeRaw, unreach},
		{LinkTypeLinuxSLL, cat(make([]byte, 14), be16(etherIPv4), v4)},
		{LinkTypeSLL2, cat(be16(etherIPv6), make([]byte, 18), v6)},
		{LinkTypeNull, cat([]byte{2, 0, 0, 0}, v4)},
		{LinkTypeIPv6, v6},
		// Issue 10: encapsulations, link types, cut headers, tiny fragments.
		{LinkTypeEthernet, eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoGRE}.build(cat(be16(0x2000), be16(etherIPv4), be32(7), v4)))},
		{LinkTypeEthernet, eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoGRE}.build(cat(be16(0x1000), be16(etherERSPAN2), be32(1), be16(0x1000), be16(5), be32(0), inner)))},
		{LinkTypeEthernet, eth(etherIPv4, ip4{src: "1.1.1.1", dst: "2.2.2.2", proto: ProtoGRE}.build(cat(be16(0x1000), be16(etherERSPAN3), be32(1), be16(0x2000), be16(5), make([]byte, 8), inner)))},
		{LinkTypeEthernet, eth(etherMPLS, cat([]byte{0, 1, 0, 64, 0, 2, 1, 64}, v4))},
		{LinkTypeNFLOG, cat([]byte{2, 0, 0, 1}, []byte{byte(4 + len(v4)), 0, 9, 0}, v4)},
		{LinkTypePKTAP, cat([]byte{12, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}, inner)},
		{LinkTypeRaw, ip6("::1", "::2", ip6Mobility, []byte{59, 0, 5, 0, 0, 0, 0, 0})},
		{LinkTypeRaw, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP, frag: 0x2000}.build(tcp(1, 2, 0, nil)[:8])},
		{LinkTypeRaw, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP, opts: make([]byte, 20)}.build(tcp(1, 2, 0, []byte("GET / HTTP/1.1")))[:30]},
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzFrames() {
		f.Add(s.lt, s.data)
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		for _, opts := range []Options{{}, {NoDecap: true}, {VXLANPorts: []uint16{8472}}} {
			d := newDecoder(opts)
			p := Packet{LinkType: lt, CapLen: len(data), WireLen: len(data) + 3}
			d.decode(&p, data)
			switch p.Kind {
			case KindIP:
				if (p.Version != 4 && p.Version != 6) || !p.Src.IsValid() || !p.Dst.IsValid() || p.IPLen <= 0 {
					t.Fatalf("ip packet without ip fields: %+v", p)
				}
				if p.Encap == EncapNone && p.IPLen > p.WireLen {
					t.Fatalf("IPLen %d > WireLen %d", p.IPLen, p.WireLen)
				}
			case KindNonIP, KindUndecodable:
				if p.Reason == "" {
					t.Fatalf("%v without a reason", p.Kind)
				}
			default:
				t.Fatalf("kind not set: %+v", p)
			}
			if p.Truncated && p.Reason == "" {
				t.Fatalf("truncated without a reason")
			}
		}
	})
}

// fuzzFiles are the file-reader seeds.
func fuzzFiles(t testing.TB) [][]byte {
	var frames []frame
	for i, s := range fuzzFrames() {
		if s.lt == LinkTypeEthernet {
			frames = append(frames, frame{ts: t0.Add(time.Duration(i) * time.Millisecond), data: s.data})
		}
	}
	raw := []frame{{ts: t0, data: fuzzFrames()[5].data}}
	return [][]byte{
		pcapFile(t, LinkTypeEthernet, false, false, frames),
		pcapFile(t, LinkTypeRaw, true, true, raw),
		pcapngFile(t, []uint16{LinkTypeEthernet, LinkTypeRaw}, append(frames[:2:2], frame{ts: t0, data: raw[0].data, iface: 1})),
		gz(t, pcapFile(t, LinkTypeEthernet, false, false, frames[:1])),
	}
}

func FuzzReadFile(f *testing.F) {
	for _, b := range fuzzFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		s, err := OpenReaders([]string{"fuzz"}, []io.Reader{bytes.NewReader(file)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var p Packet
		var pkts []Packet
		n := int64(0)
		for s.Next(&p) == nil {
			n++
			pkts = append(pkts, p)
			if p.Frame != n || p.File != 0 || p.Kind == 0 {
				t.Fatalf("packet %d: frame %d kind %v", n, p.Frame, p.Kind)
			}
			if p.CapLen > len(file) && !s.Files()[0].Gzip {
				t.Fatalf("caplen %d beyond a %d-byte file", p.CapLen, len(file))
			}
		}
		fi := s.Files()[0]
		if fi.Records != n {
			t.Fatalf("Records %d, delivered %d", fi.Records, n)
		}
		fatal := 0
		for _, pr := range s.Problems() {
			if pr.Fatal {
				fatal++
			}
			if pr.Reason == "" || pr.File != "fuzz" || (!pr.Fatal && !warning(pr.Reason)) {
				t.Fatalf("bad problem %+v", pr)
			}
		}
		if s.Complete() != (fatal == 0) || fatal > 1 {
			t.Fatalf("complete %v with problems %v", s.Complete(), s.Problems())
		}
		// Read as from a pipe that delivers a byte or a few at a time
		// (records and blocks split across every read-ahead chunk): the
		// same packets and problems.
		if len(file) > 64<<10 {
			return
		}
		s2, err := OpenReaders([]string{"fuzz"}, []io.Reader{iotest.HalfReader(iotest.OneByteReader(bytes.NewReader(file)))}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pkts2 []Packet
		for s2.Next(&p) == nil {
			pkts2 = append(pkts2, p)
		}
		if !reflect.DeepEqual(pkts, pkts2) || !reflect.DeepEqual(s.Problems(), s2.Problems()) {
			t.Fatalf("read a byte at a time: %d packets, problems %v; at once: %d, %v", len(pkts2), s2.Problems(), len(pkts), s.Problems())
		}
	})
}

// warning reports whether reason is one of the non-fatal problems of a
// file reader (the block framing held; reading went on).
func warning(reason string) bool {
	for _, p := range []string{"unsupported link type", "corrupt option", "timestamp out of range", "section of unsupported pcapng version", "interface "} {
		if strings.HasPrefix(reason, p) {
			return true
		}
	}
	return false
}
