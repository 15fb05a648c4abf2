package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngReader reads pcapng with gopacket's pcapgo.NgReader, fed through a
// blockValidator that checks every block's framing first, so that corrupt
// lengths become problems with a frame number and byte offset instead of
// reads past a block's end.
type ngReader struct {
	v      *blockValidator
	br     *bufio.Reader
	ng     *pcapgo.NgReader
	frames int64
	pf     *prefetcher // read-ahead, nil when reading synchronously
}

// newNgReader opens a pcapng stream whose first bytes are a section header.
func newNgReader(r io.Reader, info *FileInfo, warn func(*fileProblem)) (*ngReader, error) {
	v := &blockValidator{src: r, info: info, warn: warn}
	br := bufio.NewReaderSize(v, 64<<10)
	ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
	if err != nil {
		if v.problem != nil {
			return nil, v.problem
		}
		return nil, &fileProblem{offset: 0, reason: "corrupt pcapng section header: " + err.Error()}
	}
	return &ngReader{v: v, br: br, ng: ng}, nil
}

// next reads the next packet record.
func (n *ngReader) next(rec *record) error {
	data, ci, err := n.ng.ZeroCopyReadPacketData()
	if err != nil {
		if n.v.problem != nil {
			return n.v.problem
		}
		if err == io.EOF {
			return io.EOF
		}
		off := n.v.delivered - int64(n.br.Buffered())
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &fileProblem{frame: n.frames + 1, offset: off, reason: "file ends inside a block"}
		}
		return &fileProblem{frame: n.frames + 1, offset: off, reason: "corrupt pcapng block: " + err.Error()}
	}
	n.frames++
	lt := uint16(0)
	if len(ci.AncillaryData) > 0 {
		if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			lt = uint16(l)
		}
	}
	rec.data = data
	rec.ts = ci.Timestamp
	rec.capLen = ci.CaptureLength
	rec.wireLen = max(ci.Length, ci.CaptureLength)
	rec.linkType = lt
	rec.offset = -1
	return nil
}

// pcapng block types.
const (
	ngSHB = 0x0a0d0d0a
	ngIDB = 0x00000001
	ngPB  = 0x00000002
	ngSPB = 0x00000003
	ngEPB = 0x00000006
)

// maxBlockLen bounds a pcapng block (a packet of maxMaxCapLen plus room for options).
const maxBlockLen = maxMaxCapLen + 64<<10

// errBadBlock stops the NgReader at a block the validator refused.
var errBadBlock = errors.New("corrupt pcapng block")

// blockValidator passes a pcapng stream through block by block, checking
// lengths: leading = trailing, at least the fixed part of the block type,
// packet data within the block, interface IDs declared. It also records
// each interface's link type and timestamp resolution in info.
type blockValidator struct {
	src       io.Reader
	info      *FileInfo
	blk       []byte
	pos       int
	off       int64 // file offset of the next block
	delivered int64 // bytes handed to the reader
	big       bool
	ifaces    int    // interfaces declared in the current section
	snap0     uint32 // snap length of interface 0 (for simple packet blocks)
	packets   int64
	problem   *fileProblem
	warn      func(*fileProblem)
	done      error
	hdr       [12]byte
}

