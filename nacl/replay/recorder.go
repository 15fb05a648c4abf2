package replay

import (
	"math"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// KeyStat counts the packets of one conversation direction that look the
// same to a NACL (same nacl.Packet, same ICMP-error attachment). TCP and
// UDP directions normally have exactly one; ICMP errors attached to a
// conversation and non-first fragments without ports add their own.
type KeyStat struct {
	Key nacl.Packet
	// ICMPError is true for ICMP errors attached to the conversation they quote.
	ICMPError bool
	// Fragment is true for non-first fragments whose ports are unknown.
	Fragment   bool
	Packets    uint64
	Bytes      uint64
	First      time.Time
	FirstFrame flows.FrameRef
	// Last is the time of the last packet. For the direction's common
	// (implied) key without a time window it is the time of the
	// direction's last packet, which may be an attached ICMP error or a
	// fragment counted under another key: the table keeps one last time
	// per direction.
	Last          time.Time
	firstRecorded bool
}

func (k *KeyStat) add(p *capture.Packet) {
	if !k.firstRecorded {
		k.firstRecorded = true
		k.First = p.Time
		k.FirstFrame = flows.FrameRef{File: p.File, Frame: p.Frame}
	}
	k.Packets++
	k.Bytes += uint64(p.IPLen)
	if p.Time.After(k.Last) {
		k.Last = p.Time
	}
}

// sideAcc counts the packets of one conversation direction whose NACL key
// is the direction's implied key (see convAcc): 40 bytes, no addresses.
type sideAcc struct {
	pkts, bytes uint64
	firstNS     int64
	lastNS      int64
	frame       uint64 // packFrameRef
}

func (a *sideAcc) add(p *capture.Packet) {
	ns := timeNS(p.Time)
	if a.pkts == 0 {
		a.firstNS, a.lastNS = ns, ns
		a.frame = packFrameRef(p.File, p.Frame)
	}
	a.pkts++
	a.bytes += uint64(p.IPLen)
	a.lastNS = max(a.lastNS, ns)
}

// convAcc accumulates one conversation (5 bytes). For almost every packet
// the NACL key is implied by the conversation: its source and destination
// are the endpoints of the sending side and of the other side, its
// protocol is the conversation's, and a TCP/UDP key's destination port is
// the other side's port. Such "plain" packets (not an attached ICMP error,
// not a fragment without ports) are not counted here: the conversation
// table counts every packet of each side, so the implied key's counters
// are the table's minus what went elsewhere (extraAcc.excl), which is
// rare. With a time window (packets outside it join conversations but are
// not counted), the implied keys are counted in a sideStore instead. An
// ICMP key's type and code are kept in icmp. Any other key goes to an
// extraAcc, looked up only for conversations flagged accHasExtra.
type convAcc struct {
	icmp  [2][2]uint8 // type, code of each side's implied key
	flags uint8
}

// convAcc flags; the per-side bits are shifted left by the side.
const (
	accUsed     uint8 = 1 << 0 // side 0 has an implied key (bit 1: side 1)
	accHasICMP  uint8 = 1 << 2 // side 0's implied key has ICMP type/code
	accHasPort  uint8 = 1 << 4 // side 0's implied key has a port
	accHasExtra uint8 = 1 << 6 // the conversation has an extraAcc
)

// extraAcc holds the keys of a conversation that its sides do not imply,
// in order of first appearance; headAt says how many of them came before
// the implied key of each side (so that Keys keeps first-appearance order).
type extraAcc struct {
	more   [2][]KeyStat
	last   [2]int
	headAt [2]int
	// Without a sideStore: what the table counted on each side that is not
	// the implied key (excl), bytes the implied key counts that the table
	// did not (adj: a negative IPLen), and the implied key's first packet
	// when it is not the table's first of that side (first.pkts == 1).
	excl, adj [2]sideAcc
	first     [2]sideAcc
}

// Counts are the record counts of a pass over the captures.
type Counts struct {
	Records, IP, NonIP, Undecodable uint64
	// OutsideWindow counts IP packets outside --since/--until.
	OutsideWindow uint64
	// Unattributed counts in-window IP packets that joined no conversation.
	Unattributed uint64
	// Start and End are the first and last record times.
	Start, End time.Time
}

// Recorder is the first pass of a replay: it feeds every record to the
// conversation table and, for each in-window IP packet, counts it under
// its conversation, side and NACL key. Memory grows with conversations and
// distinct keys, not with packets. Not safe for concurrent use.
type Recorder struct {
	table  *flows.Table
	win    windowState
	convs  convStore
	sides  *sideStore // implied-key counters, only with a time window
	extras map[int]*extraAcc
	loose  []KeyStat
	counts Counts
	// refs is AddBatch's reused buffer; sink keeps its prefetch loads alive.
	refs []flows.Ref
	sink uint8
}

// NewRecorder returns a recorder with a fresh conversation table.
func NewRecorder(cfg flows.Config, w Window) *Recorder {
	r := &Recorder{table: flows.NewTable(cfg), win: windowState{w: w}, extras: map[int]*extraAcc{}}
	if w.Since.Set || w.Until.Set {
		r.sides = &sideStore{}
	}
	return r
}

// Add accounts one record and returns the conversation it joined.
func (r *Recorder) Add(p *capture.Packet) flows.Ref {
	ref := r.table.Add(p)
	r.account(p, ref)
	return ref
}

// AddBatch accounts the records in order, exactly as Add on each would,
// using the table's batched lookups (faster on large captures).
func (r *Recorder) AddBatch(ps []capture.Packet) {
	if cap(r.refs) < len(ps) {
		r.refs = make([]flows.Ref, len(ps))
	}
	refs := r.refs[:len(ps)]
	r.table.AddAllRefs(ps, refs)
	// Touch the batch's accumulators first, so that their cache misses
	// overlap instead of stalling account one packet at a time.
	var sink uint8
	for i := range refs {
		if id := refs[i].ID; id > 0 {
			sink += r.convs.at(id).flags
		}
	}
	r.sink += sink
	for i := range ps {
		r.account(&ps[i], refs[i])
	}
}

// account counts one record that the table placed in conversation ref.
func (r *Recorder) account(p *capture.Packet, ref flows.Ref) flows.Ref {
	if r.counts.Records == 0 {
		r.counts.Start = p.Time
	}
	r.counts.Records++
	if p.Time.After(r.counts.End) {
		r.counts.End = p.Time
	}
	switch p.Kind {
	case capture.KindIP:
		r.counts.IP++
	case capture.KindNonIP:
		r.counts.NonIP++
		return ref
	default:
		r.counts.Undecodable++
		return ref
	}
	if !r.win.in(p.Time) {
		r.counts.OutsideWindow++
		return ref
	}
	icmpErr := ref.ICMPError
	frag := p.Fragment && p.FragOffset != 0 && !p.HasPorts && !p.HasICMP
	if ref.ID <= 0 {
		r.counts.Unattributed++
		addKey(&r.loose, nil, FromCapture(p), icmpErr, frag, p)
		return ref
	}
	c := r.convs.at(ref.ID)
	side := uint8(ref.From & 1)
	plain := !icmpErr && !frag && (p.HasPorts || (p.Proto != capture.ProtoTCP && p.Proto != capture.ProtoUDP))
	if plain {
		isICMP := (p.Proto == capture.ProtoICMP || p.Proto == capture.ProtoICMPv6) && p.HasICMP
		if c.flags&(accUsed<<side) == 0 {
			c.flags |= accUsed << side
			switch {
			case isICMP:
				c.flags |= accHasICMP << side
				c.icmp[side] = [2]uint8{p.ICMPType, p.ICMPCode}
			case p.HasPorts && (p.Proto == capture.ProtoTCP || p.Proto == capture.ProtoUDP):
				c.flags |= accHasPort << side
			}
			var x *extraAcc
			if c.flags&accHasExtra != 0 {
				x = r.extras[ref.ID]
				x.headAt[side] = len(x.more[side])
			}
			switch {
			case r.sides != nil:
				r.sides.at(ref.ID)[side].add(p)
			case x != nil && x.excl[side].pkts > 0 || p.Time.Before(minNSTime):
				// The table's first packet of this side is another one, or
				// its time is stored differently (zero, before 1678).
				r.extra(ref.ID, c).first[side].add(p)
			}
			r.impliedBytes(ref.ID, c, side, p)
			return ref
		}
		// Fast path: the same view as the side's implied key (almost
		// every packet: only ICMP types can differ).
		if !isICMP && c.flags&(accHasICMP<<side) == 0 ||
			isICMP && c.flags&(accHasICMP<<side) != 0 && c.icmp[side] == [2]uint8{p.ICMPType, p.ICMPCode} {
			if r.sides != nil {
				r.sides.at(ref.ID)[side].add(p)
				return ref
			}
			r.impliedBytes(ref.ID, c, side, p)
			return ref
		}
	}
	x := r.extra(ref.ID, c)
	addKey(&x.more[side], &x.last[side], FromCapture(p), icmpErr, frag, p)
	if r.sides == nil {
		// Counted by the table, not under the implied key.
		e := &x.excl[side]
		e.pkts++
		e.bytes += uint64(max(p.IPLen, 0))
	}
	return ref
}

// extra returns the extraAcc of conversation id (accumulator c), creating it.
func (r *Recorder) extra(id int, c *convAcc) *extraAcc {
	x := r.extras[id]
	if x == nil {
		x = &extraAcc{}
		r.extras[id] = x
		c.flags |= accHasExtra
	}
	return x
}

// impliedBytes notes, without a sideStore, the bytes of an implied-key
// packet that the table did not count (it adds no negative length).
func (r *Recorder) impliedBytes(id int, c *convAcc, side uint8, p *capture.Packet) {
	if r.sides == nil && p.IPLen < 0 {
		r.extra(id, c).adj[side].bytes += uint64(p.IPLen)
	}
}

// addKey counts p under key in list, trying the last hit first.
func addKey(list *[]KeyStat, last *int, key nacl.Packet, icmpErr, frag bool, p *capture.Packet) {
	l := *list
	if last != nil && *last < len(l) {
		k := &l[*last]
		if sameKey(&k.Key, &key) && k.ICMPError == icmpErr && k.Fragment == frag {
			k.add(p)
			return
		}
	}
	for i := range l {
		if sameKey(&l[i].Key, &key) && l[i].ICMPError == icmpErr && l[i].Fragment == frag {
			l[i].add(p)
			if last != nil {
				*last = i
			}
			return
		}
	}
	*list = append(l, KeyStat{Key: key, ICMPError: icmpErr, Fragment: frag})
	(*list)[len(l)].add(p)
	if last != nil {
		*last = len(l)
	}
}

// Recording is the outcome of the first pass.
type Recording struct {
	// Conversations are all conversations of the capture, by ID (index i
	// holds ID i+1), including those with no packet in the window, when
	// the recording is materialised (the tests' reference Finish); Classify
	// leaves it nil and builds conversations on demand (see
	// NumConversations, Conversation, EachConversation).
	Conversations []*flows.Conversation
	Summary       flows.Summary
	Counts        Counts
	// Window is the window as given; Since/Until are resolved (zero when open).
	Window       Window
	Since, Until time.Time
	convs        convStore
	sides        *sideStore
	extras       map[int]*extraAcc
	loose        []KeyStat
	cls          *flows.Classified
}

// Classify classifies the conversations and returns the recording without
// materialising them (the tests' reference Finish does): Conversations is
// nil and each conversation is built on demand from the compact
// conversation table. The recorder must not be used afterwards.
func (r *Recorder) Classify() *Recording {
	cls := r.table.Classify()
	rec := r.recording(cls.Summary())
	rec.cls = cls
	return rec
}

func (r *Recorder) recording(sum flows.Summary) *Recording {
	rec := &Recording{Summary: sum, Counts: r.counts, Window: r.win.w, convs: r.convs, sides: r.sides, extras: r.extras, loose: r.loose}
	if r.win.resolved {
		if r.win.w.Since.Set {
			rec.Since = r.win.since
		}
		if r.win.w.Until.Set {
			rec.Until = r.win.until
		}
	}
	r.table = nil
	return rec
}

// NumConversations is the number of conversations; their IDs are 1..NumConversations().
func (rec *Recording) NumConversations() int {
	if rec.cls != nil {
		return rec.cls.Len()
	}
	return len(rec.Conversations)
}

// Conversation fills dst with conversation id (1-based).
func (rec *Recording) Conversation(id int, dst *flows.Conversation) {
	if rec.cls != nil {
		rec.cls.Conversation(id, dst)
		return
	}
	*dst = *rec.Conversations[id-1]
}

// EachConversation calls fn for every conversation in ID order. With a
// recording made by Classify the value passed is reused: fn must copy
// what it keeps. It stops at the first error fn returns.
func (rec *Recording) EachConversation(fn func(*flows.Conversation) error) error {
	if rec.cls != nil {
		for c := range rec.cls.Conversations() {
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range rec.Conversations {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// roles fills dst with only what judging needs of conversation id: ID,
// protocol, version, client, server and client side (cheaper than
// Conversation, which also derives state, counters and profiles).
func (rec *Recording) roles(id int, dst *flows.Conversation) {
	if rec.cls == nil {
		*dst = *rec.Conversations[id-1]
		return
	}
	proto, a, b := rec.cls.Endpoints(id)
	cs := rec.cls.ClientSide(id)
	*dst = flows.Conversation{ID: id, Proto: proto, Version: 4, Client: a, Server: b, ClientSide: cs}
	if a.Addr.Is6() {
		dst.Version = 6
	}
	if cs == flows.SideB {
		dst.Client, dst.Server = b, a
	}
}

// state returns the final state of conversation id.
func (rec *Recording) state(id int) flows.State {
	if rec.cls != nil {
		return rec.cls.State(id)
	}
	return rec.Conversations[id-1].State
}

// clientSide returns the client side of conversation id.
func (rec *Recording) clientSide(id int) flows.Side {
	if rec.cls != nil {
		return rec.cls.ClientSide(id)
	}
	return rec.Conversations[id-1].ClientSide
}

// endpoints returns the protocol and the endpoints of sides A and B of conversation id.
func (rec *Recording) endpoints(id int) (proto uint8, a, b flows.Endpoint) {
	if rec.cls != nil {
		return rec.cls.Endpoints(id)
	}
	c := rec.Conversations[id-1]
	if c.ClientSide == flows.SideA {
		return c.Proto, c.Client, c.Server
	}
	return c.Proto, c.Server, c.Client
}

// hasKeys reports whether conversation id had an in-window packet.
func (rec *Recording) hasKeys(id int) bool {
	c := rec.convs.get(id)
	return c != nil && (c.flags&(accUsed|accUsed<<1) != 0 || c.flags&accHasExtra != 0)
}

// Keys returns the keys recorded for conversation id on side s (nil when
// it had no in-window packet that way).
func (rec *Recording) Keys(id int, s flows.Side) []KeyStat {
	c := rec.convs.get(id)
	if c == nil {
		return nil
	}
	proto, a, b := rec.endpoints(id)
	return rec.appendKeys(nil, id, c, uint8(s&1), proto, a, b)
}

// AppendKeys appends the keys of conversation id on side s to dst, like
// Keys but reusing dst's storage.
func (rec *Recording) AppendKeys(dst []KeyStat, id int, s flows.Side) []KeyStat {
	c := rec.convs.get(id)
	if c == nil {
		return dst
	}
	proto, a, b := rec.endpoints(id)
	return rec.appendKeys(dst, id, c, uint8(s&1), proto, a, b)
}

// appendKeys appends the keys of side s of conversation id (accumulator
// c, endpoints a and b) to dst, in order of first appearance.
func (rec *Recording) appendKeys(dst []KeyStat, id int, c *convAcc, s uint8, proto uint8, a, b flows.Endpoint) []KeyStat {
	var more []KeyStat
	var x *extraAcc
	headAt := 0
	if c.flags&accHasExtra != 0 {
		if x = rec.extras[id]; x != nil {
			more, headAt = x.more[s], x.headAt[s]
		}
	}
	if c.flags&(accUsed<<s) == 0 {
		return append(dst, more...)
	}
	dst = append(dst, more[:headAt]...)
	from, to := a, b
	if s == 1 {
		from, to = b, a
	}
	k := KeyStat{Key: nacl.Packet{Src: from.Addr, Dst: to.Addr, Proto: proto}, firstRecorded: true}
	rec.implied(&k, id, s, x)
	if c.flags&(accHasPort<<s) != 0 {
		k.Key.HasPort, k.Key.DstPort = true, to.Port
	}
	if c.flags&(accHasICMP<<s) != 0 {
		k.Key.HasICMP, k.Key.ICMPType, k.Key.ICMPCode = true, c.icmp[s][0], c.icmp[s][1]
	}
	dst = append(dst, k)
	return append(dst, more[headAt:]...)
}

// implied fills k's counters for the implied key of side s of conversation
// id (extras x, nil when it has none).
func (rec *Recording) implied(k *KeyStat, id int, s uint8, x *extraAcc) {
	if rec.sides != nil {
		a := &rec.sides.get(id)[s]
		k.Packets, k.Bytes, k.First, k.FirstFrame = a.pkts, a.bytes, nsTime(a.firstNS), unpackFrameRef(a.frame)
		k.Last = nsTime(a.lastNS)
		return
	}
	d := rec.dir(id, flows.Side(s))
	k.Packets, k.Bytes, k.First, k.FirstFrame, k.Last = d.Packets, d.Bytes, d.First, d.FirstFrame, d.Last
	// The table stores the zero time and times before 1678 as its
	// earliest time: then every packet had such a time, as the first had.
	defer func() {
		if k.Last.Before(minNSTime) {
			k.Last = k.First
		}
	}()
	if x == nil {
		return
	}
	k.Packets -= x.excl[s].pkts
	k.Bytes = k.Bytes - x.excl[s].bytes + x.adj[s].bytes
	if f := &x.first[s]; f.pkts > 0 {
		k.First, k.FirstFrame = nsTime(f.firstNS), unpackFrameRef(f.frame)
	}
}

// dir returns the table's counters of the packets side s of conversation id sent.
func (rec *Recording) dir(id int, s flows.Side) flows.DirStats {
	if rec.cls != nil {
		return rec.cls.Dir(id, s)
	}
	c := rec.Conversations[id-1]
	if (s == flows.SideA) == (c.ClientSide == flows.SideA) {
		return c.ToServer
	}
	return c.ToClient
}

// Unattributed returns the keys of in-window IP packets that joined no conversation.
func (rec *Recording) Unattributed() []KeyStat { return rec.loose }

const (
	frameBits = 48
	// zeroNS stands for the zero time.Time.
	zeroNS = math.MinInt64
)

// packFrameRef packs a file index and frame number in one word.
func packFrameRef(file int, frame int64) uint64 {
	f := uint64(min(max(file, 0), math.MaxUint16))
	n := uint64(min(max(frame, 0), 1<<frameBits-1))
	return f<<frameBits | n
}

func unpackFrameRef(v uint64) flows.FrameRef {
	return flows.FrameRef{File: int(v >> frameBits), Frame: int64(v & (1<<frameBits - 1))}
}

var (
	minNSTime = time.Unix(0, math.MinInt64+1)
	maxNSTime = time.Unix(0, math.MaxInt64)
)

// timeNS converts t to Unix nanoseconds (zeroNS for the zero time,
// clamped to the representable range).
func timeNS(t time.Time) int64 {
	switch {
	case t.IsZero():
		return zeroNS
	case t.Before(minNSTime):
		return math.MinInt64 + 1
	case t.After(maxNSTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// nsTime reverses timeNS (in UTC).
func nsTime(ns int64) time.Time {
	if ns == zeroNS {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// sameKey compares two NACL views, cheapest fields first (the generated
// struct equality is measurably slower on the per-packet path).
func sameKey(a, b *nacl.Packet) bool {
	return a.DstPort == b.DstPort && a.Proto == b.Proto && a.HasPort == b.HasPort && a.HasICMP == b.HasICMP &&
		a.ICMPType == b.ICMPType && a.ICMPCode == b.ICMPCode && a.Src == b.Src && a.Dst == b.Dst && a.ProtoUnknown == b.ProtoUnknown
}

// convStore holds convAcc values by conversation ID in fixed-size chunks,
// so that growing never copies what is already there.
type convStore struct {
	chunks [][]convAcc
}

const convChunk = 1024

// at returns the accumulator of id, creating its chunk if needed.
func (s *convStore) at(id int) *convAcc {
	ci := id / convChunk
	for len(s.chunks) <= ci {
		s.chunks = append(s.chunks, nil)
	}
	if s.chunks[ci] == nil {
		s.chunks[ci] = make([]convAcc, convChunk)
	}
	return &s.chunks[ci][id%convChunk]
}

// get returns the accumulator of id, or nil when it was never created.
func (s *convStore) get(id int) *convAcc {
	ci := id / convChunk
	if id <= 0 || ci >= len(s.chunks) || s.chunks[ci] == nil {
		return nil
	}
	return &s.chunks[ci][id%convChunk]
}

// sideStore holds the implied-key counters by conversation ID when a time
// window makes them differ from the table's (see convAcc).
type sideStore struct {
	chunks [][][2]sideAcc
}

// at returns the counters of id, creating their chunk if needed.
func (s *sideStore) at(id int) *[2]sideAcc {
	ci := id / convChunk
	for len(s.chunks) <= ci {
		s.chunks = append(s.chunks, nil)
	}
	if s.chunks[ci] == nil {
		s.chunks[ci] = make([][2]sideAcc, convChunk)
	}
	return &s.chunks[ci][id%convChunk]
}

// get returns the counters of id (zero when never created).
func (s *sideStore) get(id int) *[2]sideAcc {
	ci := id / convChunk
	if id <= 0 || ci >= len(s.chunks) || s.chunks[ci] == nil {
		return &[2]sideAcc{}
	}
	return &s.chunks[ci][id%convChunk]
}
