package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// pcapng block types.
const (
	ngSHB = 0x0a0d0d0a
	ngIDB = 0x00000001
	ngPB  = 0x00000002
	ngSPB = 0x00000003
	ngEPB = 0x00000006
)

// pcapng option codes read by ngReader.
const (
	ngOptEnd      = 0
	ngOptTSResol  = 9  // if_tsresol
	ngOptTSOffset = 14 // if_tsoffset
)

// maxBlockLen bounds a pcapng block (a packet of maxMaxCapLen plus room for options).
const maxBlockLen = maxMaxCapLen + 64<<10

// Seconds since 1970 that a time.Time's UnixNano (and so every output
// format) can represent: 1677-09-21 to 2262-04-11.
const (
	minNanoSec = -9223372036
	maxNanoSec = 9223372035
)

// ngIface is one interface of the current pcapng section.
type ngIface struct {
	link uint16
	snap uint32
	// A timestamp counts units of 1/perSec seconds. The fraction of a
	// second becomes nanoseconds by frac*mul/div (decimal resolutions)
	// or (frac*1e9)>>shift (binary ones, shift > 0).
	perSec   uint64
	mul, div uint64
	shift    uint
	offset   int64 // if_tsoffset, seconds
}

// ngReader is a hand-written pcapng reader: one pass over the classic
// reader's read buffer (with its read-ahead), every block's framing
// checked before it is used, packet data returned as slices of the
// buffer, options parsed within their block. A corrupt block framing
// stops the file with a problem naming the frame and the block's
// offset; damage inside a block (an option overrunning it, a timestamp
// no output can represent) is a warning and reading goes on.
type ngReader struct {
	in      pcapReader // only its buffer is used: fill, buf, start, end, base
	big     bool
	skip    bool // in a section of an unsupported version
	ifaces  []ngIface
	packets int64
	// lastNS is the previous packet's time in Unix nanoseconds (haveLast:
	// there was one), kept as an integer so that the per-packet store
	// holds no pointer.
	lastNS   int64
	haveLast bool
	info     *FileInfo
	warn     func(*fileProblem)
	// noFast turns nextEPB off (the tests compare reading with and
	// without it).
	noFast bool
}

// newNgReader opens a pcapng stream whose first bytes are a section
// header. It reads the blocks before the first packet (section header,
// interface descriptions) so that info is filled as soon as it returns;
// a corrupt section header is returned as the error.
func newNgReader(r io.Reader, info *FileInfo, warn func(*fileProblem)) (*ngReader, error) {
	n := &ngReader{info: info, warn: warn}
	n.in = pcapReader{r: r, maxCap: maxBlockLen, hdrLen: 12, buf: make([]byte, initBufSize)}
	for {
		typ, length, err := n.header()
		if err != nil {
			if n.in.base+int64(n.in.start) == 0 {
				return nil, err
			}
			return n, nil // next reports it with its frame
		}
		if typ == ngEPB || typ == ngSPB || typ == ngPB || !n.in.fill(int(length)) {
			return n, nil
		}
		if err := n.block(typ, length); err != nil {
			if n.in.base+int64(n.in.start) == 0 {
				return nil, err
			}
			return n, nil
		}
	}
}

// prefetch starts reading ahead in another goroutine (prompt: see
// startPrefetch); the bytes already buffered are kept.
func (n *ngReader) prefetch(prompt bool) {
	n.in.pf = startPrefetch(n.in.r, maxHeadroom, prompt)
}

