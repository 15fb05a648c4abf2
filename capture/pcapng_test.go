package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngBuilder writes raw pcapng blocks, so that tests can shape every field.
type ngBuilder struct {
	order binary.ByteOrder
	out   []byte
}

func (w *ngBuilder) u16(v uint16) []byte { b := make([]byte, 2); w.order.PutUint16(b, v); return b }
func (w *ngBuilder) u32(v uint32) []byte { b := make([]byte, 4); w.order.PutUint32(b, v); return b }
func (w *ngBuilder) u64(v uint64) []byte { b := make([]byte, 8); w.order.PutUint64(b, v); return b }

// opt is one option, padded to 4 bytes.
func (w *ngBuilder) opt(code uint16, v []byte) []byte {
	return cat(w.u16(code), w.u16(uint16(len(v))), v, make([]byte, (4-len(v)%4)%4))
}

// block appends a block of type typ with the given body; it returns the block's offset.
func (w *ngBuilder) block(typ uint32, body ...[]byte) int {
	off := len(w.out)
	b := cat(body...)
	n := uint32(12 + len(b))
	w.out = append(w.out, cat(w.u32(typ), w.u32(n), b, w.u32(n))...)
	return off
}

func (w *ngBuilder) shb(major uint16, opts ...[]byte) int {
	return w.block(ngSHB, w.u32(0x1a2b3c4d), w.u16(major), w.u16(0), w.u64(^uint64(0)), cat(opts...))
}

func (w *ngBuilder) idb(link uint16, opts ...[]byte) int {
	return w.block(ngIDB, w.u16(link), w.u16(0), w.u32(0), cat(opts...))
}

func (w *ngBuilder) epb(iface uint32, ts uint64, data []byte, opts ...[]byte) int {
	return w.block(ngEPB, w.u32(iface), w.u32(uint32(ts>>32)), w.u32(uint32(ts)), w.u32(uint32(len(data))), w.u32(uint32(len(data))),
		data, make([]byte, (4-len(data)%4)%4), cat(opts...))
}

// refRecord is one record as read by pcapgo.NgReader (the slow reference).
type refRecord struct {
	data         []byte
	ts           time.Time
	capLen, wire int
	link         uint16
	// offset is the record's file offset (ngReader only; sameRecords
	// does not compare it).
	offset int64
}

// readNgReference reads a pcapng file with pcapgo; ok is false when pcapgo fails.
func readNgReference(file []byte) (recs []refRecord, ok bool) {
	r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
	if err != nil {
		return nil, false
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return recs, true
		}
		if err != nil {
			return recs, false
		}
		lt := uint16(0)
		if len(ci.AncillaryData) > 0 {
			if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				lt = uint16(l)
			}
		}
		recs = append(recs, refRecord{data: data, ts: ci.Timestamp, capLen: ci.CaptureLength, wire: max(ci.Length, ci.CaptureLength), link: lt})
	}
}

// readNgRecords reads a pcapng file with ngReader, returning the records
// and the problems (fatal last).
func readNgRecords(file []byte, readAhead bool) (recs []refRecord, probs []*fileProblem) {
	return readNgRecordsWith(file, readAhead, true)
}

// readNgRecordsWith is readNgRecords with the fast path of enhanced
// packet blocks (nextEPB) on or off.
func readNgRecordsWith(file []byte, readAhead, fast bool) (recs []refRecord, probs []*fileProblem) {
	warn := func(p *fileProblem) { probs = append(probs, p) }
	var info FileInfo
	rr, err := openReader(bytes.NewReader(file), &info, readAhead, false, warn)
	if err != nil {
		var fp *fileProblem
		errors.As(err, &fp)
		return nil, append(probs, fp)
	}
	ng, ok := rr.(*ngReader)
	if !ok {
		return nil, append(probs, &fileProblem{reason: "not pcapng"})
	}
	ng.noFast = !fast
	if ng.in.pf != nil {
		defer ng.in.pf.close()
	}
	for {
		var rec record
		err := ng.next(&rec)
		if rec.data != nil {
			recs = append(recs, refRecord{data: append([]byte(nil), rec.data...), ts: rec.ts, capLen: rec.capLen, wire: rec.wireLen, link: rec.linkType, offset: rec.offset})
		}
		if err == io.EOF {
			return recs, probs
		}
		if err != nil {
			var fp *fileProblem
			if !errors.As(err, &fp) {
				fp = &fileProblem{reason: "not a fileProblem: " + err.Error()}
			}
			return recs, append(probs, fp)
		}
	}
}

