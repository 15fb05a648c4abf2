package synth

import (
	"cmp"
	"slices"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Observed is one distinct packet shape (what a NACL looks at) seen in the
// captures, with the conversation it joined and how often it was seen.
type Observed struct {
	// ConvID is the conversation (flows.Ref.ID); 0 when the packet joined
	// none (an unattributed non-first fragment).
	ConvID int
	Packet nacl.Packet
	// ICMPError is true for an ICMP error attached to ConvID.
	ICMPError bool
	Packets   uint64
	// First is where the shape was first seen.
	First flows.FrameRef
}

type obsKey struct {
	conv      int
	p         nacl.Packet
	icmpError bool
}

// Observations records the distinct packet shapes of a capture for the
// self-check replay and for ICMP rules. Memory grows with the distinct
// (conversation, shape) pairs, not with the packets. Not safe for
// concurrent use.
type Observations struct {
	list  []Observed
	index map[obsKey]int
	// NonIP counts records that carried no IP (never judged).
	NonIP uint64
	byCnv map[int][]int
	// rec, when set, holds the shapes (FromRecording): they are read from
	// the recording on demand instead of being copied.
	rec *replay.Recording
}

// NewObservations returns an empty recorder.
func NewObservations() *Observations { return &Observations{index: map[obsKey]int{}} }

// Add records one packet and the conversation table's answer for it.
func (o *Observations) Add(ref flows.Ref, p *capture.Packet) {
	if p.Kind != capture.KindIP {
		o.NonIP++
		return
	}
	o.AddPacket(ref.ID, replay.FromCapture(p), ref.ICMPError, flows.FrameRef{File: p.File, Frame: p.Frame})
}

// AddPacket records one packet shape directly (for tests and callers
// without captures).
func (o *Observations) AddPacket(conv int, np nacl.Packet, icmpError bool, at flows.FrameRef) {
	o.materialise()
	k := obsKey{conv: conv, p: np, icmpError: icmpError}
	if i, ok := o.index[k]; ok {
		o.list[i].Packets++
		return
	}
	o.index[k] = len(o.list)
	o.list = append(o.list, Observed{ConvID: conv, Packet: np, ICMPError: icmpError, Packets: 1, First: at})
	o.byCnv = nil
}

// List returns the recorded shapes in the order first seen. For
// observations read from a recording it copies them all; prefer Each.
func (o *Observations) List() []Observed {
	o.materialise()
	return o.list
}

// materialise copies the shapes of a recording into the list.
func (o *Observations) materialise() {
	if o.rec == nil {
		return
	}
	rec := o.rec
	o.rec = nil
	o.each(rec, func(x *Observed) {
		o.index[obsKey{conv: x.ConvID, p: x.Packet, icmpError: x.ICMPError}] = len(o.list)
		o.list = append(o.list, *x)
	})
	o.byCnv = nil
}

// Each calls fn for every recorded shape, in the order List returns them,
// without copying them all. The value passed is reused.
func (o *Observations) Each(fn func(*Observed)) {
	if o.rec != nil {
		o.each(o.rec, fn)
		return
	}
	for i := range o.list {
		fn(&o.list[i])
	}
}

// each reads the shapes of rec: per conversation, side A then B, equal
// shapes merged (first frame of the first, packets summed); then the
// packets that joined no conversation.
func (o *Observations) each(rec *replay.Recording, fn func(*Observed)) {
	eachConvShapes(rec, 1, rec.NumConversations(), fn)
	eachLooseShape(rec, fn)
}

// eachConvShapes reads the shapes of conversations from to to (IDs,
// inclusive) of rec, as each does.
func eachConvShapes(rec *replay.Recording, from, to int, fn func(*Observed)) {
	var buf []Observed
	var keys []replay.KeyStat
	for id := from; id <= to; id++ {
		buf = buf[:0]
		for _, side := range []flows.Side{flows.SideA, flows.SideB} {
			keys = rec.AppendKeys(keys[:0], id, side)
			buf = mergeShapes(buf, id, keys)
		}
		for i := range buf {
			fn(&buf[i])
		}
	}
}

// eachLooseShape reads the shapes of the packets of rec that joined no
// conversation, as each does.
func eachLooseShape(rec *replay.Recording, fn func(*Observed)) {
	var buf []Observed
	seen := map[obsKey]int{}
	for _, k := range rec.Unattributed() {
		ok := obsKey{p: k.Key, icmpError: k.ICMPError}
		if i, dup := seen[ok]; dup {
			buf[i].Packets += k.Packets
			continue
		}
		seen[ok] = len(buf)
		buf = append(buf, Observed{Packet: k.Key, ICMPError: k.ICMPError, Packets: k.Packets, First: k.FirstFrame})
	}
	for i := range buf {
		fn(&buf[i])
	}
}

// mergeShapes appends keys to buf as shapes of conversation conv, merging
// equal shapes (few per conversation: a linear search).
func mergeShapes(buf []Observed, conv int, keys []replay.KeyStat) []Observed {
	for i := range keys {
		k := &keys[i]
		found := false
		for j := range buf {
			if buf[j].ICMPError == k.ICMPError && buf[j].Packet == k.Key {
				buf[j].Packets += k.Packets
				found = true
				break
			}
		}
		if !found {
			buf = append(buf, Observed{ConvID: conv, Packet: k.Key, ICMPError: k.ICMPError, Packets: k.Packets, First: k.FirstFrame})
		}
	}
	return buf
}

// prepare builds the lazy per-conversation index of listed shapes, after
// which reading o (shapesOf, icmpOf, Each) writes nothing and may run on
// several goroutines at once. A nil o is ready.
func (o *Observations) prepare() {
	if o == nil || o.rec != nil || o.byCnv != nil {
		return
	}
	o.byCnv = map[int][]int{}
	for i, x := range o.list {
		o.byCnv[x.ConvID] = append(o.byCnv[x.ConvID], i)
	}
}

// shapesOf returns every shape recorded for conversation id.
func (o *Observations) shapesOf(id int) []Observed {
	if o == nil {
		return nil
	}
	if o.rec != nil {
		out, _ := o.shapesInto(nil, nil, id)
		return out
	}
	o.prepare()
	idx := o.byCnv[id]
	out := make([]Observed, len(idx))
	for i, j := range idx {
		out[i] = o.list[j]
	}
	slices.SortFunc(out, func(a, b Observed) int { return compareObs(&a, &b) })
	return out
}

// shapesInto is shapesOf reusing the storage of buf (its contents are
// replaced) and keys (scratch space, returned for the next call).
func (o *Observations) shapesInto(buf []Observed, keys []replay.KeyStat, id int) ([]Observed, []replay.KeyStat) {
	if o == nil || o.rec == nil {
		return o.shapesOf(id), keys
	}
	buf = buf[:0]
	for _, side := range []flows.Side{flows.SideA, flows.SideB} {
		keys = o.rec.AppendKeys(keys[:0], id, side)
		buf = mergeShapes(buf, id, keys)
	}
	slices.SortFunc(buf, func(a, b Observed) int { return compareObs(&a, &b) })
	return buf, keys
}

// icmpOf returns the ICMP/ICMPv6 shapes recorded for conversation c.
func (o *Observations) icmpOf(c *flows.Conversation) []Observed {
	if o != nil && o.rec != nil && c.ICMPErrors == 0 && c.Proto != capture.ProtoICMP && c.Proto != capture.ProtoICMPv6 {
		// A recording has ICMP keys in a non-ICMP conversation only for
		// attached ICMP errors, which the conversation counts.
		return nil
	}
	all := o.shapesOf(c.ID)
	out := all[:0]
	for _, x := range all {
		if x.Packet.Proto == capture.ProtoICMP || x.Packet.Proto == capture.ProtoICMPv6 {
			out = append(out, x)
		}
	}
	return out
}

// compareObs orders shapes deterministically.
func compareObs(a, b *Observed) int {
	if c := cmp.Compare(a.ConvID, b.ConvID); c != 0 {
		return c
	}
	if c := a.Packet.Src.Compare(b.Packet.Src); c != 0 {
		return c
	}
	if c := a.Packet.Dst.Compare(b.Packet.Dst); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Packet.Proto, b.Packet.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Packet.DstPort, b.Packet.DstPort); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Packet.ICMPType, b.Packet.ICMPType); c != 0 {
		return c
	}
	return cmp.Compare(a.Packet.ICMPCode, b.Packet.ICMPCode)
}

// FromRecording returns the packet shapes of a replay recording (the
// pass check and synth share) as Observations. The shapes are read from
// the recording on demand, not copied (List copies them).
func FromRecording(rec *replay.Recording) *Observations {
	o := NewObservations()
	o.NonIP = rec.Counts.NonIP
	o.rec = rec
	return o
}

func (o *Observations) addCount(conv int, np nacl.Packet, icmpError bool, at flows.FrameRef, n uint64) {
	o.AddPacket(conv, np, icmpError, at)
	o.list[o.index[obsKey{conv: conv, p: np, icmpError: icmpError}]].Packets += n - 1
}
