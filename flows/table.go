package flows

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/flowverify/flowverify/capture"
)

// Config holds the conversation table's timeouts. Zero values take the
// documented defaults (see DefaultConfig).
type Config struct {
	// TCPIdle ends a TCP conversation after this much silence (default 5m).
	TCPIdle time.Duration
	// TCPClosedLinger is how long after a FIN/RST close packets still join
	// the closed conversation before a reused 5-tuple starts a new one
	// (default 5s); a new SYN after a close always starts a new one.
	TCPClosedLinger time.Duration
	// UDPIdle ends a UDP conversation after this much silence (default 60s).
	UDPIdle time.Duration
	// OtherIdle ends ICMP and other-protocol conversations (default 60s).
	OtherIdle time.Duration
	// FanInPeers is the number of distinct peers that must come to an
	// address:port (send the first packet of their conversation) for it to
	// count as a server by fan-in (default 3).
	FanInPeers int
}

// DefaultConfig returns the documented default timeouts.
func DefaultConfig() Config {
	return Config{TCPIdle: 5 * time.Minute, TCPClosedLinger: 5 * time.Second, UDPIdle: 60 * time.Second, OtherIdle: 60 * time.Second, FanInPeers: 3}
}

// withDefaults replaces zero (or negative) fields by the defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.TCPIdle <= 0 {
		c.TCPIdle = d.TCPIdle
	}
	if c.TCPClosedLinger <= 0 {
		c.TCPClosedLinger = d.TCPClosedLinger
	}
	if c.UDPIdle <= 0 {
		c.UDPIdle = d.UDPIdle
	}
	if c.OtherIdle <= 0 {
		c.OtherIdle = d.OtherIdle
	}
	if c.FanInPeers <= 0 {
		c.FanInPeers = d.FanInPeers
	}
	return c
}

// Ref identifies the conversation a packet was added to.
type Ref struct {
	// ID is the conversation ID, 0 when the packet joined no conversation
	// (non-IP, undecodable, unattributed fragment).
	ID int
	// From is the side that sent the packet. For an ICMP error attached to
	// a conversation it is the side the error travels *from* relative to the
	// quoted packet's receiver (the error goes back towards the quoted sender).
	From Side
	// ICMPError is true when the packet is an ICMP error attached to the
	// conversation it quotes.
	ICMPError bool
}

// Summary counts what the table saw.
type Summary struct {
	// Packets is every record delivered; IP, NonIP and Undecodable split it.
	Packets, IP, NonIP, Undecodable uint64
	// ConversationsByProto counts conversations by protocol name ("tcp", "udp", "icmp", "icmpv6", or the number).
	ConversationsByProto map[string]int
	// Anomalies counts oddities by reason ("unattributed fragment",
	// "truncated tcp header", "syn-ack before syn", ...), including the
	// Reason of every undecodable record.
	Anomalies map[string]uint64
}

// maxConversations bounds the table: 2^31 records fit the 2^32-slot index
// at its 70% load limit (and would need about 320 GB of memory); on a
// 32-bit machine, the largest int.
const maxConversations = min(1<<31, math.MaxInt)

// Table is the conversation table. It is not safe for concurrent use.
//
// Memory grows with conversations, never with packets: each conversation
// is one 144-byte record in a chunked store plus its share of 8-byte index
// slots (about 160 bytes per conversation measured, see mem_test.go). A
// streaming table (Stream) frees the conversations that have ended, so
// its memory grows with those live at once (and an 8-byte timer each).
type Table struct {
	cfg   Config
	recs  store
	idx   index
	sum   Summary
	idle  [3]int64 // TCP, UDP, other, in ns
	lingr int64
	// ev is the state of a streaming table (Stream), nil otherwise.
	ev *evictor
	// sink keeps AddAll's look-ahead loads from being optimised away.
	sink uint64
}

// NewTable returns an empty table. Zero fields of cfg take the defaults.
func NewTable(cfg Config) *Table {
	cfg = cfg.withDefaults()
	return &Table{
		cfg:   cfg,
		idx:   index{seed: rand.Uint64()},
		sum:   Summary{ConversationsByProto: map[string]int{}, Anomalies: map[string]uint64{}},
		idle:  [3]int64{int64(cfg.TCPIdle), int64(cfg.UDPIdle), int64(cfg.OtherIdle)},
		lingr: int64(cfg.TCPClosedLinger),
	}
}

// Add accounts one packet (any Kind) and returns the conversation it joined.
func (t *Table) Add(p *capture.Packet) Ref {
	if p == nil {
		return Ref{}
	}
	ref := t.add(p, nil)
	t.maybeExpire()
	return ref
}

// expireEvery is how often (in records) a streaming table looks for
// ended conversations: a count of records, not a batch boundary, so that
// what is emitted when never depends on how the input was batched.
var expireEvery uint64 = 32

// maybeExpire runs expire on a streaming table every expireEvery records.
func (t *Table) maybeExpire() {
	if t.ev != nil && t.sum.Packets%expireEvery == 0 {
		t.expire()
	}
}