// sameRecords compares ngReader's records with pcapgo's; timestamps may
// differ by less than tol (pcapgo rounds binary resolutions: 513/1024 s
// is 500976306 ns there, 500976562 here); tol 0 skips timestamps
// (pcapgo also reads if_tsresol 0, whole seconds, as microseconds).
func sameRecords(t *testing.T, name string, got, want []refRecord, tol time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, pcapgo %d", name, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if d := g.ts.Sub(w.ts); !bytes.Equal(g.data, w.data) || tol > 0 && (d >= tol || d <= -tol) || g.capLen != w.capLen || g.wire != w.wire || g.link != w.link {
			t.Fatalf("%s record %d: got ts %v cap %d wire %d link %d, pcapgo ts %v cap %d wire %d link %d (data equal %v)",
				name, i+1, g.ts, g.capLen, g.wire, g.link, w.ts, w.capLen, w.wire, w.link, bytes.Equal(g.data, w.data))
		}
	}
}

// differentialFiles are pcapng files both readers must read alike.
func differentialFiles(t testing.TB) map[string][]byte {
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	files := map[string][]byte{
		"writer":       pcapngFile(t, []uint16{LinkTypeEthernet, LinkTypeRaw}, append(threeFrames(), frame{ts: t0.Add(time.Second), data: raw, iface: 1, wire: 900})),
		"large":        pcapngFile(t, []uint16{LinkTypeEthernet}, genFrames(3000, 1514)),
		"jumbo":        pcapngFile(t, []uint16{LinkTypeEthernet}, genFrames(40, 200_000)), // blocks beyond the read-ahead headroom
		"two-sections": cat(pcapngFile(t, []uint16{LinkTypeEthernet}, threeFrames()), pcapngFile(t, []uint16{LinkTypeRaw}, []frame{{ts: t0.Add(time.Hour), data: raw}})),
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		w := &ngBuilder{order: order}
		w.shb(1, w.opt(4, []byte("test")))
		w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{0x8a}))                                 // 2^-10 s
		w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{3}), w.opt(ngOptTSOffset, w.u64(3600))) // ms, +1 h
		w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{1}))                                    // tenths (pcapgo reads 10^0, seconds, as 10^-6)
		w.epb(0, 1_800_000_000<<10|513, raw)
		w.epb(1, 1_800_000_000_123, raw, w.opt(2, w.u32(1))) // epb_flags
		w.epb(2, 1_800_000_001, raw[:7])
		w.block(ngSPB, w.u32(uint32(len(raw))), raw)
		w.block(5, w.u32(0), make([]byte, 20)) // interface statistics: skipped
		w.idb(LinkTypeRaw)                     // microseconds: the fast path (nextEPB)
		w.epb(3, 1_800_000_000_123_456, raw)
		w.epb(3, 1_800_000_000_123_457, raw[:9])
		files["built-"+order.String()] = w.out
	}
	return files
}

