package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func threeFrames() []frame {
	return []frame{
		{ts: t0, data: simpleTCP()},
		{ts: t0.Add(time.Millisecond), data: eth(etherARP, make([]byte, 28))},
		{ts: t0.Add(2*time.Millisecond + 123456789), data: eth(etherIPv6, ip6("::1", "::2", ProtoUDP, udp(1, 2, nil)))},
	}
}

func TestClassicPcapVariants(t *testing.T) {
	for _, v := range []struct {
		name      string
		nano, big bool
	}{{"us le", false, false}, {"us be", false, true}, {"ns le", true, false}, {"ns be", true, true}} {
		file := pcapFile(t, LinkTypeEthernet, v.nano, v.big, threeFrames())
		pkts, s := readAll(t, Options{}, file)
		if len(pkts) != 3 {
			t.Fatalf("%s: %d packets, want 3", v.name, len(pkts))
		}
		for i, p := range pkts {
			if p.Frame != int64(i+1) || p.File != 0 {
				t.Errorf("%s: packet %d is frame %d file %d", v.name, i, p.Frame, p.File)
			}
		}
		wantTS := threeFrames()[2].ts
		if !v.nano {
			wantTS = wantTS.Truncate(time.Microsecond)
		}
		if !pkts[2].Time.Equal(wantTS) || pkts[2].Time.Location() != time.UTC {
			t.Errorf("%s: time %v, want %v", v.name, pkts[2].Time, wantTS)
		}
		if pkts[0].Kind != KindIP || pkts[1].Kind != KindNonIP || pkts[2].Version != 6 {
			t.Errorf("%s: kinds %v %v v%d", v.name, pkts[0].Kind, pkts[1].Kind, pkts[2].Version)
		}
		fi := s.Files()[0]
		if fi.Format != "pcap" || fi.Nanosecond != v.nano || fi.Records != 3 || !fi.Complete || !s.Complete() || len(s.Problems()) != 0 {
			t.Errorf("%s: file info %+v complete %v problems %v", v.name, fi, s.Complete(), s.Problems())
		}
	}
}

func TestPcapngMixedLinkTypes(t *testing.T) {
	raw := ip4{src: "10.9.0.1", dst: "10.9.0.2", proto: ProtoUDP}.build(udp(7, 8, nil))
	frames := []frame{
		{ts: t0, data: simpleTCP(), iface: 0},
		{ts: t0.Add(time.Second), data: raw, iface: 1},
		{ts: t0.Add(2 * time.Second), data: eth(etherARP, make([]byte, 28)), iface: 0},
	}
	file := pcapngFile(t, []uint16{LinkTypeEthernet, LinkTypeRaw}, frames)
	pkts, s := readAll(t, Options{}, file)
	if len(pkts) != 3 {
		t.Fatalf("%d packets, want 3; problems %v", len(pkts), s.Problems())
	}
	if pkts[0].LinkType != LinkTypeEthernet || pkts[1].LinkType != LinkTypeRaw || pkts[1].DstPort != 8 || pkts[2].Kind != KindNonIP {
		t.Errorf("packets: %+v / %+v / %+v", pkts[0], pkts[1], pkts[2])
	}
	if !pkts[1].Time.Equal(t0.Add(time.Second)) || pkts[2].Frame != 3 {
		t.Errorf("time %v frame %d", pkts[1].Time, pkts[2].Frame)
	}
	fi := s.Files()[0]
	if fi.Format != "pcapng" || len(fi.LinkTypes) != 2 || fi.LinkTypes[1] != LinkTypeRaw || !fi.Nanosecond || !s.Complete() {
		t.Errorf("file info %+v", fi)
	}
}

func TestGzip(t *testing.T) {
	for _, file := range [][]byte{
		gz(t, pcapFile(t, LinkTypeEthernet, false, false, threeFrames())),
		gz(t, pcapngFile(t, []uint16{LinkTypeEthernet}, threeFrames())),
	} {
		pkts, s := readAll(t, Options{}, file)
		if len(pkts) != 3 || !s.Files()[0].Gzip || !s.Complete() {
			t.Errorf("gzip: %d packets, info %+v, problems %v", len(pkts), s.Files()[0], s.Problems())
		}
	}
	// A gzip stream cut short: packets before the cut, then a fatal problem.
	big := make([]frame, 200)
	for i := range big {
		big[i] = frame{ts: t0.Add(time.Duration(i) * time.Millisecond), data: simpleTCP()}
	}
	z := gz(t, pcapFile(t, LinkTypeEthernet, false, false, big))
	pkts, s := readAll(t, Options{}, z[:len(z)-30])
	if s.Complete() || len(s.Problems()) != 1 || !s.Problems()[0].Fatal || len(pkts) == 0 {
		t.Errorf("cut gzip: %d packets, problems %v", len(pkts), s.Problems())
	}
}