func (v *blockValidator) u16(b []byte) uint16 {
	if v.big {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}

func (v *blockValidator) u32(b []byte) uint32 {
	if v.big {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
}

// Read implements io.Reader.
func (v *blockValidator) Read(p []byte) (int, error) {
	for v.pos == len(v.blk) {
		if v.done != nil {
			return 0, v.done
		}
		v.load()
	}
	n := copy(p, v.blk[v.pos:])
	v.pos += n
	v.delivered += int64(n)
	return n, nil
}

// fail stops the stream with a problem at the current block.
func (v *blockValidator) fail(frame int64, format string, args ...any) {
	v.problem = &fileProblem{frame: frame, offset: v.off, reason: fmt.Sprintf(format, args...)}
	v.done = errBadBlock
	v.blk, v.pos = v.blk[:0], 0
}

// load reads and checks the next block into blk.
func (v *blockValidator) load() {
	v.blk, v.pos = v.blk[:0], 0
	hdr := v.hdr[:]
	n, err := io.ReadFull(v.src, hdr[:8])
	if n == 0 && err == io.EOF {
		v.done = io.EOF
		return
	}
	if err != nil {
		v.fail(v.packets+1, "file ends inside a block header (%d of 8 bytes)", n)
		return
	}
	typ := v.u32(hdr[0:4])
	hlen := 8
	if hdr[0] == 0x0a && hdr[1] == 0x0d && hdr[2] == 0x0d && hdr[3] == 0x0a {
		typ = ngSHB
		if n, err := io.ReadFull(v.src, hdr[8:12]); err != nil {
			v.fail(0, "file ends inside a section header (%d of 12 bytes)", 8+n)
			return
		}
		switch {
		case hdr[8] == 0x1a && hdr[9] == 0x2b && hdr[10] == 0x3c && hdr[11] == 0x4d:
			v.big = true
		case hdr[8] == 0x4d && hdr[9] == 0x3c && hdr[10] == 0x2b && hdr[11] == 0x1a:
			v.big = false
		default:
			v.fail(0, "corrupt section header: bad byte-order magic")
			return
		}
		hlen = 12
		v.ifaces = 0
	}
	isPacket := typ == ngEPB || typ == ngSPB || typ == ngPB
	frame := int64(0)
	if isPacket {
		frame = v.packets + 1
	}
	length := v.u32(hdr[4:8])
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
		v.fail(frame, "corrupt block: length %d shorter than the minimum %d", length, minLen)
		return
	case length%4 != 0:
		v.fail(frame, "corrupt block: length %d not a multiple of 4", length)
		return
	case length > maxBlockLen:
		v.fail(frame, "corrupt block: length %d exceeds the maximum %d", length, maxBlockLen)
		return
	}
	if cap(v.blk) < int(length) {
		v.blk = make([]byte, 0, max(int(length), 64<<10))
	}
	v.blk = append(v.blk[:0], hdr[:hlen]...)
	v.blk = v.blk[:length]
	if n, err := io.ReadFull(v.src, v.blk[hlen:]); err != nil {
		if isPacket {
			v.fail(frame, "record truncated: block of %d bytes, %d present", length, hlen+n)
		} else {
			v.fail(frame, "file ends inside a block: %d bytes announced, %d present", length, hlen+n)
		}
		return
	}
	b := v.blk
	if t := v.u32(b[length-4:]); t != length {
		v.fail(frame, "corrupt block: trailing length %d differs from %d", t, length)
		return
	}
	switch typ {
	case ngIDB:
		v.idb(b)
	case ngEPB, ngPB:
		var id uint32
		if typ == ngEPB {
			id = v.u32(b[8:12])
		} else {
			id = uint32(v.u16(b[8:10]))
		}
		if id >= uint32(v.ifaces) {
			v.fail(frame, "packet for undeclared interface %d", id)
			return
		}
		if cl := v.u32(b[20:24]); cl > length-32 {
			v.fail(frame, "corrupt record: captured length %d exceeds the block (%d bytes)", cl, length-32)
			return
		}
	case ngSPB:
		if v.ifaces == 0 {
			v.fail(frame, "packet before any interface description")
			return
		}
		cl := v.u32(b[8:12])
		if v.snap0 != 0 && cl > v.snap0 {
			cl = v.snap0
		}
		if cl > length-16 {
			v.fail(frame, "corrupt record: captured length %d exceeds the block (%d bytes)", cl, length-16)
			return
		}
	}
	if isPacket {
		v.packets++
	}
	v.off += int64(length)
}

// idb records an interface description block.
func (v *blockValidator) idb(b []byte) {
	lt := v.u16(b[8:10])
	if v.ifaces == 0 {
		v.snap0 = v.u32(b[12:16])
	}
	v.ifaces++
	if !SupportedLinkType(lt) && v.warn != nil {
		v.warn(unsupportedLink(lt, v.off))
	}
	if v.info == nil {
		return
	}
	v.info.LinkTypes = append(v.info.LinkTypes, lt)
	// Options: look for if_tsresol (code 9).
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, olen := v.u16(opts[0:2]), int(v.u16(opts[2:4]))
		if code == 0 || 4+olen > len(opts) {
			break
		}
		if code == 9 && olen >= 1 {
			r := opts[4]
			if (r&0x80 == 0 && r > 6) || (r&0x80 != 0 && r&0x7f > 20) {
				v.info.Nanosecond = true
			}
		}
		opts = opts[min(len(opts), 4+(olen+3)&^3):]
	}
}
