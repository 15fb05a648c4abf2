package flows

import (
	"math"
	"time"
	"unsafe"
)

// Per-side flag bits of a record (rec.side[s]). For ICMP echo
// conversations sSYN means "sent an echo request" and sSYNACK "sent an
// echo reply".
const (
	sSent             uint8 = 1 << iota // sent a packet that is not an attached ICMP error
	sSYN                                // sent a SYN without ACK
	sSYNACK                             // sent a SYN-ACK
	sFIN                                // sent a FIN
	sRST                                // sent a RST
	sNonSyn                             // sent an ACK/data segment (no SYN, no RST)
	sAckAfterSynAck                     // sent an ACK/data segment after the peer's SYN-ACK
	sDataAfterPeerFin                   // sent payload after the peer's FIN (half-close in use)
)

// Record-wide flag bits (rec.flags).
const (
	fA1          uint8 = 1 << iota // canonical side 1 sent the first packet (is side A)
	fEstablished                   // TCP handshake completed, or mid-stream segments both ways
	fClosed                        // TCP closed by both FINs or a RST (closeNS is set)
	fContinued                     // started by splitting a live 5-tuple (idle or after close), not by a SYN
	fFirstSyn1                     // the first SYN came from canonical side 1
	fErrorToSyn                    // an ICMP error came back before the TCP handshake completed
	fSynSideData                   // the first SYN's sender later sent payload with ACK (it got a SYN-ACK the capture lacks)
)

// dir is the compact per-direction counter of a record; times are
// nanoseconds since the Unix epoch.
type dir struct {
	pkts    uint64
	bytes   uint64
	firstNS int64
	lastNS  int64
	// frame packs FrameRef: file index in the top 16 bits, frame number below.
	frame uint64
}

// rec is the compact internal conversation record (144 bytes). Exported
// Conversation values are built from it only by Classified.Conversation.
type rec struct {
	k key
	// d is indexed by canonical side: d[0] counts packets sent by k.a.
	d         [2]dir
	closeNS   int64
	icmpErr   uint32
	fragments uint32
	// synSeq is the sequence number of the first SYN.
	synSeq uint32
	side   [2]uint8
	flags  uint8
	// pay holds the payload evidence (pay* bits, see payload.go).
	pay uint8
}

// closedBefore reports whether r is a TCP conversation closed more than
// linger before ns: it has ended, and later packets start a new one.
func (r *rec) closedBefore(ns, linger int64) bool {
	return r.flags&fClosed != 0 && ns-r.closeNS > linger
}

// aSide is the canonical side of A (the sender of the first packet).
func (r *rec) aSide() uint8 {
	if r.flags&fA1 != 0 {
		return 1
	}
	return 0
}

// lastNS is the time of the record's latest packet.
func (r *rec) lastNS() int64 { return max(r.d[0].lastNS, r.d[1].lastNS) }

// count adds one packet sent by canonical side s to the direction counters.
func (r *rec) count(s uint8, ns int64, ipLen int, file int, frame int64) {
	d := &r.d[s]
	if d.pkts == 0 {
		d.firstNS, d.lastNS = ns, ns
		d.frame = packFrame(file, frame)
	}
	d.pkts++
	if ipLen > 0 {
		d.bytes += uint64(ipLen)
	}
	if ns > d.lastNS {
		d.lastNS = ns
	}
}

const frameBits = 48

// packFrame packs a file index and frame number into 64 bits. Values out
// of range (more than 65535 files, frames beyond 2^48) saturate.
func packFrame(file int, frame int64) uint64 {
	f := uint64(min(max(file, 0), math.MaxUint16))
	n := uint64(min(max(frame, 0), 1<<frameBits-1))
	return f<<frameBits | n
}

// unpackFrame reverses packFrame.
func unpackFrame(v uint64) FrameRef {
	return FrameRef{File: int(v >> frameBits), Frame: int64(v & (1<<frameBits - 1))}
}

// Bounds of times representable as int64 nanoseconds (years 1678 to 2262).
var (
	minNSTime = time.Unix(0, math.MinInt64)
	maxNSTime = time.Unix(0, math.MaxInt64)
)