func TestMergeOrder(t *testing.T) {
	a := pcapFile(t, LinkTypeEthernet, false, false, []frame{
		{ts: t0, data: simpleTCP()},
		{ts: t0.Add(2 * time.Second), data: simpleTCP()},
		{ts: t0.Add(4 * time.Second), data: simpleTCP()},
	})
	b := pcapngFile(t, []uint16{LinkTypeEthernet}, []frame{
		{ts: t0.Add(time.Second), data: simpleTCP()},
		{ts: t0.Add(2 * time.Second), data: simpleTCP()}, // tie with a's frame 2: a first
		{ts: t0.Add(3 * time.Second), data: simpleTCP()},
	})
	pkts, s := readAll(t, Options{}, a, b)
	var got []string
	for _, p := range pkts {
		got = append(got, string(rune('a'+p.File))+string(rune('0'+p.Frame)))
	}
	if strings.Join(got, " ") != "a1 b1 a2 b2 b3 a3" {
		t.Errorf("merge order %v", got)
	}
	if !s.Complete() || len(s.Files()) != 2 || s.Files()[1].Records != 3 {
		t.Errorf("files %+v", s.Files())
	}
}

// bothModes runs f with and without the read-ahead goroutine.
func bothModes(t *testing.T, f func(t *testing.T)) {
	defer func(old, oldDecode bool) { readAhead, decodeAhead = old, oldDecode }(readAhead, decodeAhead)
	for _, on := range []bool{false, true} {
		readAhead, decodeAhead = on, on
		t.Run(map[bool]string{false: "sync", true: "readahead"}[on], f)
	}
}

func TestTruncatedFiles(t *testing.T) { bothModes(t, testTruncatedFiles) }

