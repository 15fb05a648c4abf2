package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Classic pcap magic numbers as read little-endian.
const (
	magicMicro   = 0xa1b2c3d4
	magicNano    = 0xa1b23c4d
	magicMicroBE = 0xd4c3b2a1
	magicNanoBE  = 0x4d3cb2a1
	// magicKuznetzov is the "modified pcap" format of old Red Hat
	// tcpdump: 24-byte record headers with ifindex, protocol and type.
	magicKuznetzov   = 0xa1b2cd34
	magicKuznetzovBE = 0x34cdb2a1
)

const (
	// minMaxCapLen is the smallest record length cap (libpcap's MAXIMUM_SNAPLEN).
	minMaxCapLen = 262144
	// maxMaxCapLen caps a huge snaplen announced by a file.
	maxMaxCapLen = 16 << 20
	// readBufSize is the read buffer of the classic pcap reader; it
	// starts at initBufSize and grows once the file proves larger.
	readBufSize = 1 << 20
	initBufSize = 64 << 10
)

// pcapReader is a hand-written classic pcap record reader: it reads into
// one large buffer and returns records as slices of it, so that reading
// costs one copy per byte and no allocation per record. It knows the
// offset of every record, which lets problems point into the file.
type pcapReader struct {
	r      io.Reader
	order  binary.ByteOrder
	big    bool // order is big-endian (the hot path avoids the interface)
	nano   bool
	hdrLen int // record header length: 16, or 24 for the modified format
	maxCap int
	link   uint16
	snap   uint32

	buf    []byte
	start  int   // first unread byte in buf
	end    int   // end of valid data in buf
	base   int64 // file offset of buf[0]
	eof    bool
	err    error // read error other than EOF
	frames int64
	// pf is the read-ahead goroutine, nil when reading synchronously;
	// pooled says whether buf belongs to it.
	pf     *prefetcher
	pooled bool
	// warn receives non-fatal problems of a frame (nil: none reported);
	// badTimes counts the frames with an invalid timestamp fraction.
	warn     func(*fileProblem)
	badTimes int
}

// maxTimeWarnings bounds the invalid-timestamp problems listed per file;
// the last one says that further frames are not listed.
const maxTimeWarnings = 10

// prefetch starts reading ahead in another goroutine (prompt: see
// startPrefetch).
func (pr *pcapReader) prefetch(prompt bool) {
	pr.pf = startPrefetch(pr.r, min(pr.hdrLen+pr.maxCap, maxHeadroom), prompt)
	pr.buf, pr.start, pr.end = nil, 0, 0
}

// newPcapReader parses the 24-byte file header (hdr) of a classic pcap file.
func newPcapReader(r io.Reader, hdr []byte) (*pcapReader, error) {
	if len(hdr) < 24 {
		return nil, &fileProblem{offset: 0, reason: fmt.Sprintf("pcap file header truncated: %d of 24 bytes", len(hdr))}
	}
	pr := &pcapReader{r: r, hdrLen: 16}
	switch binary.LittleEndian.Uint32(hdr[0:4]) {
	case magicMicro:
		pr.order = binary.LittleEndian
	case magicNano:
		pr.order, pr.nano = binary.LittleEndian, true
	case magicMicroBE:
		pr.order = binary.BigEndian
	case magicNanoBE:
		pr.order, pr.nano = binary.BigEndian, true
	case magicKuznetzov:
		pr.order, pr.hdrLen = binary.LittleEndian, 24
	case magicKuznetzovBE:
		pr.order, pr.hdrLen = binary.BigEndian, 24
	default:
		return nil, &fileProblem{offset: 0, reason: "not a pcap file: bad magic"}
	}
	pr.big = pr.order == binary.BigEndian
	if major := pr.order.Uint16(hdr[4:6]); major != 2 {
		return nil, &fileProblem{offset: 4, reason: fmt.Sprintf("unsupported pcap version %d.%d", major, pr.order.Uint16(hdr[6:8]))}
	}
	pr.snap = pr.order.Uint32(hdr[16:20])
	// The upper bits of the link-type field carry FCS information.
	pr.link = uint16(pr.order.Uint32(hdr[20:24]) & 0xffff)
	pr.maxCap = minMaxCapLen
	if s := int64(pr.snap); s > int64(pr.maxCap) {
		pr.maxCap = int(min(s, maxMaxCapLen))
	}
	pr.buf = make([]byte, initBufSize)
	pr.base = 24
	return pr, nil
}