// pre is a packet's key computed ahead by AddAll.
type pre struct {
	k    key
	tag  uint32
	side uint8
	why  string
}

// addAllGroup is how many packets AddAll looks up ahead: enough to
// overlap the cache misses of their index slots and records.
const addAllGroup = 32

// AddAll adds the packets in order, exactly as Add on each would. It is
// faster on large tables: it computes the keys of a group of packets and
// touches their index slots and records first, so that the memory
// accesses of several lookups overlap instead of waiting one by one.
func (t *Table) AddAll(ps []capture.Packet) { t.addAll(ps, nil) }

// AddAllRefs is AddAll that also stores, in refs[i], the Ref that Add
// would have returned for ps[i]. refs must be at least as long as ps.
func (t *Table) AddAllRefs(ps []capture.Packet, refs []Ref) { t.addAll(ps, refs[:len(ps)]) }

// addAll implements AddAll and AddAllRefs; refs may be nil.
func (t *Table) addAll(ps []capture.Packet, refs []Ref) {
	var pres [addAllGroup]pre
	var pos [addAllGroup]uint64
	for len(ps) > 0 {
		g := ps[:min(len(ps), addAllGroup)]
		ps = ps[len(g):]
		var gr []Ref
		if refs != nil {
			gr, refs = refs[:len(g)], refs[len(g):]
		}
		n := len(t.idx.slots)
		mask := uint64(n - 1)
		for i := range g {
			p := &g[i]
			pres[i].why = "-"
			if p.Kind != capture.KindIP || !p.Src.IsValid() || !p.Dst.IsValid() {
				continue
			}
			pr := &pres[i]
			pr.side, pr.why = pr.k.setPacket(p, p.Fragment && p.FragOffset != 0)
			if pr.why == "" {
				pr.tag = t.idx.tag(&pr.k)
				pos[i] = uint64(pr.tag) >> t.idx.shift
			}
		}
		if n > 0 {
			// Touch the slots, then the records they point at (hints only).
			var sink uint64
			for i := range g {
				if pres[i].why == "" {
					pos[i] = t.idx.slots[pos[i]&mask]
				}
			}
			for i := range g {
				if v := pos[i]; pres[i].why == "" && v != 0 && uint32(v>>32) == pres[i].tag {
					// The record spans up to three cache lines.
					if r := t.recs.at(t.recs.full(uint32(v) - 1)); r != nil {
						sink += r.k.a.lo + uint64(r.d[0].lastNS) + uint64(r.flags)
					}
				}
			}
			t.sink += sink
		}
		for i := range g {
			var pk *pre
			if pres[i].why != "-" {
				pk = &pres[i]
			}
			ref := t.add(&g[i], pk)
			if gr != nil {
				gr[i] = ref
			}
			t.maybeExpire()
		}
	}
}

// add is Add, with the packet's key precomputed when pk is not nil.
func (t *Table) add(p *capture.Packet, pk *pre) Ref {
	t.sum.Packets++
	switch p.Kind {
	case capture.KindIP:
		t.sum.IP++
	case capture.KindNonIP:
		t.sum.NonIP++
		return Ref{}
	default:
		t.sum.Undecodable++
		t.anomaly(p.Reason, "undecodable record")
		return Ref{}
	}
	if p.Reason != "" {
		t.anomaly(p.Reason, "")
	}
	if !p.Src.IsValid() || !p.Dst.IsValid() {
		t.anomaly("ip packet without addresses", "")
		return Ref{}
	}
	nonFirst := p.Fragment && p.FragOffset != 0
	ns := toNS(p.Time)
	if ev := t.ev; ev != nil && ns > ev.now {
		ev.now = ns
	}
	if p.HasICMP && !nonFirst && isICMP(p.Proto) && isICMPError(p.Proto, p.ICMPType) {
		if ref, ok := t.attachError(p, ns); ok {
			return ref
		}
		t.anomaly("icmp error quoting no known conversation", "")
	}
	var local key
	k := &local
	var side uint8
	var why string
	var tag uint32
	if pk != nil {
		k, side, why, tag = &pk.k, pk.side, pk.why, pk.tag
	} else {
		side, why = k.setPacket(p, nonFirst)
		if why == "" {
			tag = t.idx.tag(k)
		}
	}
	if why != "" {
		t.anomaly(why, "")
		return Ref{}
	}
	id, r := t.lookup(k, tag, side, p, ns)
	if r == nil {
		return Ref{}
	}
	r.count(side, ns, p.IPLen, p.File, p.Frame)
	r.side[side] |= sSent
	switch {
	case nonFirst:
		r.fragments = satInc(r.fragments)
	case p.PortsOnly:
		// Flags unknown (header cut after the ports): no TCP state.
	default:
		wasClosed := r.flags & fClosed
		t.protoUpdate(r, side, p, ns)
		if t.ev != nil && wasClosed == 0 && r.flags&fClosed != 0 {
			t.closed(id-1, r)
		}
		if p.HeadLen > 0 && r.d[0].pkts+r.d[1].pkts <= payloadLookPackets {
			payloadUpdate(r, side, p)
		}
	}
	return Ref{ID: id, From: Side(side ^ r.aSide())}
}