func testTruncatedFiles(t *testing.T) {
	good := pcapFile(t, LinkTypeEthernet, false, false, threeFrames())
	dir := t.TempDir()
	rec3 := len(good) - len(threeFrames()[2].data) - 16
	cases := []struct {
		name    string
		size    int
		packets int
		frame   int64
		reason  string
	}{
		{"inside record data", len(good) - 5, 3, 3, "record truncated"},
		{"inside record header", rec3 + 7, 2, 3, "file ends inside a record header (7 of 16 bytes)"},
		{"inside file header", 10, 0, 0, "pcap file header truncated"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".pcap")
		if err := os.WriteFile(path, good[:c.size], 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open([]string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var p Packet
		for s.Next(&p) == nil {
			n++
		}
		s.Close()
		probs := s.Problems()
		if n != c.packets || len(probs) != 1 || !probs[0].Fatal || probs[0].Frame != c.frame || !strings.Contains(probs[0].Reason, c.reason) || s.Complete() {
			t.Errorf("%s: %d packets (want %d), problems %+v", c.name, n, c.packets, probs)
			continue
		}
		if probs[0].File != path {
			t.Errorf("%s: problem names %q", c.name, probs[0].File)
		}
		if c.frame == 3 && probs[0].Offset != int64(rec3) {
			t.Errorf("%s: offset %d, want %d", c.name, probs[0].Offset, rec3)
		}
	}
	// The partial last record is delivered with what it has.
	pkts, _ := readAll(t, Options{}, good[:len(good)-5])
	if last := pkts[2]; last.CapLen != len(threeFrames()[2].data)-5 || last.Kind != KindIP {
		t.Errorf("partial record: caplen %d kind %v", last.CapLen, last.Kind)
	}
}

func TestCorruptRecords(t *testing.T) { bothModes(t, testCorruptRecords) }

func testCorruptRecords(t *testing.T) {
	good := pcapFile(t, LinkTypeEthernet, false, false, threeFrames())
	bad := append([]byte(nil), good...)
	off := 24 + 16 + len(threeFrames()[0].data)
	bad[off+8], bad[off+9], bad[off+10], bad[off+11] = 0xff, 0xff, 0xff, 0x7f // caplen of record 2
	pkts, s := readAll(t, Options{}, bad)
	probs := s.Problems()
	if len(pkts) != 1 || len(probs) != 1 || probs[0].Frame != 2 || probs[0].Offset != int64(off) || !strings.Contains(probs[0].Reason, "exceeds the maximum") {
		t.Errorf("absurd caplen: %d packets, problems %+v", len(pkts), probs)
	}

	ng := pcapngFile(t, []uint16{LinkTypeEthernet}, threeFrames())
	// Find the second EPB and make its captured length larger than its block.
	epb := bytes.Index(ng, []byte{6, 0, 0, 0})
	epb2 := epb + int(le32At(ng, epb+4))
	cut := append([]byte(nil), ng...)
	cut[epb2+20] = 0xf0
	pkts, s = readAll(t, Options{}, cut)
	probs = s.Problems()
	if len(pkts) != 1 || len(probs) != 1 || probs[0].Frame != 2 || probs[0].Offset != int64(epb2) || !strings.Contains(probs[0].Reason, "exceeds the block") {
		t.Errorf("pcapng caplen > block: %d packets, problems %+v", len(pkts), probs)
	}
	// pcapng cut inside the last block: the partial record is delivered,
	// as the classic reader does (here its data is whole, the trailer cut).
	pkts, s = readAll(t, Options{}, ng[:len(ng)-3])
	probs = s.Problems()
	if len(pkts) != 3 || len(probs) != 1 || probs[0].Frame != 3 || !strings.Contains(probs[0].Reason, "record truncated") || s.Complete() {
		t.Errorf("pcapng truncated: %d packets, problems %+v", len(pkts), probs)
	} else if pkts[2].CapLen != len(threeFrames()[2].data) || pkts[2].Kind != KindIP {
		t.Errorf("pcapng truncated: partial record %+v", pkts[2])
	}
	// Cut inside the packet data: the bytes present are delivered.
	pkts, s = readAll(t, Options{}, ng[:epb2+int(le32At(ng, epb2+4))+28+10])
	probs = s.Problems()
	if len(pkts) != 3 || len(probs) != 1 || probs[0].Frame != 3 || probs[0].Offset != int64(epb2+int(le32At(ng, epb2+4))) || pkts[2].CapLen != 10 || pkts[2].WireLen != len(threeFrames()[2].data) {
		t.Errorf("pcapng cut in data: %d packets, problems %+v", len(pkts), probs)
	}
	// Trailing length differs.
	bad = append([]byte(nil), ng...)
	bad[epb2-4] ^= 0x40
	if pkts, s = readAll(t, Options{}, bad); len(pkts) != 0 || len(s.Problems()) != 1 || !strings.Contains(s.Problems()[0].Reason, "trailing length") {
		t.Errorf("trailing length: %d packets, problems %+v", len(pkts), s.Problems())
	}
}

func le32At(b []byte, i int) uint32 {
	return uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
}

func TestNotCaptures(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("this is not a capture file at all\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	good := filepath.Join(dir, "good.pcap")
	os.WriteFile(good, pcapFile(t, LinkTypeEthernet, false, false, threeFrames()), 0o644)
	missing := filepath.Join(dir, "missing.pcap")
	s, err := Open([]string{text, missing, good, empty}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	var p Packet
	for s.Next(&p) == nil {
		if p.File != 2 {
			t.Errorf("packet from file %d", p.File)
		}
		n++
	}
	probs := s.Problems()
	if n != 3 || len(probs) != 3 || s.Complete() {
		t.Fatalf("%d packets, problems %+v", n, probs)
	}
	for i, want := range []string{"not a capture file", "cannot open", "empty file"} {
		if !strings.Contains(probs[i].Reason, want) || !probs[i].Fatal {
			t.Errorf("problem %d = %+v, want %q", i, probs[i], want)
		}
	}
	fi := s.Files()
	if fi[0].Format != "" || fi[2].Format != "pcap" || !fi[2].Complete || fi[0].Complete {
		t.Errorf("files %+v", fi)
	}
	if _, err := Open(nil, Options{}); err == nil {
		t.Error("Open with no paths succeeded")
	}
}

func TestUnknownLinkTypeCounted(t *testing.T) {
	file := pcapFile(t, 147, false, false, threeFrames())
	pkts, s := readAll(t, Options{}, file)
	if len(pkts) != 3 || !s.Complete() {
		t.Fatalf("%d packets", len(pkts))
	}
	if probs := s.Problems(); len(probs) != 1 || probs[0].Fatal || probs[0].Reason != "unsupported link type 147 (USER0): its records are counted as undecodable" {
		t.Errorf("problems %+v, want one warning", probs)
	}
	for _, p := range pkts {
		if p.Kind != KindUndecodable || p.Reason != "unsupported link type 147 (USER0)" {
			t.Errorf("frame %d: %v %q", p.Frame, p.Kind, p.Reason)
		}
	}
}

func TestOpenReadersStdinPath(t *testing.T) {
	// Open("-") reads standard input through the same path as OpenReaders.
	s, err := OpenReaders([]string{"-"}, []io.Reader{bytes.NewReader(pcapFile(t, LinkTypeRaw, false, false, []frame{{ts: t0, data: ip6("::1", "::2", ProtoTCP, tcp(1, 2, TCPSyn, nil))}}))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	if err := s.Next(&p); err != nil || p.Proto != ProtoTCP || s.Files()[0].Name != "-" {
		t.Errorf("next: %v %+v", err, p)
	}
	if err := s.Next(&p); err != io.EOF || !s.Complete() {
		t.Errorf("second next: %v complete %v", err, s.Complete())
	}
}

func TestFilterNeedsPcapTag(t *testing.T) {
	_, err := Open([]string{"x.pcap"}, Options{Filter: "tcp"})
	if hasPcapTag {
		if err != nil {
			t.Errorf("filter with pcap tag: %v", err)
		}
	} else if err != ErrNoBPF {
		t.Errorf("Open with a filter = %v, want ErrNoBPF", err)
	}
}

// TestHugeRecords reads records longer than the read-ahead chunk and
// headroom from a reader that returns short reads: every record stays
// aligned.
func TestHugeRecords(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		var frames []frame
		for i, size := range []int{100, 2 << 20, 60, 1<<20 + 3, 70, 3 << 20, 80} {
			payload := make([]byte, max(size-54, 0))
			data := eth(etherIPv4, ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoTCP, total: -1}.build(tcp(uint16(1000+i), 80, TCPAck, payload)))
			frames = append(frames, frame{ts: t0.Add(time.Duration(i) * time.Second), data: data})
		}
		file := pcapFile(t, LinkTypeEthernet, false, false, frames)
		file[16], file[17], file[18], file[19] = 0, 0, 0x40, 0 // snaplen 4 MiB
		s, err := OpenReaders([]string{"huge"}, []io.Reader{iotest.HalfReader(bytes.NewReader(file))}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		var p Packet
		for s.Next(&p) == nil {
			if p.CapLen != len(frames[i].data) || p.SrcPort != uint16(1000+i) || p.IPLen != len(frames[i].data)-14 {
				t.Errorf("record %d: caplen %d port %d iplen %d", i, p.CapLen, p.SrcPort, p.IPLen)
			}
			i++
		}
		if i != len(frames) || !s.Complete() {
			t.Errorf("%d records, complete %v, problems %v", i, s.Complete(), s.Problems())
		}
	})
}

// TestPcapngSections reads two sections (two pcapng files concatenated,
// as some tools write): interface IDs restart, frames go on.
func TestPcapngSections(t *testing.T) {
	a := pcapngFile(t, []uint16{LinkTypeEthernet}, threeFrames())
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	b := pcapngFile(t, []uint16{LinkTypeRaw}, []frame{{ts: t0.Add(time.Hour), data: raw}})
	pkts, s := readAll(t, Options{}, cat(a, b))
	if len(pkts) != 4 || pkts[3].Frame != 4 || pkts[3].LinkType != LinkTypeRaw || pkts[3].DstPort != 2 || !s.Complete() {
		t.Errorf("%d packets, last %+v, problems %v", len(pkts), pkts[len(pkts)-1], s.Problems())
	}
	if lts := s.Files()[0].LinkTypes; len(lts) != 2 || lts[0] != LinkTypeEthernet || lts[1] != LinkTypeRaw {
		t.Errorf("link types %v", lts)
	}
}

// TestStdin reads "-" from a pipe standing in for standard input.
func TestStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func(old *os.File) { os.Stdin = old }(os.Stdin)
	os.Stdin = r
	data := gz(t, pcapFile(t, LinkTypeEthernet, true, false, threeFrames()))
	go func() {
		w.Write(data)
		w.Close()
	}()
	s, err := Open([]string{"-"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	var p Packet
	for s.Next(&p) == nil {
		n++
	}
	if fi := s.Files()[0]; n != 3 || fi.Name != "-" || !fi.Gzip || !fi.Nanosecond || !s.Complete() {
		t.Errorf("%d packets, info %+v", n, fi)
	}
}