// fill makes at least n bytes available from buf[start:], moving and
// growing the buffer as needed. It reports whether they are there.
func (pr *pcapReader) fill(n int) bool {
	if pr.pf != nil {
		return pr.fillPrefetched(n)
	}
	for pr.end-pr.start < n {
		if pr.eof || pr.err != nil {
			return false
		}
		if pr.start+n > len(pr.buf) {
			if n > len(pr.buf) || len(pr.buf) < readBufSize {
				nb := make([]byte, max(n, readBufSize))
				copy(nb, pr.buf[pr.start:pr.end])
				pr.buf = nb
			} else {
				copy(pr.buf, pr.buf[pr.start:pr.end])
			}
			pr.base += int64(pr.start)
			pr.end -= pr.start
			pr.start = 0
		}
		m, err := pr.r.Read(pr.buf[pr.end:])
		pr.end += m
		if err == io.EOF {
			pr.eof = true
		} else if err != nil {
			pr.err = err
		}
	}
	return true
}

// next reads the next record.
func (pr *pcapReader) next(rec *record) error {
	h := pr.hdrLen
	if pr.end-pr.start < h && !pr.fill(h) {
		have := pr.end - pr.start
		if have == 0 && pr.err == nil {
			return io.EOF
		}
		return pr.fail(pr.frames+1, fmt.Sprintf("file ends inside a record header (%d of %d bytes)", have, h))
	}
	off := pr.base + int64(pr.start)
	b := pr.buf[pr.start : pr.start+16]
	var sec, frac, capLen, wireLen uint32
	if pr.big {
		sec, frac = binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
		capLen, wireLen = binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint32(b[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint32(b[4:8])
		capLen, wireLen = binary.LittleEndian.Uint32(b[8:12]), binary.LittleEndian.Uint32(b[12:16])
	}
	frame := pr.frames + 1
	if int64(capLen) > int64(pr.maxCap) {
		return pr.failAt(frame, off, fmt.Sprintf("corrupt record: captured length %d exceeds the maximum %d", capLen, pr.maxCap))
	}
	cl := int(capLen)
	nsec := int64(frac)
	if !pr.nano {
		nsec *= 1000
	}
	if nsec >= 1e9 {
		nsec = pr.badFraction(frame, off, frac)
	}
	rec.ts = time.Unix(int64(sec), nsec).UTC()
	rec.capLen = cl
	rec.wireLen = int(wireLen)
	if rec.wireLen < cl {
		rec.wireLen = cl
	}
	rec.linkType = pr.link
	rec.offset = off
	if pr.end-pr.start < h+cl && !pr.fill(h+cl) {
		have := pr.end - pr.start - h
		rec.data = pr.buf[pr.start+h : pr.end]
		rec.capLen = len(rec.data)
		pr.frames = frame
		pr.start = pr.end
		return pr.failAt(frame, off, fmt.Sprintf("record truncated: %d bytes announced, %d present", cl, have))
	}
	rec.data = pr.buf[pr.start+h : pr.start+h+cl : pr.start+h+cl]
	pr.start += h + cl
	pr.frames = frame
	return nil
}

// badFraction reports a record whose timestamp fraction is not below one
// second (a microsecond field of 1,000,000 or more, a nanosecond field of
// 10^9 or more: time.Unix would silently carry it into the seconds) and
// returns the fraction used instead: none, the whole seconds are kept.
func (pr *pcapReader) badFraction(frame, off int64, frac uint32) int64 {
	pr.badTimes++
	if pr.warn == nil || pr.badTimes > maxTimeWarnings {
		return 0
	}
	unit, max := "microsecond", "999999"
	if pr.nano {
		unit, max = "nanosecond", "999999999"
	}
	reason := fmt.Sprintf("timestamp out of range: %s field %d is above %s; the packet is kept at the whole second of its record", unit, frac, max)
	if pr.badTimes == maxTimeWarnings {
		reason += " (further frames with this problem in this file are not listed)"
	}
	pr.warn(&fileProblem{frame: frame, offset: off, reason: reason})
	return 0
}

// fail reports a problem at the current position.
func (pr *pcapReader) fail(frame int64, reason string) error {
	return pr.failAt(frame, pr.base+int64(pr.start), reason)
}

// failAt builds the fatal problem, preferring a read error's text.
func (pr *pcapReader) failAt(frame int64, off int64, reason string) error {
	if pr.err != nil && !errors.Is(pr.err, io.ErrUnexpectedEOF) {
		reason = "read error: " + pr.err.Error()
	}
	return &fileProblem{frame: frame, offset: off, reason: reason}
}
