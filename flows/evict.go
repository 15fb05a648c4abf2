package flows

import (
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
	t.recs.side = map[int]*rec{}
	t.recs.done = [][]uint64{}
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
	return t.recs.n - t.ev.next + t.ev.late
}

// Close finishes every conversation of a streaming table that is still
// live, as if the capture had ended, emitting them in ID order, and
// returns the summary. The table must not be used afterwards.
func (t *Table) Close() Summary {
	ev := t.ev
	if ev == nil {
		panic("flows: Close on a table that is not streaming")
	}
	// No more packets: the index and the timers go (their memory serves
	// the report being written).
	t.idx, ev.timers = index{}, [4]deque[timerEntry]{}
	// Live conversations that stopped holding back others come first:
	// their IDs are below every other one left.
	var late []int
	for i := range t.recs.side {
		late = append(late, i)
	}
	for i := t.recs.first << chunkBits; i < ev.next; i++ {
		if !t.recs.isDone(i) {
			late = append(late, i)
		}
	}
	slices.Sort(late)
	for _, i := range late {
		t.emitRec(t.recs.at(i), i)
		t.recs.retire(i)
	}
	// The rest in ID order, dropping chunks as they are emitted (the
	// report being written meanwhile reuses their memory).
	for ; ev.next < t.recs.n; ev.next++ {
		t.emitRec(t.recs.at(ev.next), ev.next)
		t.recs.setDone(ev.next)
		if ev.next&(1<<chunkBits-1) == 1<<chunkBits-1 {
			for (t.recs.first+1)<<chunkBits <= ev.next+1 {
				t.recs.dropFront()
			}
		}
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

// evictor is the state of a streaming table. Records stay in the store
// in ID order: next is the index of the first one not yet emitted; from
// there on every record is live, or ended and held back (held of them,
// marked done). Records below next that have not ended (late of them)
// are the live conversations that stopped holding back later ones.
type evictor struct {
	emit             func(*Conversation)
	next, held, late int
	window           int
	// now is the latest packet time seen, t0 the first, in ns.
	now, t0 int64
	// timers are the ended-conversation candidates, by deadline, one FIFO
	// per timeout: TCP idle, UDP idle, other idle, TCP closed (linger).
	// A deadline only moves later, so an entry whose conversation saw
	// packets since is pushed again with its new deadline.
	timers [4]deque[timerEntry]
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

// timerEntry is a deadline of the record whose index has low 32 bits
// idx: due is in whole seconds after the table's first packet, rounded
// up (8 bytes an entry; the exact deadline is read from the record).
type timerEntry struct{ idx, due uint32 }

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

// liveRec returns the record with index i if its conversation is live
// (nil when it has ended).
func (t *Table) liveRec(i int) *rec {
	r := t.recs.at(i)
	if r == nil || (i>>chunkBits >= t.recs.first && t.recs.isDone(i)) {
		return nil
	}
	return r
}

// started registers the new record r with index i, started at ns.
func (t *Table) started(i int, r *rec, ns int64) {
	ev := t.ev
	if i == 0 {
		ev.t0 = ns
	}
	c := protoClass(r.k.proto)
	tq := &ev.timers[c]
	tq.push(timerEntry{idx: uint32(i), due: ev.dueSec(addSat(ns, t.idle[c]))})
	if tq.len() > 2*t.Live()+4096 {
		// Entries of conversations that ended otherwise (a TCP close)
		// wait for their idle deadline: drop them now and then, so that
		// the queue stays within twice the live conversations.
		t.compactTimers(tq)
	}
	if r.k.kind&^kindV6 == kindPorts {
		ev.countPeers(r, ns)
	}
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
func (t *Table) compactTimers(tq *deque[timerEntry]) {
	var kept deque[timerEntry]
	for tq.len() > 0 {
		if e := tq.pop(); t.liveRec(t.recs.full(e.idx)) != nil {
			kept.push(e)
		}
	}
	*tq = kept
}

// closed registers that the TCP record with index i was just closed.
func (t *Table) closed(i int, r *rec) {
	ev := t.ev
	ev.timers[timerClosed].push(timerEntry{idx: uint32(i), due: ev.dueSec(addSat(r.closeNS, t.lingr))})
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
			i := t.recs.full(e.idx)
			r := t.liveRec(i)
			if r == nil {
				continue
			}
			if d := t.deadline(r); d < ev.now {
				t.finish(i, true)
				done = true
			} else {
				// Packets came since: wait for the new deadline (at or
				// after now, so it is not due again in this loop).
				tq.push(timerEntry{idx: e.idx, due: ev.dueSec(d)})
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

// finish ends the conversation with record index i: it is emitted at
// once when it no longer holds its place in ID order (i < next), else
// marked done and held back until the earlier ones have ended (release).
// unindex removes its index entry (false when a newer record of the
// same 5-tuple already replaced it).
func (t *Table) finish(i int, unindex bool) {
	ev := t.ev
	r := t.recs.at(i)
	if unindex {
		t.idx.remove(t.idx.tag(&r.k), i)
	}
	if i >= ev.next {
		t.recs.setDone(i)
		ev.held++
		return
	}
	t.emitRec(r, i)
	ev.late--
	t.recs.retire(i)
}

// release emits the held-back conversations that no live conversation
// precedes, and, beyond the reorder window, stops holding them back for
// the oldest live ones; then it drops the chunks of records all emitted.
func (t *Table) release() {
	ev := t.ev
	for ev.next < t.recs.n {
		if t.recs.isDone(ev.next) {
			t.emitRec(t.recs.at(ev.next), ev.next)
			ev.held--
		} else if ev.held > ev.window {
			ev.late++
		} else {
			break
		}
		ev.next++
	}
	for (t.recs.first+1)<<chunkBits <= ev.next {
		t.recs.dropFront()
	}
}

// emitRec decides r's client and server, counts it in the summary and
// emits it as the conversation with record index i.
func (t *Table) emitRec(r *rec, i int) {
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
	ev.conv.ID = i + 1
	ev.emit(&ev.conv)
}

// addSat is a+b (b >= 0), saturating at the largest int64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
