package flows

import (
	"cmp"
	"math"
	"slices"

	"github.com/flowverify/flowverify/capture"
)

// ReorderWindow is how many ended conversations a streaming table holds
// back while an earlier conversation is still live, so that conversations
// are listed in ID (first-packet) order. When more have ended, the oldest
// live conversation stops holding them back: it is listed when it ends,
// after conversations that started later. A long SSH session therefore
// never pins memory, and every other conversation keeps its order.
const ReorderWindow = 65536

// Stream switches t, which must be empty, to streaming: a conversation
// that has ended is finished as the capture goes, its record freed, and
// emit called with it. Memory then grows with the conversations live at
// once, not with every conversation of the capture, which suits --live
// and captures of millions of short connections.
//
// A conversation has ended when, in capture time (the latest packet
// time seen), it has been idle for longer than its protocol's idle
// timeout, when a TCP connection was closed (FIN both ways or RST) more
// than Config.TCPClosedLinger ago, or when a new connection reused its
// 5-tuple. Call Close at the end of the capture to finish the rest.
//
// emit receives conversations in ID order, except within ReorderWindow
// (see there); IDs are the same as a whole-capture table gives (first
// packet order). The Conversation is reused: emit must copy what it
// keeps. The client/server decision of a conversation whose own packets
// do not decide it (fan-in, shared-port and known-role evidence, which
// rank below a handshake, payloads and service ports) counts the other
// conversations seen before it ended and whose endpoints were active in
// the last Config.TCPIdle; a whole-capture table (Classify) also counts
// those that came later, so the two can differ on such conversations,
// whose confidence is medium or low.
func (t *Table) Stream(emit func(*Conversation)) {
	if t.recs.n != 0 || t.ev != nil {
		panic("flows: Stream on a table that is not empty")
	}
	t.ev = &evictor{emit: emit, window: ReorderWindow,
		fan: fanIn{count: map[endpointKey]peerStat{}, min: t.cfg.FanInPeers}, known: knownRoles{}, seen: map[key]int64{}}
}

// Live is the number of conversations a streaming table holds: those
// still live, and the ended ones held back to keep ID order (at most
// ReorderWindow). It is what the table's memory grows with.
func (t *Table) Live() int {
	if t.ev == nil {
		return t.recs.n
	}
	return t.recs.live() + t.ev.pend.len()
}

// Close finishes every conversation of a streaming table that is still
// live, as if the capture had ended, emitting them in ID order, and
// returns the summary. The table must not be used afterwards.
func (t *Table) Close() Summary {
	ev := t.ev
	if ev == nil {
		panic("flows: Close on a table that is not streaming")
	}
	// The live conversations are those of the ID-order queue and those
	// that left it while live (fLate): merge them with the held-back
	// ended ones, by ID.
	var late []orderEntry
	for s := range t.recs.n {
		if ev.ids[s] != 0 && t.recs.at(s).flags&fLate != 0 {
			late = append(late, orderEntry{slot: uint32(s), id: uint32(ev.ids[s])})
		}
	}
	slices.SortFunc(late, func(a, b orderEntry) int { return cmp.Compare(ev.ids[a.slot], ev.ids[b.slot]) })
	for {
		ev.dropStale()
		best, from := uint64(math.MaxUint64), 0
		if ev.pend.len() > 0 {
			best, from = ev.pend.minID(), 1
		}
		if ev.order.len() > 0 {
			if id := ev.ids[ev.order.front().slot]; id < best {
				best, from = id, 2
			}
		}
		if len(late) > 0 {
			if id := ev.ids[late[0].slot]; id < best {
				best, from = id, 3
			}
		}
		var slot uint32
		switch from {
		case 0:
			return t.sum
		case 1:
			p := ev.pend.pop()
			t.emitRec(&p.r, p.id)
			continue
		case 2:
			slot = ev.order.pop().slot
		case 3:
			slot, late = late[0].slot, late[1:]
		}
		t.emitRec(t.recs.at(int(slot)), best)
		ev.ids[slot] = 0
		t.recs.release(int(slot))
	}
}

// StreamConversations reads s to its end (or first error, which s
// reports) into a streaming table (see Table.Stream), calling emit with
// each conversation as it ends, and returns the summary.
func StreamConversations(s *capture.Stream, cfg Config, emit func(*Conversation)) Summary {
	t := NewTable(cfg)
	t.Stream(emit)
	for {
		ps, err := s.NextBatch(256)
		if err != nil {
			return t.Close()
		}
		t.AddAll(ps)
	}
}

