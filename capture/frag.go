package capture

import (
	"net/netip"
	"time"
)

// maxFragEntries bounds the fragment table; past it, the oldest first
// fragment is forgotten to make room (its later fragments stay
// unattributed), as the Linux reassembler evicts its oldest queues.
const maxFragEntries = 1 << 16

// fragKey identifies the fragments of one IP datagram.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
}

// fragInfo is what a first fragment tells about its datagram.
type fragInfo struct {
	seen             time.Time
	seq              uint64 // insertion number, matches the queue entry
	hasPorts         bool
	srcPort, dstPort uint16
	hasICMP          bool
	icmpType         uint8
	icmpCode         uint8
	icmpID           uint16
}

// fragQueued is one insertion in arrival order; it is stale once the map
// no longer holds its key with the same seq.
type fragQueued struct {
	key  fragKey
	seen time.Time
	seq  uint64
}

// fragTable remembers the transport fields of first fragments so that
// later fragments of the same datagram can be attributed to their
// conversation. Entries expire after timeout of capture time and are
// dropped when the last fragment is seen. Every operation is O(1)
// amortised: expiry and eviction pop the arrival queue from its front,
// and the queue is compacted when stale entries outnumber live ones.
type fragTable struct {
	m       map[fragKey]fragInfo
	queue   []fragQueued
	head    int // queue[head:] is pending
	seq     uint64
	timeout time.Duration
	now     time.Time
	// work counts queue entries examined or copied, for tests that check
	// the cost per fragment stays constant.
	work int
}

func (t *fragTable) init(timeout time.Duration) { t.timeout = timeout }

func keyOf(p *Packet) fragKey {
	return fragKey{src: p.Src, dst: p.Dst, id: p.IPID, proto: p.Proto}
}

// first records the first fragment p.
func (t *fragTable) first(p *Packet) {
	if t.m == nil {
		t.m = make(map[fragKey]fragInfo)
	}
	t.expireFront()
	for len(t.m) >= maxFragEntries {
		t.evictOldest()
	}
	t.seq++
	k := keyOf(p)
	t.m[k] = fragInfo{
		seen: t.now, seq: t.seq, hasPorts: p.HasPorts, srcPort: p.SrcPort, dstPort: p.DstPort,
		hasICMP: p.HasICMP, icmpType: p.ICMPType, icmpCode: p.ICMPCode, icmpID: p.ICMPID,
	}
	t.queue = append(t.queue, fragQueued{key: k, seen: t.now, seq: t.seq})
	t.compact()
}

// later attributes the non-first fragment p when its first fragment was seen.
func (t *fragTable) later(p *Packet) {
	if len(t.m) == 0 {
		return
	}
	k := keyOf(p)
	fi, ok := t.m[k]
	if !ok {
		return
	}
	if t.expired(fi.seen) {
		delete(t.m, k)
		return
	}
	p.FragmentAttributed = true
	p.HasPorts, p.SrcPort, p.DstPort = fi.hasPorts, fi.srcPort, fi.dstPort
	p.HasICMP, p.ICMPType, p.ICMPCode, p.ICMPID = fi.hasICMP, fi.icmpType, fi.icmpCode, fi.icmpID
	if !p.MoreFragments {
		delete(t.m, k)
	}
}

// expired reports whether a fragment seen at seen is past the timeout
// (either way: captures merged from several files can step back).
func (t *fragTable) expired(seen time.Time) bool {
	d := t.now.Sub(seen)
	return d > t.timeout || d < -t.timeout
}

// live reports whether queue entry q still stands for its map entry.
func (t *fragTable) live(q fragQueued) bool {
	fi, ok := t.m[q.key]
	return ok && fi.seq == q.seq
}

// expireFront pops stale and expired entries from the front of the queue.
// Entries behind a live unexpired one wait for their turn (or for later
// to find them expired): arrival order is capture order in all but
// merged inputs.
func (t *fragTable) expireFront() {
	for t.head < len(t.queue) {
		q := t.queue[t.head]
		t.work++
		if t.live(q) {
			if !t.expired(q.seen) {
				return
			}
			delete(t.m, q.key)
		}
		t.pop()
	}
}

// evictOldest forgets the earliest-recorded live entry.
func (t *fragTable) evictOldest() {
	for t.head < len(t.queue) {
		q := t.queue[t.head]
		t.work++
		t.pop()
		if t.live(q) {
			delete(t.m, q.key)
			return
		}
	}
	clear(t.m) // unreachable: every map entry has a queue entry
}

func (t *fragTable) pop() {
	t.queue[t.head] = fragQueued{}
	t.head++
}

// compact drops the consumed front of the queue and its stale entries
// once they outnumber the live ones, so the queue stays within a constant
// factor of the table and each entry is copied O(1) times on average.
func (t *fragTable) compact() {
	pending := len(t.queue) - t.head
	if pending <= 2*len(t.m)+64 && t.head <= len(t.queue)/2 {
		return
	}
	out := t.queue[:0]
	for _, q := range t.queue[t.head:] {
		t.work++
		if t.live(q) {
			out = append(out, q)
		}
	}
	clear(t.queue[len(out):])
	t.queue, t.head = out, 0
}
