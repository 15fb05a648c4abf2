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
	k := obsKey{conv: conv, p: np, icmpError: icmpError}
	if i, ok := o.index[k]; ok {
		o.list[i].Packets++
		return
	}
	o.index[k] = len(o.list)
	o.list = append(o.list, Observed{ConvID: conv, Packet: np, ICMPError: icmpError, Packets: 1, First: at})
	o.byCnv = nil
}

// List returns the recorded shapes in the order first seen.
func (o *Observations) List() []Observed { return o.list }

// shapesOf returns every shape recorded for conversation id.
func (o *Observations) shapesOf(id int) []Observed {
	if o == nil {
		return nil
	}
	if o.byCnv == nil {
		o.byCnv = map[int][]int{}
		for i, x := range o.list {
			o.byCnv[x.ConvID] = append(o.byCnv[x.ConvID], i)
		}
	}
	idx := o.byCnv[id]
	out := make([]Observed, len(idx))
	for i, j := range idx {
		out[i] = o.list[j]
	}
	slices.SortFunc(out, func(a, b Observed) int { return compareObs(&a, &b) })
	return out
}

// icmpOf returns the ICMP/ICMPv6 shapes recorded for conversation id.
func (o *Observations) icmpOf(id int) []Observed {
	all := o.shapesOf(id)
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

// FromRecording collects the packet shapes of a replay recording (the
// pass check and synth share) as Observations.
func FromRecording(rec *replay.Recording) *Observations {
	o := NewObservations()
	o.NonIP = rec.Counts.NonIP
	for i, c := range rec.Conversations {
		if c == nil {
			continue
		}
		id := c.ID
		if id == 0 {
			id = i + 1
		}
		for _, side := range []flows.Side{flows.SideA, flows.SideB} {
			for _, k := range rec.Keys(id, side) {
				o.addCount(id, k.Key, k.ICMPError, k.FirstFrame, k.Packets)
			}
		}
	}
	for _, k := range rec.Unattributed() {
		o.addCount(0, k.Key, k.ICMPError, k.FirstFrame, k.Packets)
	}
	return o
}

func (o *Observations) addCount(conv int, np nacl.Packet, icmpError bool, at flows.FrameRef, n uint64) {
	o.AddPacket(conv, np, icmpError, at)
	o.list[o.index[obsKey{conv: conv, p: np, icmpError: icmpError}]].Packets += n - 1
}
