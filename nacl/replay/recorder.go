package replay

import (
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
	Fragment      bool
	Packets       uint64
	Bytes         uint64
	First         time.Time
	FirstFrame    flows.FrameRef
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
}

// convAcc holds the keys of both sides of one conversation: the first key
// of each side inline (one memory access per packet on the hot path), any
// further keys in more.
type convAcc struct {
	head [2]KeyStat
	used [2]bool
	more [2][]KeyStat
	last [2]int // index in more of the last extra key hit
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
	loose  []KeyStat
	counts Counts
}

// NewRecorder returns a recorder with a fresh conversation table.
func NewRecorder(cfg flows.Config, w Window) *Recorder {
	return &Recorder{table: flows.NewTable(cfg), win: windowState{w: w}}
}

// Add accounts one record and returns the conversation it joined.
func (r *Recorder) Add(p *capture.Packet) flows.Ref {
	if r.counts.Records == 0 {
		r.counts.Start = p.Time
	}
	r.counts.Records++
	if p.Time.After(r.counts.End) {
		r.counts.End = p.Time
	}
	ref := r.table.Add(p)
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
	key := FromCapture(p)
	icmpErr := ref.ICMPError
	frag := p.Fragment && p.FragOffset != 0 && !p.HasPorts && !p.HasICMP
	if ref.ID <= 0 {
		r.counts.Unattributed++
		addKey(&r.loose, nil, key, icmpErr, frag, p)
		return ref
	}
	c := r.convs.at(ref.ID)
	side := ref.From & 1
	// Fast path: the direction's first view (almost every packet).
	if h := &c.head[side]; c.used[side] {
		if sameKey(&h.Key, &key) && h.ICMPError == icmpErr && h.Fragment == frag {
			h.Packets++
			h.Bytes += uint64(p.IPLen)
			return ref
		}
		addKey(&c.more[side], &c.last[side], key, icmpErr, frag, p)
		return ref
	}
	c.used[side] = true
	c.head[side] = KeyStat{Key: key, ICMPError: icmpErr, Fragment: frag}
	c.head[side].add(p)
	return ref
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
	// holds ID i+1), including those with no packet in the window.
	Conversations []*flows.Conversation
	Summary       flows.Summary
	Counts        Counts
	// Window is the window as given; Since/Until are resolved (zero when open).
	Window       Window
	Since, Until time.Time
	convs        convStore
	loose        []KeyStat
}

// Finish classifies the conversations and returns the recording. The
// recorder must not be used afterwards.
func (r *Recorder) Finish() *Recording {
	convs, sum := r.table.Finish()
	rec := &Recording{Conversations: convs, Summary: sum, Counts: r.counts, Window: r.win.w, convs: r.convs, loose: r.loose}
	if r.win.resolved {
		if r.win.w.Since.Set {
			rec.Since = r.win.since
		}
		if r.win.w.Until.Set {
			rec.Until = r.win.until
		}
	}
	return rec
}

// Keys returns the keys recorded for conversation id on side s (nil when
// it had no in-window packet that way).
func (rec *Recording) Keys(id int, s flows.Side) []KeyStat {
	c := rec.convs.get(id)
	if c == nil || !c.used[s&1] {
		return nil
	}
	out := make([]KeyStat, 0, 1+len(c.more[s&1]))
	return append(append(out, c.head[s&1]), c.more[s&1]...)
}

// Unattributed returns the keys of in-window IP packets that joined no conversation.
func (rec *Recording) Unattributed() []KeyStat { return rec.loose }

// sameKey compares two NACL views, cheapest fields first (the generated
// struct equality is measurably slower on the per-packet path).
func sameKey(a, b *nacl.Packet) bool {
	return a.DstPort == b.DstPort && a.Proto == b.Proto && a.HasPort == b.HasPort && a.HasICMP == b.HasICMP &&
		a.ICMPType == b.ICMPType && a.ICMPCode == b.ICMPCode && a.Src == b.Src && a.Dst == b.Dst
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
