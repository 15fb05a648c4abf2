package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// genFrames returns n Ethernet/IPv4 TCP frames of frameLen bytes (at
// least 54) spread over a few hundred flows.
func genFrames(n, frameLen int) []frame {
	out := make([]frame, n)
	payload := make([]byte, max(frameLen-54, 0))
	for i := range out {
		h := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP, id: uint16(i)}
		data := eth(etherIPv4, h.build(tcp(uint16(30000+i%500), 443, TCPAck, payload)))
		out[i] = frame{ts: t0.Add(time.Duration(i) * time.Microsecond), data: data}
	}
	return out
}

// TestNoAllocsPerPacket: reading plain Ethernet/IPv4/TCP allocates nothing per packet.
func TestNoAllocsPerPacket(t *testing.T) { bothModes(t, testNoAllocsPerPacket) }

func testNoAllocsPerPacket(t *testing.T) {
	const n = 5000
	file := pcapFile(t, LinkTypeEthernet, false, false, genFrames(n, 66))
	s, err := OpenReaders([]string{"mem"}, []io.Reader{bytes.NewReader(file)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	for i := 0; i < 100; i++ { // warm up
		if err := s.Next(&p); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(n-200, func() {
		if err := s.Next(&p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per packet, want 0", allocs)
	}
	if p.Kind != KindIP || !p.HasPorts {
		t.Errorf("last packet not decoded: %+v", p)
	}
}

func BenchmarkDecodeHand(b *testing.B) {
	data := simpleTCP()
	d := newDecoder(Options{})
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		p = Packet{LinkType: LinkTypeEthernet, CapLen: len(data), WireLen: len(data)}
		d.decode(&p, data)
	}
	if p.DstPort != 443 {
		b.Fatal("not decoded")
	}
}

// BenchmarkDecodeGopacketDLP is the same work with gopacket's DecodingLayerParser.
func BenchmarkDecodeGopacketDLP(b *testing.B) {
	data := simpleTCP()
	var (
		eth     layers.Ethernet
		ip4l    layers.IPv4
		ip6l    layers.IPv6
		tcpl    layers.TCP
		udpl    layers.UDP
		payload gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4l, &ip6l, &tcpl, &udpl, &payload)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	var port uint16
	b.ReportAllocs()
	for b.Loop() {
		_ = parser.DecodeLayers(data, &decoded)
		for _, lt := range decoded {
			if lt == layers.LayerTypeTCP {
				port = uint16(tcpl.DstPort)
			}
		}
	}
	if port != 443 {
		b.Fatal("not decoded")
	}
}

// benchStream reads a generated in-memory file packet by packet; one
// benchmark iteration is one packet (ns/op = ns/packet).
func benchStream(b *testing.B, file []byte, opts Options) {
	b.SetBytes(int64(len(file)) / 20000)
	b.ReportAllocs()
	open := func() *Stream {
		s, err := OpenReaders([]string{"mem"}, []io.Reader{bytes.NewReader(file)}, opts)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := open()
	var p Packet
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Next(&p) != nil {
			s = open()
			if s.Next(&p) != nil {
				b.Fatal("empty")
			}
		}
	}
}

func BenchmarkReadPcapSmall(b *testing.B) {
	benchStream(b, pcapFile(b, LinkTypeEthernet, false, false, genFrames(20000, 66)), Options{})
}

func BenchmarkReadPcapLarge(b *testing.B) {
	benchStream(b, pcapFile(b, LinkTypeEthernet, false, false, genFrames(20000, 1514)), Options{})
}

func BenchmarkReadPcapngSmall(b *testing.B) {
	benchStream(b, pcapngFile(b, []uint16{LinkTypeEthernet}, genFrames(20000, 66)), Options{})
}

// BenchmarkRecordsHand and BenchmarkRecordsPcapgo compare reading classic
// pcap records (no decoding) with the hand-written reader and pcapgo.
func BenchmarkRecordsHand(b *testing.B) {
	file := pcapFile(b, LinkTypeEthernet, false, false, genFrames(20000, 66))
	b.SetBytes(int64(len(file)) / 20000)
	var rec record
	var pr *pcapReader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if pr == nil || pr.next(&rec) != nil {
			var err error
			if pr, err = newPcapReader(bytes.NewReader(file[24:]), file[:24]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRecordsPcapgo(b *testing.B) {
	file := pcapFile(b, LinkTypeEthernet, false, false, genFrames(20000, 66))
	b.SetBytes(int64(len(file)) / 20000)
	var r *pcapgo.Reader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if r == nil {
			r, _ = pcapgo.NewReader(bytes.NewReader(file))
		}
		if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
			r = nil
		}
	}
}

// benchFile reads a generated capture from disk (page cache), the whole
// file per iteration, reporting ns per packet.
// ahead: 0 synchronous, 1 read-ahead goroutine, 2 read-ahead and
// decode-ahead (Next), 3 both with NextBatch.
func benchFile(b *testing.B, frameLen int, ahead int) {
	const n = 200000
	path := filepath.Join(b.TempDir(), "bench.pcap")
	if err := os.WriteFile(path, pcapFile(b, LinkTypeEthernet, false, false, genFrames(n, frameLen)), 0o644); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	defer func(old, oldDecode bool) { readAhead, decodeAhead = old, oldDecode }(readAhead, decodeAhead)
	readAhead, decodeAhead = ahead >= 1, ahead >= 2
	b.SetBytes(st.Size())
	b.ResetTimer()
	for b.Loop() {
		s, err := Open([]string{path}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var p Packet
		got := 0
		if ahead == 3 {
			for {
				ps, err := s.NextBatch(256)
				if err != nil {
					break
				}
				got += len(ps)
			}
		} else {
			for s.Next(&p) == nil {
				got++
			}
		}
		s.Close()
		if got != n {
			b.Fatalf("%d packets", got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pkt")
}

func BenchmarkFileSmallSync(b *testing.B)        { benchFile(b, 66, 0) }
func BenchmarkFileSmallReadAhead(b *testing.B)   { benchFile(b, 66, 1) }
func BenchmarkFileSmallDecodeAhead(b *testing.B) { benchFile(b, 66, 2) }
func BenchmarkFileSmallBatch(b *testing.B)       { benchFile(b, 66, 3) }
func BenchmarkFileLargeSync(b *testing.B)        { benchFile(b, 1514, 0) }
func BenchmarkFileLargeReadAhead(b *testing.B)   { benchFile(b, 1514, 1) }
func BenchmarkFileLargeDecodeAhead(b *testing.B) { benchFile(b, 1514, 2) }
func BenchmarkFileLargeBatch(b *testing.B)       { benchFile(b, 1514, 3) }

// BenchmarkDecodeHandData is BenchmarkDecodeHand on a data segment (100
// bytes of payload, whose first bytes the decoder copies into Packet.Head).
func BenchmarkDecodeHandData(b *testing.B) {
	data := eth(etherIPv4, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP}.build(tcp(40000, 443, TCPAck|TCPPsh, make([]byte, 100))))
	d := newDecoder(Options{})
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		p = Packet{LinkType: LinkTypeEthernet, CapLen: len(data), WireLen: len(data)}
		d.decode(&p, data)
	}
	if p.DstPort != 443 || p.PayloadLen != 100 {
		b.Fatal("not decoded")
	}
}
