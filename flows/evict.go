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
// never pins memory (held-back conversations take about 150 bytes each,
// 40 MB at most), and every other conversation keeps its order. At 2,500
// new conversations a second the window spans 100 s of capture, more than
// the 60 s a UDP flow stays live after its last packet, so busy captures
// list everything but long TCP sessions in ID order.
const ReorderWindow = 262144

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
	t.ev = &evictor{emit: emit, window: ReorderWindow, base: 1,
		fan: fanIn{count: map[endpointKey]peerStat{}, min: t.cfg.FanInPeers}, known: knownRoles{}, seen: map[key]int64{}}
}

// Live is the number of conversations a streaming table holds: those
// still live, and the ended ones held back to keep ID order (at most
// ReorderWindow). It is what the table's memory grows with.
func (t *Table) Live() int {
	if t.ev == nil {
		return t.recs.n
	}
	return t.recs.live() + t.ev.held
}

// Close finishes every conversation of a streaming table that is still
// live, as if the capture had ended, emitting them in ID order, and
// returns the summary. The table must not be used afterwards.
func (t *Table) Close() Summary {
	ev := t.ev
	if ev == nil {
		panic("flows: Close on a table that is not streaming")
	}
	// Live conversations that stopped holding back others (fLate) come
	// first: their IDs are below every one still in seq.
	var late []uint32
	for i := range t.recs.n {
		if ev.ids.get(uint32(i)) != 0 && t.recs.at(i).flags&fLate != 0 {
			late = append(late, uint32(i))
		}
	}
	slices.SortFunc(late, func(a, b uint32) int { return cmp.Compare(ev.ids.get(a), ev.ids.get(b)) })
	for _, i := range late {
		t.emitRec(t.recs.at(int(i)), ev.ids.get(i))
		ev.ids.set(i, 0)
		t.recs.release(int(i))
	}
	for ev.seq.len() > 0 {
		v := ev.seq.pop()
		if v < 0 {
			t.emitHeld(-v - 1)
		} else {
			t.emitRec(t.recs.at(int(v)), ev.base)
			ev.ids.set(uint32(v), 0)
			t.recs.release(int(v))
		}
		ev.base++
	}
	return t.sum
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
	// ids holds the conversation ID of the record in each slot (0:
	// free), in chunks parallel to the store's.
	ids    idTable
	nextID uint64
	// now is the latest packet time seen, t0 the first, in ns.
	now, t0 int64
	// slot is the index of the record the last lookup returned.
	slot int
	// timers are the ended-conversation candidates, by deadline, one FIFO
	// per timeout: TCP idle, UDP idle, other idle, TCP closed (linger).
	// A deadline only moves later, so an entry whose conversation saw
	// packets since is pushed again with its new deadline.
	timers [4]deque[timerEntry]
	// seq holds, for every ID from base to nextID, where the
	// conversation is: its slot while it is live (>= 0), or, once it
	// ended and waits for an earlier one, -1 - its index in pool.
	seq  deque[int32]
	base uint64
	// pool holds the ended conversations held back (held of them).
	pool   pendPool
	held   int
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
// has low 32 bits id (a freed and reused slot no longer matches): due is
// in whole seconds after the table's first packet, rounded up (12 bytes
// an entry; the exact deadline is read from the record when it is due).
type timerEntry struct {
	slot, id, due uint32
}

// dueSec is deadline ns as a timerEntry.due: seconds after t0, rounded
// up, clamped to the uint32 range.
func (ev *evictor) dueSec(ns int64) uint32 {
	if ns <= ev.t0 {
		return 0
	}
	d := (uint64(ns-ev.t0) + 999_999_999) / 1e9
	return uint32(min(d, math.MaxUint32))
}

// nowSec is the time of the latest packet in whole seconds after t0,
// rounded down: an entry is due when its due is below it.
func (ev *evictor) nowSec() uint32 {
	if ev.now <= ev.t0 {
		return 0
	}
	return uint32(min(uint64(ev.now-ev.t0)/1e9, math.MaxUint32))
}

// live reports whether slot holds the conversation whose ID has low bits id.
func (ev *evictor) live(slot, id uint32) bool {
	full := ev.ids.get(slot)
	return full != 0 && uint32(full) == id
}

// started registers the new record r in slot i, started at ns, and
// returns its conversation ID.
func (t *Table) started(i int, r *rec, ns int64) uint64 {
	ev := t.ev
	ev.nextID++
	id := ev.nextID
	ev.ids.set(uint32(i), id)
	if ev.nextID == 1 {
		ev.t0 = ns
	}
	c := protoClass(r.k.proto)
	tq := &ev.timers[c]
	tq.push(timerEntry{slot: uint32(i), id: uint32(id), due: ev.dueSec(addSat(ns, t.idle[c]))})
	if tq.len() > 2*t.recs.live()+4096 {
		// Entries of conversations that ended otherwise (a TCP close)
		// wait for their idle deadline: drop them now and then, so that
		// the queue stays within twice the live conversations.
		ev.compactTimers(tq)
	}
	ev.seq.push(int32(i))
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

// compactTimers removes the entries of ended conversations from tq.
func (ev *evictor) compactTimers(tq *deque[timerEntry]) {
	var kept deque[timerEntry]
	for tq.len() > 0 {
		if e := tq.pop(); ev.live(e.slot, e.id) {
			kept.push(e)
		}
	}
	*tq = kept
}

// closed registers that the TCP record in slot i was just closed.
func (t *Table) closed(i int, r *rec) {
	ev := t.ev
	ev.timers[timerClosed].push(timerEntry{slot: uint32(i), id: uint32(ev.ids.get(uint32(i))), due: ev.dueSec(addSat(r.closeNS, t.lingr))})
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
	nowSec := ev.nowSec()
	for q := range ev.timers {
		tq := &ev.timers[q]
		for tq.len() > 0 && tq.front().due < nowSec {
			e := tq.pop()
			if !ev.live(e.slot, e.id) {
				continue
			}
			r := t.recs.at(int(e.slot))
			if d := t.deadline(r); d < ev.now {
				t.finish(int(e.slot), true)
				done = true
			} else {
				// Packets came since: wait for the new deadline (at or
				// after now, so it is not due again in this loop).
				tq.push(timerEntry{slot: e.slot, id: e.id, due: ev.dueSec(d)})
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

// finish ends the conversation in slot i and frees the slot: it is
// emitted at once when it no longer holds its place in ID order (fLate),
// else held back until the earlier ones have ended (release). unindex
// removes its index entry (false when a newer record of the same
// 5-tuple already replaced it).
func (t *Table) finish(i int, unindex bool) {
	ev := t.ev
	r := t.recs.at(i)
	if unindex {
		t.idx.remove(t.idx.tag(&r.k), i)
	}
	id := ev.ids.get(uint32(i))
	if id < ev.base {
		t.emitRec(r, id)
	} else {
		p := ev.pool.put(id, r)
		ev.seq.set(int(id-ev.base), -1-p)
		ev.held++
	}
	ev.ids.set(uint32(i), 0)
	t.recs.release(i)
}

// release emits the held-back conversations that no live conversation
// precedes, and, beyond the reorder window, stops holding them back for
// the oldest live ones.
func (t *Table) release() {
	ev := t.ev
	for ev.seq.len() > 0 {
		v := *ev.seq.front()
		if v < 0 {
			ev.seq.pop()
			t.emitHeld(-v - 1)
			ev.base++
			continue
		}
		if ev.held <= ev.window {
			return
		}
		ev.seq.pop()
		t.recs.at(int(v)).flags |= fLate
		ev.base++
	}
}

// emitHeld emits the held-back conversation at index p of the pool and
// frees its place.
func (t *Table) emitHeld(p int32) {
	ev := t.ev
	h := ev.pool.at(p)
	t.emitRec(&h.r, h.id)
	ev.pool.free = append(ev.pool.free, p)
	ev.held--
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

// pendPool holds records in fixed-size chunks (never copied when the
// pool grows), reusing freed places.
type pendPool struct {
	chunks [][]pend
	n      int
	free   []int32
}

// pendChunkBits sizes the pool's chunks (1,024 records, 152 KiB).
const pendChunkBits = 10

func (p *pendPool) at(i int32) *pend { return &p.chunks[i>>pendChunkBits][i&(1<<pendChunkBits-1)] }

// put copies r into the pool as conversation id and returns its index.
func (p *pendPool) put(id uint64, r *rec) int32 {
	var at int32
	if n := len(p.free); n > 0 {
		at, p.free = p.free[n-1], p.free[:n-1]
	} else {
		if p.n>>pendChunkBits == len(p.chunks) {
			p.chunks = append(p.chunks, make([]pend, 1<<pendChunkBits))
		}
		at = int32(p.n)
		p.n++
	}
	*p.at(at) = pend{id: id, r: *r}
	return at
}

// idTable holds a uint64 per store slot, in chunks as the store's (no
// slack when it grows).
type idTable struct{ chunks [][]uint64 }

func (x *idTable) get(i uint32) uint64 { return x.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

// set stores v for slot i, adding chunks as needed.
func (x *idTable) set(i uint32, v uint64) {
	for int(i>>chunkBits) >= len(x.chunks) {
		x.chunks = append(x.chunks, make([]uint64, 1<<chunkBits))
	}
	x.chunks[i>>chunkBits][i&(1<<chunkBits-1)] = v
}
