package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Helpers that build frames and capture files from bytes for tests.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

var (
	macA = []byte{0x02, 0, 0, 0, 0, 1}
	macB = []byte{0x02, 0, 0, 0, 0, 2}
)

func eth(etype uint16, payload []byte) []byte {
	return cat(macB, macA, be16(etype), payload)
}

// ip4 builds an IPv4 packet. opts are IPv4 option bytes (padded by the caller).
type ip4 struct {
	src, dst string
	proto    uint8
	id       uint16
	frag     uint16 // flags+offset field
	opts     []byte
	total    int // override total length when > 0; -1 means 0
}

func (h ip4) build(payload []byte) []byte {
	ihl := 20 + len(h.opts)
	b := make([]byte, ihl)
	b[0] = 0x40 | byte(ihl/4)
	total := ihl + len(payload)
	switch {
	case h.total > 0:
		total = h.total
	case h.total < 0:
		total = 0
	}
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], h.id)
	binary.BigEndian.PutUint16(b[6:], h.frag)
	b[8] = 64
	b[9] = h.proto
	s, d := netip.MustParseAddr(h.src).As4(), netip.MustParseAddr(h.dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], h.opts)
	return append(b, payload...)
}

// ip6 builds an IPv6 packet; ext is the already-built extension chain and
// next the first next-header value.
func ip6(src, dst string, next uint8, payload []byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = next
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// ext6 builds an 8-byte IPv6 options extension header (hop-by-hop, dest opts).
func ext6(next uint8) []byte { return []byte{next, 0, 1, 4, 0, 0, 0, 0} }

func frag6(next uint8, off uint16, more bool, id uint32) []byte {
	fo := off << 3
	if more {
		fo |= 1
	}
	return cat([]byte{next, 0}, be16(fo), be32(id))
}

func tcp(sport, dport uint16, flags uint8, payload []byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], 1000)
	binary.BigEndian.PutUint32(b[8:], 2000)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, payload...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	return cat(be16(sport), be16(dport), be16(uint16(8+len(payload))), be16(0), payload)
}

func icmp(typ, code uint8, rest []byte) []byte {
	return cat([]byte{typ, code, 0, 0}, rest)
}

func vxlanHdr(vni uint32) []byte { return cat([]byte{0x08, 0, 0, 0}, be32(vni<<8)) }

func geneveHdr(proto uint16, vni uint32, opts []byte) []byte {
	return cat([]byte{byte(len(opts) / 4), 0}, be16(proto), be32(vni<<8), opts)
}

// simpleTCP is an Ethernet/IPv4/TCP SYN from 10.0.0.1:40000 to 10.0.0.2:443.
func simpleTCP() []byte {
	return eth(etherIPv4, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP}.build(tcp(40000, 443, TCPSyn, nil)))
}

// frame is one record to write into a test capture.
type frame struct {
	ts    time.Time
	data  []byte
	wire  int // original length, len(data) when 0
	iface int
}

// pcapFile writes a classic pcap file.
func pcapFile(t testing.TB, link uint16, nano, bigEndian bool, frames []frame) []byte {
	t.Helper()
	var order binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	h := make([]byte, 24)
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 262144)
	order.PutUint32(h[20:], uint32(link))
	out := h
	for _, f := range frames {
		r := make([]byte, 16)
		order.PutUint32(r[0:], uint32(f.ts.Unix()))
		frac := uint32(f.ts.Nanosecond())
		if !nano {
			frac /= 1000
		}
		order.PutUint32(r[4:], frac)
		order.PutUint32(r[8:], uint32(len(f.data)))
		wire := f.wire
		if wire == 0 {
			wire = len(f.data)
		}
		order.PutUint32(r[12:], uint32(wire))
		out = append(append(out, r...), f.data...)
	}
	return out
}

// pcapngFile writes a pcapng file with one interface per link type.
func pcapngFile(t testing.TB, links []uint16, frames []frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkType(links[0]), SnapLength: 262144, TimestampResolution: 9}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range links[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkType(lt), SnapLength: 262144, TimestampResolution: 6}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range frames {
		wire := f.wire
		if wire == 0 {
			wire = len(f.data)
		}
		ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: wire, InterfaceIndex: f.iface}
		if err := w.WritePacket(ci, f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every packet of the given in-memory files.
func readAll(t testing.TB, opts Options, files ...[]byte) ([]Packet, *Stream) {
	t.Helper()
	names := make([]string, len(files))
	rs := make([]io.Reader, len(files))
	for i, f := range files {
		names[i] = "mem" + string(rune('0'+i))
		rs[i] = bytes.NewReader(f)
	}
	s, err := OpenReaders(names, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []Packet
	for {
		var p Packet
		if err := s.Next(&p); err != nil {
			break
		}
		out = append(out, p)
	}
	return out, s
}

// decodeOne decodes a single frame of link type lt.
func decodeOne(lt uint16, data []byte, opts Options) Packet {
	d := newDecoder(opts)
	p := Packet{Frame: 1, LinkType: lt, CapLen: len(data), WireLen: len(data)}
	d.decode(&p, data)
	return p
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func timeSec(s int) time.Duration { return time.Duration(s) * time.Second }