// evictor is the state of a streaming table.
type evictor struct {
	emit func(*Conversation)
	// ids holds the conversation ID of the record in each slot (0: free).
	ids    []uint64
	nextID uint64
	// now is the latest packet time seen, in ns.
	now int64
	// slot is the index of the record the last lookup returned.
	slot int
	// timers are the ended-conversation candidates, by deadline, one FIFO
	// per timeout: TCP idle, UDP idle, other idle, TCP closed (linger).
	// A deadline only moves later, so an entry whose conversation saw
	// packets since is pushed again with its new deadline.
	timers [4]fifo[timerEntry]
	// order holds the live conversations in ID order (entries of ended
	// ones are dropped when they reach the head).
	order  fifo[orderEntry]
	pend   pendHeap
	window int
	// fan and known are the aggregates of other conversations that
	// weak decisions need, kept for endpoints active in the last TCPIdle.
	fan   fanIn
	known knownRoles
	// seen holds the 5-tuples fan counted, with when they were last seen.
	seen     map[key]int64
	aggSweep int64
	conv     Conversation
}

// timerClosed indexes evictor.timers: the closed-TCP linger queue.
const timerClosed = 3

// timerEntry is a deadline of the record in slot, whose conversation ID
// has low 32 bits id (a freed and reused slot no longer matches).
type timerEntry struct {
	slot, id uint32
	due      int64
}

// orderEntry is a live conversation in ID order.
type orderEntry struct{ slot, id uint32 }

// fifo is a queue in a slice, compacted as its head advances.
type fifo[T any] struct {
	buf  []T
	head int
}

func (q *fifo[T]) push(v T)    { q.buf = append(q.buf, v) }
func (q *fifo[T]) len() int    { return len(q.buf) - q.head }
func (q *fifo[T]) front() *T   { return &q.buf[q.head] }
func (q *fifo[T]) empty() bool { return q.head == len(q.buf) }

// pop removes and returns the head.
func (q *fifo[T]) pop() T {
	v := q.buf[q.head]
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	} else if q.head >= 1024 && q.head*2 >= len(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		q.buf, q.head = q.buf[:n], 0
	}
	return v
}

// live reports whether slot holds the conversation whose ID has low bits id.
func (ev *evictor) live(slot, id uint32) bool {
	full := ev.ids[slot]
	return full != 0 && uint32(full) == id
}

// dropStale drops the ended conversations at the head of order.
func (ev *evictor) dropStale() {
	for !ev.order.empty() {
		h := *ev.order.front()
		if ev.live(h.slot, h.id) {
			return
		}
		ev.order.pop()
	}
}

// started registers the new record r in slot i, started at ns, and
// returns its conversation ID.
func (t *Table) started(i int, r *rec, ns int64) uint64 {
	ev := t.ev
	for len(ev.ids) <= i {
		ev.ids = append(ev.ids, 0)
	}
	ev.nextID++
	id := ev.nextID
	ev.ids[i] = id
	c := protoClass(r.k.proto)
	ev.timers[c].push(timerEntry{slot: uint32(i), id: uint32(id), due: addSat(ns, t.idle[c])})
	ev.order.push(orderEntry{slot: uint32(i), id: uint32(id)})
	if r.k.kind&^kindV6 == kindPorts {
		ev.countPeers(r, ns)
	}
	return id
}

// countPeers counts the new conversation r for fan-in: the distinct
// 5-tuples of the endpoints of conversations that the port rules leave
// undecided (a 5-tuple seen again within the memory of the aggregates,
// after its conversation ended, is the same peer).
func (ev *evictor) countPeers(r *rec, ns int64) {
	f := &ev.fan
	f.now = ns
	if _, ok := classifyPortsEarly(r); !ok {
		for s := range uint8(2) {
			if e := endpointOf(&r.k, s); !f.wants(e) {
				f.count[e] = peerStat{last: ns}
			}
		}
	}
	if len(f.count) == 0 {
		return
	}
	a := r.aSide()
	ea, eb := endpointOf(&r.k, a), endpointOf(&r.k, 1-a)
	if !f.wants(ea) && !f.wants(eb) {
		return
	}
	if _, ok := ev.seen[r.k]; ok {
		ev.seen[r.k] = ns
		return
	}
	ev.seen[r.k] = ns
	f.inc(eb, ea, true)
	if r.k.a != r.k.b || r.k.pa != r.k.pb {
		f.inc(ea, eb, false)
	}
}

// closed registers that the TCP record in slot i was just closed.
func (t *Table) closed(i int, r *rec) {
	ev := t.ev
	ev.timers[timerClosed].push(timerEntry{slot: uint32(i), id: uint32(ev.ids[i]), due: addSat(r.closeNS, t.lingr)})
}

// deadline is when the record r ends if no packet comes: idle past its
// timeout, or a TCP close past the linger.
func (t *Table) deadline(r *rec) int64 {
	d := addSat(r.lastNS(), t.idle[protoClass(r.k.proto)])
	if r.flags&fClosed != 0 {
		d = min(d, addSat(r.closeNS, t.lingr))
	}
	return d
}