func (n *ngReader) u16(b []byte) uint16 {
	if n.big {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (n *ngReader) u32(b []byte) uint32 {
	if n.big {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

// offset is the file offset of the current block.
func (n *ngReader) offset() int64 { return n.in.base + int64(n.in.start) }

// problem builds the problem of the current block, preferring a read error's text.
func (n *ngReader) problem(frame int64, format string, args ...any) *fileProblem {
	reason := fmt.Sprintf(format, args...)
	if n.in.err != nil {
		reason = "read error: " + n.in.err.Error()
	}
	return &fileProblem{frame: frame, offset: n.offset(), reason: reason}
}

// warnAt reports damage that does not stop reading.
func (n *ngReader) warnAt(frame, off int64, format string, args ...any) {
	if n.warn != nil {
		n.warn(&fileProblem{frame: frame, offset: off, reason: fmt.Sprintf(format, args...)})
	}
}

// isPacketBlock reports whether typ is a block that carries a packet.
func isPacketBlock(typ uint32) bool { return typ == ngEPB || typ == ngSPB || typ == ngPB }

// header reads the current block's header (switching byte order at a
// section header) and checks its length; it consumes nothing. io.EOF
// means a clean end.
func (n *ngReader) header() (typ, length uint32, err error) {
	if n.in.end-n.in.start < 12 && !n.in.fill(12) {
		have := n.in.end - n.in.start
		if have == 0 && n.in.err == nil {
			return 0, 0, io.EOF
		}
		if have < 8 {
			return 0, 0, n.problem(n.packets+1, "file ends inside a block header (%d of 8 bytes)", have)
		}
	}
	hdr := n.in.buf[n.in.start:n.in.end]
	// The section header's type reads the same in either byte order.
	if binary.LittleEndian.Uint32(hdr) == ngSHB {
		typ = ngSHB
		if len(hdr) < 12 {
			return 0, 0, n.problem(0, "file ends inside a section header (%d of 12 bytes)", len(hdr))
		}
		switch {
		case hdr[8] == 0x1a && hdr[9] == 0x2b && hdr[10] == 0x3c && hdr[11] == 0x4d:
			n.big = true
		case hdr[8] == 0x4d && hdr[9] == 0x3c && hdr[10] == 0x2b && hdr[11] == 0x1a:
			n.big = false
		default:
			return 0, 0, n.problem(0, "corrupt section header: bad byte-order magic")
		}
	} else {
		typ = n.u32(hdr[0:4])
	}
	frame := int64(0)
	if isPacketBlock(typ) {
		frame = n.packets + 1
	}
	length = n.u32(hdr[4:8])
	minLen := uint32(12)
	switch typ {
	case ngSHB:
		minLen = 28
	case ngIDB:
		minLen = 20
	case ngEPB, ngPB:
		minLen = 32
	case ngSPB:
		minLen = 16
	}
	switch {
	case length < minLen:
		return 0, 0, n.problem(frame, "corrupt block: length %d shorter than the minimum %d", length, minLen)
	case length%4 != 0:
		return 0, 0, n.problem(frame, "corrupt block: length %d not a multiple of 4", length)
	case length > maxBlockLen:
		return 0, 0, n.problem(frame, "corrupt block: length %d exceeds the maximum %d", length, maxBlockLen)
	}
	return typ, length, nil
}

// next reads the next packet record.
func (n *ngReader) next(rec *record) error {
	if !n.noFast && n.nextEPB(rec) {
		return nil
	}
	for {
		typ, length, err := n.header()
		if err != nil {
			return err
		}
		if n.in.end-n.in.start < int(length) && !n.in.fill(int(length)) {
			return n.truncated(rec, typ, length)
		}
		b := n.in.buf[n.in.start : n.in.start+int(length) : n.in.start+int(length)]
		if t := n.u32(b[length-4:]); t != length {
			frame := int64(0)
			if isPacketBlock(typ) {
				frame = n.packets + 1
			}
			return n.problem(frame, "corrupt block: trailing length %d differs from %d", t, length)
		}
		if !isPacketBlock(typ) || n.skip {
			if err := n.block(typ, length); err != nil {
				return err
			}
			continue
		}
		if err := n.packet(rec, typ, b); err != nil {
			return err
		}
		n.in.start += int(length)
		return nil
	}
}

// nextEPB reads the next record when it is the common case, an enhanced
// packet block without options, whole in the buffer, of a declared
// interface with microsecond or nanosecond timestamps in range, in a
// supported section: one pass over its fields, no call per field. It
// reports false, consuming nothing, for anything else, which next then
// reads (and diagnoses) in full; both give the same record.
func (n *ngReader) nextEPB(rec *record) bool {
	avail := n.in.end - n.in.start
	if avail < 32 || n.skip {
		return false
	}
	b := n.in.buf[n.in.start:n.in.end]
	length := n.u32(b[4:8])
	if n.u32(b[0:4]) != ngEPB || length < 32 || length%4 != 0 || length > maxBlockLen || int(length) > avail {
		return false
	}
	b = b[:length:length]
	capLen := n.u32(b[20:24])
	id := n.u32(b[8:12])
	// No options: the packet data, padded, fills the block.
	if n.u32(b[length-4:]) != length || id >= uint32(len(n.ifaces)) || capLen > length-32 || 28+(capLen+3)&^3 != length-4 {
		return false
	}
	ifc := &n.ifaces[id]
	ts := uint64(n.u32(b[12:16]))<<32 | uint64(n.u32(b[16:20]))
	var sec, frac uint64
	switch ifc.perSec {
	case 1e6:
		sec, frac = ts/1e6, ts%1e6*1e3
	case 1e9:
		sec, frac = ts/1e9, ts%1e9
	default:
		return false
	}
	if !secondsInRange(sec, ifc.offset) {
		return false
	}
	s := int64(sec) + ifc.offset
	n.lastNS, n.haveLast = s*1e9+int64(frac), true
	rec.ts = time.Unix(s, int64(frac)).UTC()
	end := 28 + int(capLen)
	rec.data = b[28:end:end]
	rec.capLen = int(capLen)
	rec.wireLen = max(int(n.u32(b[24:28])), rec.capLen)
	rec.linkType = ifc.link
	rec.offset = n.offset()
	n.packets++
	n.in.start += int(length)
	return true
}

// truncated reports a block cut by the end of the file; a packet block
// whose header is there is delivered as a partial record, as the classic
// reader does.
func (n *ngReader) truncated(rec *record, typ, length uint32) error {
	have := n.in.end - n.in.start
	if !isPacketBlock(typ) {
		return n.problem(0, "file ends inside a block: %d bytes announced, %d present", length, have)
	}
	frame := n.packets + 1
	p := n.problem(frame, "record truncated: block of %d bytes, %d present", length, have)
	hdr := 28
	if typ == ngSPB {
		hdr = 12
	}
	if have < hdr || n.skip {
		return p
	}
	b := n.in.buf[n.in.start:n.in.end:n.in.end]
	if err := n.packet(rec, typ, b); err != nil {
		return p // the packet header itself is bad: report the truncation
	}
	n.in.start = n.in.end
	return p
}

// packet fills rec from the packet block b (which may be cut short by
// the end of the file: then the data present is delivered).
func (n *ngReader) packet(rec *record, typ uint32, b []byte) error {
	frame := n.packets + 1
	length := n.u32(b[4:8])
	var ifc *ngIface
	var capLen, wireLen uint32
	var data int
	switch typ {
	case ngSPB:
		if len(n.ifaces) == 0 {
			return n.problem(frame, "packet before any interface description")
		}
		ifc = &n.ifaces[0]
		wireLen = n.u32(b[8:12])
		capLen = wireLen
		if ifc.snap != 0 && capLen > ifc.snap {
			capLen = ifc.snap
		}
		if capLen > length-16 {
			return n.problem(frame, "corrupt record: captured length %d exceeds the block (%d bytes)", capLen, length-16)
		}
		data = 12
		rec.ts = time.Time{} // a simple packet block has no timestamp
	default:
		var id uint32
		if typ == ngEPB {
			id = n.u32(b[8:12])
		} else {
			id = uint32(n.u16(b[8:10]))
		}
		if id >= uint32(len(n.ifaces)) {
			return n.problem(frame, "packet for undeclared interface %d", id)
		}
		ifc = &n.ifaces[id]
		capLen, wireLen = n.u32(b[20:24]), n.u32(b[24:28])
		if capLen > length-32 {
			return n.problem(frame, "corrupt record: captured length %d exceeds the block (%d bytes)", capLen, length-32)
		}
		data = 28
		rec.ts = n.timestamp(ifc, uint64(n.u32(b[12:16]))<<32|uint64(n.u32(b[16:20])), frame)
		if opts := data + int(capLen+3)&^3; opts < len(b)-4 && int(length) == len(b) {
			n.options(b[opts:len(b)-4], n.offset()+int64(opts), frame, nil)
		}
	}
	n.packets = frame
	end := min(data+int(capLen), len(b))
	rec.data = b[data:end:end]
	rec.capLen = end - data
	rec.wireLen = max(int(wireLen), rec.capLen)
	rec.linkType = ifc.link
	rec.offset = n.offset()
	return nil
}

// timestamp converts a packet's timestamp; one that no output can
// represent is reported as a problem of its frame and replaced by the
// previous packet's time (so that the packet is kept, in order).
func (n *ngReader) timestamp(ifc *ngIface, ts uint64, frame int64) time.Time {
	var sec uint64
	var frac uint64
	switch ifc.perSec { // constant divisions for the usual resolutions
	case 1e6:
		sec, frac = ts/1e6, ts%1e6*1e3
	case 1e9:
		sec, frac = ts/1e9, ts%1e9
	default:
		sec, frac = ts/ifc.perSec, ts%ifc.perSec
		if ifc.shift > 0 {
			hi, lo := bits.Mul64(frac, 1e9)
			frac = hi<<(64-ifc.shift) | lo>>ifc.shift
		} else {
			frac = frac * ifc.mul / ifc.div
		}
	}
	if !secondsInRange(sec, ifc.offset) {
		n.warnAt(frame, n.offset(), "timestamp out of range: %d units of 1/%d s after 1970 (plus an offset of %d s) is outside 1677-2262; the packet is kept with the previous packet's time", ts, ifc.perSec, ifc.offset)
		if !n.haveLast {
			return time.Time{}
		}
		return time.Unix(0, n.lastNS).UTC()
	}
	s := int64(sec) + ifc.offset
	n.lastNS, n.haveLast = s*1e9+int64(frac), true
	return time.Unix(s, int64(frac)).UTC()
}

// secondsInRange reports whether sec+offset seconds after 1970 is a
// time every output can represent (without overflowing int64).
func secondsInRange(sec uint64, offset int64) bool {
	if sec > maxNanoSec-minNanoSec {
		return false
	}
	s := int64(sec)
	if offset > 0 && s > maxNanoSec-offset || offset < 0 && s < minNanoSec-offset {
		return false
	}
	s += offset
	return s >= minNanoSec && s <= maxNanoSec
}

// block handles a non-packet block (or a packet block of a skipped
// section) and consumes it.
func (n *ngReader) block(typ, length uint32) error {
	b := n.in.buf[n.in.start : n.in.start+int(length) : n.in.start+int(length)]
	if t := n.u32(b[length-4:]); t != length {
		return n.problem(0, "corrupt block: trailing length %d differs from %d", t, length)
	}
	switch typ {
	case ngSHB:
		n.ifaces = n.ifaces[:0]
		major, minor := n.u16(b[12:14]), n.u16(b[14:16])
		// libpcap reads 1.0 and 1.2 (written by some early tools).
		n.skip = major != 1 || minor != 0 && minor != 2
		if n.skip {
			n.warnAt(0, n.offset(), "section of unsupported pcapng version %d.%d skipped", major, minor)
		} else {
			n.options(b[24:length-4], n.offset()+24, 0, nil)
		}
	case ngIDB:
		if !n.skip {
			n.idb(b)
		}
	}
	n.in.start += int(length)
	return nil
}

// idb records an interface description block.
func (n *ngReader) idb(b []byte) {
	ifc := ngIface{link: n.u16(b[8:10]), snap: n.u32(b[12:16])}
	resol := byte(6)
	n.options(b[16:len(b)-4], n.offset()+16, 0, func(code uint16, v []byte, off int64) {
		switch code {
		case ngOptTSResol:
			if len(v) >= 1 {
				resol = v[0]
				if (resol&0x80 == 0 && resol > 19) || (resol&0x80 != 0 && resol&0x7f > 63) {
					n.warnAt(0, off, "interface %d: timestamp resolution %#x out of range; microseconds assumed", len(n.ifaces), resol)
					resol = 6
				}
			}
		case ngOptTSOffset:
			if len(v) >= 8 {
				ifc.offset = int64(n.u32(v[0:4]))<<32 | int64(n.u32(v[4:8]))
				if !n.big {
					ifc.offset = int64(n.u32(v[4:8]))<<32 | int64(n.u32(v[0:4]))
				}
			}
		}
	})
	if resol&0x80 != 0 {
		ifc.shift = uint(resol & 0x7f)
		ifc.perSec = 1 << ifc.shift
		ifc.mul, ifc.div = 1, 1 // 2^0: whole seconds, no fraction
	} else {
		ifc.perSec = 1
		for range resol {
			ifc.perSec *= 10
		}
		ifc.mul, ifc.div = 1, 1
		if ifc.perSec < 1e9 {
			ifc.mul = 1e9 / ifc.perSec
		} else {
			ifc.div = ifc.perSec / 1e9
		}
	}
	if !SupportedLinkType(ifc.link) && n.warn != nil {
		n.warn(unsupportedLink(ifc.link, n.offset()))
	}
	n.ifaces = append(n.ifaces, ifc)
	if n.info != nil {
		n.info.LinkTypes = append(n.info.LinkTypes, ifc.link)
		if (resol&0x80 == 0 && resol > 6) || (resol&0x80 != 0 && resol&0x7f > 20) {
			n.info.Nanosecond = true
		}
	}
}

// options walks the options in opts (which start at file offset off),
// calling f for each. An option whose length overruns the block is
// reported (frame, offset of the option) and ends the walk: the block's
// other fields and the following blocks are still read.
func (n *ngReader) options(opts []byte, off, frame int64, f func(code uint16, v []byte, off int64)) {
	pos := 0
	for len(opts)-pos >= 4 {
		code, olen := n.u16(opts[pos:pos+2]), int(n.u16(opts[pos+2:pos+4]))
		if code == ngOptEnd {
			return
		}
		if 4+olen > len(opts)-pos {
			n.warnAt(frame, off+int64(pos), "corrupt option %d: %d bytes announced, %d left in the block; the block's remaining options are ignored", code, olen, len(opts)-pos-4)
			return
		}
		if f != nil {
			f(code, opts[pos+4:pos+4+olen], off+int64(pos))
		}
		pos += 4 + (olen+3)&^3
	}
}