// protoUpdate follows TCP state and ICMP echo roles for a packet that
// carries its transport header.
func (t *Table) protoUpdate(r *rec, side uint8, p *capture.Packet, ns int64) {
	switch {
	case p.Proto == capture.ProtoTCP:
		if a := tcpUpdate(r, side, p.TCPFlags, p.Seq, p.PayloadLen, ns); a != "" {
			t.anomaly(a, "")
		}
	case isICMP(p.Proto) && p.HasICMP:
		switch echoRole(p.Proto, p.ICMPType) {
		case 1:
			r.side[side] |= sSYN
		case 2:
			r.side[side] |= sSYNACK
		}
	}
}

// lookup finds the live conversation for k or starts a new one (new key,
// idle timeout, TCP close or reuse). It returns the 1-based ID and the
// record, or a nil record when the table is full.
func (t *Table) lookup(k *key, tag uint32, side uint8, p *capture.Packet, ns int64) (int, *rec) {
	i := t.idx.findTag(&t.recs, k, tag)
	continued := false
	if i >= 0 {
		r := t.recs.at(i)
		startNew, reuse := false, false
		if idleFor(ns, r.lastNS()) > t.idle[protoClass(k.proto)] {
			startNew = true
		} else if k.proto == capture.ProtoTCP && p.IsFirstFragmentOrWhole() && !p.PortsOnly {
			startNew, reuse = tcpStartsNew(r, side, p.TCPFlags, p.Seq, ns, t.lingr)
		} else if k.proto == capture.ProtoTCP && r.closedBefore(ns, t.lingr) {
			// A segment whose flags are unknown (a later fragment, a
			// header cut after the ports) more than the linger after a
			// close: the closed conversation has ended (a streaming
			// table has already finished it).
			startNew = true
		}
		if !startNew {
			return i + 1, r
		}
		if reuse {
			t.anomaly("tcp port reuse without close", "")
		}
		continued = k.proto == capture.ProtoTCP && !isPureSYN(p)
	}
	if t.Live() >= maxConversations {
		t.anomaly("conversation table full", "")
		return 0, nil
	}
	old := i
	i, r := t.recs.add()
	r.k = *k
	if side == 1 {
		r.flags |= fA1
	}
	if continued {
		r.flags |= fContinued
	}
	t.idx.setTag(&t.recs, k, tag, i)
	if t.ev == nil {
		return i + 1, r
	}
	t.started(i, r, ns)
	if old >= 0 {
		// The 5-tuple's previous conversation ended with this packet.
		t.finish(old, false)
		t.release()
		r = t.recs.at(i)
	}
	return i + 1, r
}

// attachError adds an ICMP error to the conversation it quotes, when that
// conversation exists and is not idle.
func (t *Table) attachError(p *capture.Packet, ns int64) (Ref, bool) {
	k, qside, ok := quotedKey(&p.Quote)
	if !ok {
		return Ref{}, false
	}
	i := t.idx.find(&t.recs, &k)
	if i < 0 {
		return Ref{}, false
	}
	r := t.recs.at(i)
	if idleFor(ns, r.lastNS()) > t.idle[protoClass(k.proto)] {
		return Ref{}, false
	}
	if r.closedBefore(ns, t.lingr) {
		return Ref{}, false // a TCP connection closed more than the linger ago has ended
	}
	from := 1 - qside // the quoted packet's receiver side
	r.count(from, ns, p.IPLen, p.File, p.Frame)
	r.icmpErr = satInc(r.icmpErr)
	if k.proto == capture.ProtoTCP && r.flags&fEstablished == 0 {
		r.flags |= fErrorToSyn
	}
	return Ref{ID: i + 1, From: Side(from ^ r.aSide()), ICMPError: true}, true
}

// idleFor is now-last, never negative (captures may step back in time).
func idleFor(now, last int64) int64 {
	if now <= last {
		return 0
	}
	if last < 0 && now > math.MaxInt64+last {
		return math.MaxInt64
	}
	return now - last
}

// protoClass indexes Table.idle: 0 TCP, 1 UDP, 2 other.
func protoClass(proto uint8) int {
	switch proto {
	case capture.ProtoTCP:
		return 0
	case capture.ProtoUDP:
		return 1
	}
	return 2
}

// isPureSYN reports a TCP SYN without ACK or RST.
func isPureSYN(p *capture.Packet) bool {
	return p.TCPFlags&(capture.TCPSyn|capture.TCPAck|capture.TCPRst|capture.TCPFin) == capture.TCPSyn
}

// satInc adds one, saturating.
func satInc(v uint32) uint32 {
	if v == math.MaxUint32 {
		return v
	}
	return v + 1
}

// anomaly counts reason (or fallback when reason is empty).
func (t *Table) anomaly(reason, fallback string) {
	if reason == "" {
		reason = fallback
	}
	if reason != "" {
		t.sum.Anomalies[reason]++
	}
}