// TestPcapngDifferential: on valid files ngReader returns exactly what
// pcapgo.NgReader (the former implementation) returns, with and without
// read-ahead.
func TestPcapngDifferential(t *testing.T) {
	files := differentialFiles(t)
	if dir := filepath.Join("..", "..", "shared", "corpus"); dirExists(dir) {
		filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(path, ".pcapng") {
				if b, err := os.ReadFile(path); err == nil {
					files[path] = b
				}
			}
			return nil
		})
	}
	for name, file := range files {
		want, ok := readNgReference(file)
		if !ok {
			t.Fatalf("%s: pcapgo cannot read it", name)
		}
		for _, ra := range []bool{false, true} {
			got, probs := readNgRecords(file, ra)
			if len(probs) != 0 {
				t.Fatalf("%s: problems %+v", name, probs[0])
			}
			sameRecords(t, name, got, want, time.Microsecond)
			if strings.HasPrefix(name, "built") && got[0].ts.Nanosecond() != 500976562 {
				t.Errorf("%s: 513/1024 s read as %d ns", name, got[0].ts.Nanosecond())
			}
		}
	}
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// TestPcapngOptionOverrun: an option whose length runs past its block is
// reported at its offset; the block's other fields and every following
// block are still read (issue 16: 97 of 100 packets were lost).
func TestPcapngOptionOverrun(t *testing.T) {
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	w := &ngBuilder{order: binary.LittleEndian}
	w.shb(1)
	idb := w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{9}), cat(w.u16(2), w.u16(400), []byte("name")))
	var bad int
	for i := range 100 {
		if i == 3 {
			bad = w.epb(0, uint64(i)*1e9, raw, cat(w.u16(1), w.u16(5000)))
			continue
		}
		w.epb(0, uint64(i)*1e9, raw)
	}
	for _, ra := range []bool{false, true} {
		recs, probs := readNgRecords(w.out, ra)
		if len(recs) != 100 {
			t.Fatalf("read-ahead %v: %d of 100 records, problems %+v", ra, len(recs), probs)
		}
		if recs[99].ts.Unix() != 99 || recs[3].ts.Unix() != 3 {
			t.Errorf("timestamps %v %v (nanosecond resolution before the bad option must hold)", recs[3].ts, recs[99].ts)
		}
		if len(probs) != 2 {
			t.Fatalf("problems %+v", probs)
		}
		if p := probs[0]; p.frame != 0 || p.offset != int64(idb+16+8) || !strings.Contains(p.reason, "corrupt option 2: 400 bytes announced") {
			t.Errorf("IDB problem %+v", p)
		}
		epbOpts := bad + 28 + (len(raw)+3)&^3
		if p := probs[1]; p.frame != 4 || p.offset != int64(epbOpts) || !strings.Contains(p.reason, "corrupt option 1") {
			t.Errorf("EPB problem %+v, want frame 4 offset %d", p, epbOpts)
		}
	}
}

// TestPcapngTimestampRange: timestamps no output can represent are a
// problem of their frame (the packet is kept, with the previous time),
// not clamped to 2262 or wrapped to 1969.
func TestPcapngTimestampRange(t *testing.T) {
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	w := &ngBuilder{order: binary.BigEndian}
	w.shb(1)
	w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{9}))
	w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{0}))
	w.idb(LinkTypeRaw, w.opt(ngOptTSOffset, w.u64(uint64(1<<64-10_000_000_000)))) // -1e10 s
	w.epb(0, 1_700_000_000_000_000_000, raw)                                      // 2023
	w.epb(0, ^uint64(0), raw)                                                     // 2554 in ns
	w.epb(1, 10_000_000_000, raw)                                                 // year 2286 in seconds
	w.epb(1, 9_000_000_000, raw)                                                  // 2255: fine
	w.epb(2, 1_000_000, raw)                                                      // 1 s in µs, minus 1e10 s: 1653
	off := w.epb(1, 1<<63, raw)                                                   // int64 overflow
	recs, probs := readNgRecords(w.out, false)
	if len(recs) != 6 {
		t.Fatalf("%d records, problems %+v", len(recs), probs)
	}
	want := []int64{1_700_000_000, 1_700_000_000, 1_700_000_000, 9_000_000_000, 9_000_000_000, 9_000_000_000}
	for i, r := range recs {
		if r.ts.Unix() != want[i] {
			t.Errorf("record %d: %v, want %d s", i+1, r.ts, want[i])
		}
	}
	frames := []int64{2, 3, 5, 6}
	if len(probs) != len(frames) {
		t.Fatalf("problems %+v", probs)
	}
	for i, p := range probs {
		if p.frame != frames[i] || !strings.Contains(p.reason, "timestamp out of range") {
			t.Errorf("problem %d: %+v, want frame %d", i, p, frames[i])
		}
	}
	if probs[3].offset != int64(off) {
		t.Errorf("offset %d, want %d", probs[3].offset, off)
	}
}

// TestPcapngVersionAndTruncation: a section of an unknown version is
// skipped with a warning, the next section read; a block cut before its
// packet header delivers nothing.
func TestPcapngVersionAndTruncation(t *testing.T) {
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	w := &ngBuilder{order: binary.LittleEndian}
	w.shb(1)
	w.idb(LinkTypeRaw)
	w.epb(0, 1, raw)
	w.shb(2)
	w.idb(LinkTypeEthernet)
	w.epb(0, 2, raw)
	w.shb(1)
	w.idb(LinkTypeRaw)
	w.epb(0, 3, raw)
	last := w.epb(0, 4, raw)
	recs, probs := readNgRecords(w.out[:last+20], true)
	if len(recs) != 2 || recs[1].ts.UnixMicro() != 3 || len(probs) != 2 {
		t.Fatalf("%d records, problems %+v", len(recs), probs)
	}
	if !strings.Contains(probs[0].reason, "version 2.0 skipped") || probs[1].frame != 3 || probs[1].offset != int64(last) || !strings.Contains(probs[1].reason, "record truncated") {
		t.Errorf("problems %+v %+v", probs[0], probs[1])
	}
}