// toNS converts t to nanoseconds since the epoch, clamping times outside
// the int64 range (years before 1678 or after 2262).
func toNS(t time.Time) int64 {
	switch {
	case t.Before(minNSTime):
		return math.MinInt64
	case t.After(maxNSTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNS converts nanoseconds since the epoch to a UTC time.
func fromNS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// chunkBits sizes the record chunks (4096 records, 576 KiB): records never
// move once their chunk is full, and growth never copies the whole store.
// The first chunk starts small and grows by appending, so that small
// captures stay small.
const chunkBits = 12

// store holds records in fixed-size chunks, indexed from 0 in the order
// they were added: a record's index is its conversation's ID - 1.
// Pointers returned by add and at are valid until the next add.
//
// A streaming table (Table.Stream) frees chunks from the front once
// every conversation in them has been emitted (dropFront); the few still
// live then (long conversations that stopped holding back the others)
// move to side. done marks, in a streaming table, the records whose
// conversation has ended.
type store struct {
	chunks [][]rec
	// first is the number of chunks dropped from the front.
	first int
	n     int
	side  map[int]*rec
	done  [][]uint64
	// spare is a dropped chunk kept for reuse.
	spare []rec
	// slab is what is left of the slab new chunks are cut from, each
	// 1<<chunkBits records (see prefetchSlab).
	slab []rec
	// ahead, when not nil, delivers the next slab, allocated and its
	// pages touched by another goroutine (see prefetchSlab).
	ahead chan []rec
}

// prefetchFrom is the store size (in chunks) from which new chunks are
// prepared ahead, on another goroutine.
const prefetchFrom = 4

// maxSlabChunks bounds a slab (32 chunks, 18 MiB).
const maxSlabChunks = 32

// slabChunks is how many chunks the next slab holds for a store of n
// chunks: an eighth of it (what a store may hold unused), from 1 to
// maxSlabChunks.
func slabChunks(n int) int { return min(max(n/8, 1), maxSlabChunks) }

// prefetchSlab returns a channel that will deliver a slab of n chunks'
// records (the store cuts its chunks from it), asked to be on huge pages
// (adviseHuge) and its memory touched, a page at a time, by the
// goroutine that made it. A fresh chunk's first write to each page is a
// page fault (in some VMs several microseconds a page, 140 a chunk): on
// a SYN flood, where every packet is a new conversation, they were a
// fifth of the table's time. Prepared ahead, they cost another core
// instead of the table's; on huge pages, a 512th of the faults.
func prefetchSlab(n int) chan []rec {
	ch := make(chan []rec, 1)
	go func() {
		c := make([]rec, n<<chunkBits)
		adviseHuge(c)
		const perPage = max(4096/int(unsafe.Sizeof(rec{})), 1)
		for i := 0; i < len(c); i += perPage {
			c[i].closeNS = 0 // the write that faults the page in
		}
		ch <- c
	}()
	return ch
}

// add appends a zero record and returns its index and address.
func (s *store) add() (int, *rec) {
	if s.n>>chunkBits-s.first == len(s.chunks) {
		c := 1 << chunkBits
		if s.n == 0 {
			c = 16
		}
		var chunk []rec
		if s.spare != nil {
			chunk, s.spare = s.spare[:0], nil
		} else {
			if len(s.slab) == 0 && s.ahead != nil {
				s.slab, s.ahead = <-s.ahead, nil
			}
			if len(s.slab) > 0 {
				chunk, s.slab = s.slab[:0:1<<chunkBits], s.slab[1<<chunkBits:]
			} else {
				chunk = make([]rec, 0, c)
			}
		}
		if s.ahead == nil && s.spare == nil && len(s.chunks) >= prefetchFrom && len(s.slab) < 2<<chunkBits {
			// The slab runs out with the next chunk: prepare the next one.
			// (With a slab still on its way, a spare was used instead: the
			// one on its way serves later.)
			s.ahead = prefetchSlab(slabChunks(len(s.chunks)))
		}
		s.chunks = append(s.chunks, chunk)
		if s.done != nil {
			s.done = append(s.done, make([]uint64, 1<<chunkBits/64))
		}
	}
	last := &s.chunks[len(s.chunks)-1]
	*last = append(*last, rec{})
	i := s.n
	s.n++
	return i, &(*last)[len(*last)-1]
}

// at returns the record with index i (nil when its chunk was dropped and
// it is not in side).
func (s *store) at(i int) *rec {
	c := i>>chunkBits - s.first
	if c < 0 {
		return s.side[i]
	}
	return &s.chunks[c][i&(1<<chunkBits-1)]
}

// full returns the index whose low 32 bits are low, among the last 2^32
// records added (index entries and timers hold 32 bits).
func (s *store) full(low uint32) int {
	last := s.n - 1
	return last - int(uint32(last)-low)
}

// isDone reports whether record i (in a chunk not dropped) has ended.
func (s *store) isDone(i int) bool {
	c := i>>chunkBits - s.first
	return s.done[c][i>>6&(1<<(chunkBits-6)-1)]&(1<<(i&63)) != 0
}

// setDone marks record i (in a chunk not dropped) ended.
func (s *store) setDone(i int) {
	c := i>>chunkBits - s.first
	s.done[c][i>>6&(1<<(chunkBits-6)-1)] |= 1 << (i & 63)
}

// retire marks record i ended once it has been emitted: done in its
// chunk, or gone from side when its chunk was dropped.
func (s *store) retire(i int) {
	if i>>chunkBits < s.first {
		delete(s.side, i)
	} else {
		s.setDone(i)
	}
}

// dropFront drops the first chunk, moving its records that have not
// ended to side.
func (s *store) dropFront() {
	base := s.first << chunkBits
	for j := range s.chunks[0] {
		if !s.isDone(base + j) {
			r := s.chunks[0][j]
			s.side[base+j] = &r
		}
	}
	s.spare = s.chunks[0]
	s.chunks[0], s.done[0] = nil, nil
	s.chunks, s.done = s.chunks[1:], s.done[1:]
	s.first++
}