// expire finishes the conversations whose deadline has passed.
func (t *Table) expire() {
	ev := t.ev
	done := false
	for q := range ev.timers {
		tq := &ev.timers[q]
		for !tq.empty() && tq.front().due < ev.now {
			e := tq.pop()
			if !ev.live(e.slot, e.id) {
				continue
			}
			r := t.recs.at(int(e.slot))
			if d := t.deadline(r); d < ev.now {
				t.finish(int(e.slot), true)
				done = true
			} else if q != timerClosed {
				tq.push(timerEntry{slot: e.slot, id: e.id, due: d})
			}
		}
	}
	if done {
		t.release()
	}
	if ev.now-ev.aggSweep > t.idle[0] {
		ev.aggSweep = ev.now
		ev.sweepAggregates(ev.now - t.idle[0])
	}
}

// sweepAggregates forgets the endpoints not seen since before.
func (ev *evictor) sweepAggregates(before int64) {
	for e, st := range ev.fan.count {
		if st.last < before {
			delete(ev.fan.count, e)
			delete(ev.known, e)
		}
	}
	for k, last := range ev.seen {
		if last < before {
			delete(ev.seen, k)
		}
	}
}

// finish moves the record in slot i to the held-back heap and frees the
// slot; unindex removes its index entry (false when a newer record of
// the same 5-tuple already replaced it).
func (t *Table) finish(i int, unindex bool) {
	ev := t.ev
	r := t.recs.at(i)
	if unindex {
		t.idx.remove(t.idx.tag(&r.k), i)
	}
	ev.pend.push(ev.ids[i], r)
	ev.ids[i] = 0
	t.recs.release(i)
}

// release emits the held-back conversations that no live conversation
// precedes, and, beyond the reorder window, stops holding them back for
// the oldest live ones.
func (t *Table) release() {
	ev := t.ev
	for {
		ev.dropStale()
		minLive := uint64(math.MaxUint64)
		if !ev.order.empty() {
			minLive = ev.ids[ev.order.front().slot]
		}
		for ev.pend.len() > 0 && ev.pend.minID() < minLive {
			p := ev.pend.pop()
			t.emitRec(&p.r, p.id)
		}
		if ev.pend.len() <= ev.window || ev.order.empty() {
			return
		}
		h := ev.order.pop()
		t.recs.at(int(h.slot)).flags |= fLate
	}
}

// emitRec decides r's client and server, counts it in the summary and
// emits it as conversation id.
func (t *Table) emitRec(r *rec, id uint64) {
	ev := t.ev
	d := classify(r, &ev.fan)
	if weak(d) {
		if kd, ok := ev.known.apply(r); ok {
			d = kd
		}
	}
	ev.known.learn(r, d)
	t.countConversation(r)
	ev.conv = Conversation{}
	t.build(&ev.conv, r, d)
	ev.conv.ID = int(id)
	ev.emit(&ev.conv)
}

// addSat is a+b (b >= 0), saturating at the largest int64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// pend is an ended conversation held back for ID order.
type pend struct {
	id uint64
	r  rec
}

// pendHeap is a min-heap of held-back conversations by ID. Records stay
// in place in a pool; the heap orders their pool indices.
type pendHeap struct {
	pool []pend
	free []int32
	heap []int32
}

func (h *pendHeap) len() int { return len(h.heap) }

// minID is the smallest held-back ID (the heap must not be empty).
func (h *pendHeap) minID() uint64 { return h.pool[h.heap[0]].id }

func (h *pendHeap) less(i, j int) bool { return h.pool[h.heap[i]].id < h.pool[h.heap[j]].id }

// push copies r into the heap as conversation id.
func (h *pendHeap) push(id uint64, r *rec) {
	var at int32
	if n := len(h.free); n > 0 {
		at, h.free = h.free[n-1], h.free[:n-1]
		h.pool[at] = pend{id: id, r: *r}
	} else {
		at = int32(len(h.pool))
		h.pool = append(h.pool, pend{id: id, r: *r})
	}
	h.heap = append(h.heap, at)
	for j := len(h.heap) - 1; j > 0; {
		p := (j - 1) / 2
		if !h.less(j, p) {
			break
		}
		h.heap[j], h.heap[p] = h.heap[p], h.heap[j]
		j = p
	}
}

// pop removes the held-back conversation with the smallest ID and
// returns it (valid until the next push).
func (h *pendHeap) pop() *pend {
	top := h.heap[0]
	n := len(h.heap) - 1
	h.heap[0] = h.heap[n]
	h.heap = h.heap[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && h.less(l, m) {
			m = l
		}
		if l+1 < n && h.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			break
		}
		h.heap[i], h.heap[m] = h.heap[m], h.heap[i]
		i = m
	}
	h.free = append(h.free, top)
	return &h.pool[top]
}