// TestPcapngNoAllocs: reading EPB records allocates nothing per record.
func TestPcapngNoAllocs(t *testing.T) {
	file := pcapngFile(t, []uint16{LinkTypeEthernet}, genFrames(5000, 66))
	ng, err := newNgReader(bytes.NewReader(file), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rec record
	for range 100 {
		if err := ng.next(&rec); err != nil {
			t.Fatal(err)
		}
	}
	if a := testing.AllocsPerRun(4000, func() {
		if err := ng.next(&rec); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%.2f allocations per record", a)
	}
}

// BenchmarkRecordsNg reads pcapng records (no decoding); compare with
// BenchmarkRecordsHand (classic pcap) and BenchmarkRecordsNgPcapgo.
func BenchmarkRecordsNg(b *testing.B) {
	file := pcapngFile(b, []uint16{LinkTypeEthernet}, genFrames(20000, 66))
	b.SetBytes(int64(len(file)) / 20000)
	var rec record
	var ng *ngReader
	b.ReportAllocs()
	for b.Loop() {
		if ng == nil || ng.next(&rec) != nil {
			var err error
			if ng, err = newNgReader(bytes.NewReader(file), nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRecordsNgPcapgo is the former reader (pcapgo.NgReader).
func BenchmarkRecordsNgPcapgo(b *testing.B) {
	file := pcapngFile(b, []uint16{LinkTypeEthernet}, genFrames(20000, 66))
	b.SetBytes(int64(len(file)) / 20000)
	var r *pcapgo.NgReader
	b.ReportAllocs()
	for b.Loop() {
		if r == nil {
			var err error
			if r, err = pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.DefaultNgReaderOptions); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
			r = nil
		}
	}
}

// FuzzPcapng: any input reads without panic; problems point inside the
// file; records never reach past it; a file read without any problem
// reads exactly as pcapgo reads it.
func FuzzPcapng(f *testing.F) {
	for _, file := range differentialFiles(f) {
		if len(file) < 20000 {
			f.Add(file)
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		if len(file) < 4 || binary.LittleEndian.Uint32(file) != ngSHB {
			return
		}
		got, probs := readNgRecords(file, false)
		for _, p := range probs {
			if p == nil || p.reason == "" || p.offset < 0 || p.offset > int64(len(file)) {
				t.Fatalf("bad problem %+v", p)
			}
		}
		for _, r := range got {
			if r.capLen != len(r.data) || r.capLen > len(file) || r.wire < r.capLen {
				t.Fatalf("bad record cap %d wire %d data %d", r.capLen, r.wire, len(r.data))
			}
		}
		again, _ := readNgRecords(file, true)
		sameRecords(t, "read-ahead", again, got, 1)
		slow, slowProbs := readNgRecordsWith(file, false, false)
		sameRecords(t, "without the fast path", slow, got, 1)
		sameProblems(t, slowProbs, probs)
		if len(probs) == 0 && onlyVersion10(file) {
			if want, ok := readNgReference(file); ok {
				sameRecords(t, "fuzz", got, want, 0)
			}
		}
	})
}

// onlyVersion10 reports whether every section header of a (problem-free)
// file says version 1.0: pcapgo skips 1.2 sections, which libpcap reads.
func onlyVersion10(file []byte) bool {
	ok := true
	eachBlock(file, func(i int, order binary.ByteOrder) bool {
		if i+16 > len(file) {
			return false
		}
		if binary.LittleEndian.Uint32(file[i:]) == ngSHB && (order.Uint16(file[i+12:]) != 1 || order.Uint16(file[i+14:]) != 0) {
			ok = false
		}
		return ok
	})
	return ok
}

// eachBlock calls fn with the offset and byte order of every block of a
// pcapng file, following the block lengths, until fn returns false or a
// length is too short to go on.
func eachBlock(file []byte, fn func(i int, order binary.ByteOrder) bool) {
	order := binary.ByteOrder(binary.LittleEndian)
	for i := 0; i+12 <= len(file); {
		if binary.LittleEndian.Uint32(file[i:]) == ngSHB {
			order = binary.LittleEndian
			if file[i+8] == 0x1a {
				order = binary.BigEndian
			}
		}
		if !fn(i, order) {
			return
		}
		n := int(order.Uint32(file[i+4:]))
		if n < 12 {
			return
		}
		i += n
	}
}

// sameProblems compares the problems of two reads of one file.
func sameProblems(t *testing.T, got, want []*fileProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d: %+v %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if *got[i] != *want[i] {
			t.Fatalf("problem %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
}

// TestPcapngFastPath: reading enhanced packet blocks through nextEPB
// gives the records and problems of the full block reader, on every
// differential file, cut short at and around every block boundary, and
// with a damaged byte at every 7th of the first 600 offsets; and the
// fast path is taken for the common blocks.
func TestPcapngFastPath(t *testing.T) {
	files := differentialFiles(t)
	raw := ip4{src: "10.0.0.1", dst: "10.0.0.2", proto: ProtoUDP}.build(udp(1, 2, nil))
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		w := &ngBuilder{order: order}
		w.shb(1)
		w.idb(LinkTypeRaw)                                 // microseconds
		w.idb(LinkTypeRaw, w.opt(ngOptTSResol, []byte{9})) // nanoseconds
		w.epb(1, 1<<63, raw)                               // out of range, no previous packet: the zero time
		w.epb(0, 1_800_000_000_123_456, raw)
		w.block(ngEPB, w.u32(0), w.u32(0), w.u32(7), w.u32(uint32(len(raw))), w.u32(3), raw, make([]byte, (4-len(raw)%4)%4)) // wire < captured
		w.epb(0, 1_800_000_000_123_458, raw, w.opt(2, w.u32(1)))                                                             // epb_flags
		w.epb(0, 1_800_000_000_123_459, raw, cat(w.u16(2), w.u16(100), w.u32(0)))                                            // option overruns the block
		w.epb(1, 1<<63, raw)                                                                                                 // out of range: the previous time
		w.epb(1, 1_800_000_000_123_456_789, raw[:1])
		files["fast-"+order.String()] = w.out
		files["huge-caplen-"+order.String()] = cat(w.out, w.out[:0], func() []byte {
			v := &ngBuilder{order: order}
			v.block(ngEPB, v.u32(0), v.u32(0), v.u32(1), v.u32(0xfffffffd), v.u32(0)) // 32 bytes claiming 4 GB
			return v.out
		}())
	}
	for name, file := range files {
		variants := map[string][]byte{"whole": file}
		eachBlock(file, func(i int, _ binary.ByteOrder) bool {
			for _, d := range []int{0, 5, 13, 29} {
				if i+d < len(file) {
					variants[fmt.Sprintf("cut at %d", i+d)] = file[:i+d]
				}
			}
			return len(variants) <= 400
		})
		for i := 0; i < min(len(file), 600); i += 7 {
			bad := append([]byte(nil), file...)
			bad[i] ^= 0x5a
			variants[fmt.Sprintf("byte %d damaged", i)] = bad
		}
		for v, f := range variants {
			for _, ahead := range []bool{false, true} {
				got, gotProbs := readNgRecordsWith(f, ahead, true)
				want, wantProbs := readNgRecordsWith(f, ahead, false)
				sameRecords(t, name+" "+v, got, want, 1)
				for i := range got {
					if got[i].offset != want[i].offset || !got[i].ts.Equal(want[i].ts) {
						t.Fatalf("%s %s record %d: offset %d ts %v, want %d %v", name, v, i+1, got[i].offset, got[i].ts, want[i].offset, want[i].ts)
					}
				}
				sameProblems(t, gotProbs, wantProbs)
			}
		}
	}
	// The fast path is taken, for microsecond and nanosecond interfaces
	// in either byte order.
	for _, file := range [][]byte{pcapngFile(t, []uint16{LinkTypeEthernet}, genFrames(10, 66)), files["built-LittleEndian"], files["fast-BigEndian"]} {
		rr, err := openReader(bytes.NewReader(file), &FileInfo{}, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		ng := rr.(*ngReader)
		fast := 0
		var rec record
		for {
			if ng.nextEPB(&rec) {
				fast++
				continue
			}
			if err := ng.next(&rec); err != nil {
				break
			}
		}
		if fast == 0 {
			t.Errorf("no record read by nextEPB")
		}
	}
}
