package replay

import (
	"time"

	"github.com/flowverify/flowverify/flows"
)

// ChangeKind says how a leg's verdict changes between two NACLs.
type ChangeKind string

// Change kinds.
const (
	NewlyDenied  ChangeKind = "newly-denied"
	NewlyAllowed ChangeKind = "newly-allowed"
)

// Change is one leg of one conversation whose packets are treated
// differently by the new NACL.
type Change struct {
	Conv *flows.Conversation
	Role Role
	// Kind is NewlyDenied (denied by the new NACL, not by the old) or NewlyAllowed.
	Kind ChangeKind
	// Packets counts the packets of the leg whose verdict changed this way.
	Packets uint64
	// First is when the change would first have been felt: the first such packet.
	First      time.Time
	FirstFrame flows.FrameRef
	// Old and New are the deciding checks of that first packet under each NACL.
	Old, New []Check
	// OldVerdict and NewVerdict are the leg verdicts under each NACL.
	OldVerdict, NewVerdict Verdict
	// Denial is the new report's denial that explains a newly denied leg
	// (see Denial); nil otherwise.
	Denial *Denial
}

// Diff is what changes when a recording is judged by a new topology
// instead of the old one.
type Diff struct {
	// Old and New sum up the recording judged by each topology, as a
	// report's Summary does.
	Old, New Summary
	Changes  []Change
	// NewlyDenied and NewlyAllowed count conversations with such a change.
	NewlyDenied, NewlyAllowed int
	// PacketsNewlyDenied and PacketsNewlyAllowed count packets.
	PacketsNewlyDenied, PacketsNewlyAllowed uint64
	// UnattributedChanged counts packets outside conversations whose verdict changed.
	UnattributedChanged uint64
}

// compareConv adds the changes of one conversation. When rec is not nil,
// oc.Conv is partial and reused by the caller (see Recording.roles) and
// nc has no denials yet: the whole conversation id is then built from rec
// for the changes, and nc's denials are filled when a leg is newly denied.
func (d *Diff) compareConv(oc, nc *ConvResult, rec *Recording, id int) {
	denied, allowed := false, false
	var conv *flows.Conversation
	explained := false
	for _, role := range []Role{RoleRequest, RoleResponse} {
		ol, nl := oc.Leg(role), nc.Leg(role)
		for _, kind := range []ChangeKind{NewlyDenied, NewlyAllowed} {
			ch, ok := compareLeg(ol, nl, kind)
			if !ok {
				continue
			}
			if conv == nil {
				conv = oc.Conv
				if rec != nil {
					conv = &flows.Conversation{}
					rec.Conversation(id, conv)
				}
			}
			ch.Conv, ch.Role = conv, role
			if kind == NewlyDenied {
				denied = true
				d.PacketsNewlyDenied += ch.Packets
				if !explained && rec != nil {
					nc.Denials = appendDenials(nc.Denials[:0], nc)
					explained = true
				}
				if d := legDenial(nc.Denials, role); d != nil {
					dc := *d
					ch.Denial = &dc
				}
			} else {
				allowed = true
				d.PacketsNewlyAllowed += ch.Packets
			}
			d.Changes = append(d.Changes, ch)
		}
	}
	if denied {
		d.NewlyDenied++
	}
	if allowed {
		d.NewlyAllowed++
	}
}

// compareLeg finds the keys of one leg whose verdict changed as kind says.
func compareLeg(ol, nl *Leg, kind ChangeKind) (Change, bool) {
	var ch Change
	found := false
	for k := range ol.Keys {
		if k >= len(nl.Keys) {
			break
		}
		o, n := &ol.Keys[k], &nl.Keys[k]
		od, nd := o.Judgement.Verdict == Deny, n.Judgement.Verdict == Deny
		if od == nd || (kind == NewlyDenied) != nd {
			continue
		}
		ch.Packets += o.Packets
		if !found || o.First.Before(ch.First) {
			ch.First, ch.FirstFrame = o.First, o.FirstFrame
			ch.Old, ch.New = o.Judgement.CheckList(), n.Judgement.CheckList()
		}
		found = true
	}
	ch.Kind, ch.OldVerdict, ch.NewVerdict = kind, ol.Verdict, nl.Verdict
	return ch, found
}

// CompareTopologies judges rec with the old and the new topology and
// returns what changes. It walks the recording once: the keys of each
// conversation are read once and judged by both topologies, and only what
// a diff shows is kept (the changes and the two summaries; no fixes, rule
// hits or per-conversation results). Changes are ordered by conversation
// ID, request before response, newly denied first.
func CompareTopologies(oldTopo, newTopo *Topology, rec *Recording) (*Diff, error) {
	return compareTopologies(oldTopo, newTopo, rec, DefaultWorkers())
}

// diffChunk is what a worker of compareTopologies finds in a chunk of
// conversations: a partial diff, summed up in ID order.
type diffChunk struct{ d Diff }

// compareTopologies is CompareTopologies on workers goroutines (the diff
// is the same whatever the number).
func compareTopologies(oldTopo, newTopo *Topology, rec *Recording, workers int) (*Diff, error) {
	oldJudge, err := NewJudge(oldTopo)
	if err != nil {
		return nil, err
	}
	newJudge, err := NewJudge(newTopo)
	if err != nil {
		return nil, err
	}
	d := &Diff{Old: newSummary(rec), New: newSummary(rec)}
	type pair struct {
		cb     convBuilder
		oc, nc ConvResult
	}
	pairs := make([]pair, max(workers, 1))
	for w := range pairs {
		pairs[w].cb = convBuilder{j: oldJudge, rec: rec, rolesOnly: true}
	}
	err = RunOrdered(max(workers, 1), rec.NumConversations(), func() *diffChunk {
		return &diffChunk{d: Diff{Old: Summary{ExemptBy: map[string]uint64{}, NotFilteredBy: map[string]uint64{}},
			New: Summary{ExemptBy: map[string]uint64{}, NotFilteredBy: map[string]uint64{}}}}
	}, func(w, lo, hi int, c *diffChunk) error {
		p := &pairs[w]
		for id := lo; id <= hi; id++ {
			if !rec.hasKeys(id) {
				continue
			}
			rec.roles(id, &p.cb.conv)
			oc, nc := &p.oc, &p.nc
			*oc = ConvResult{Conv: &p.cb.conv, Request: Leg{Keys: oc.Request.Keys}, Response: Leg{Keys: oc.Response.Keys}}
			*nc = ConvResult{Conv: &p.cb.conv, Request: Leg{Keys: nc.Request.Keys}, Response: Leg{Keys: nc.Response.Keys}, Denials: nc.Denials[:0]}
			p.cb.fillPair(id, oc, newJudge, nc, true)
			c.d.Old.countConv(oc)
			c.d.New.countConv(nc)
			c.d.compareConv(oc, nc, rec, id)
		}
		return nil
	}, func(c *diffChunk) error {
		d.add(&c.d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range rec.Unattributed() {
		o, n := KeyResult{KeyStat: k, Judgement: oldJudge.Judge(&k.Key)}, KeyResult{KeyStat: k, Judgement: newJudge.Judge(&k.Key)}
		d.Old.count(&o)
		d.New.count(&n)
		d.compareUnattributed(&o, &n)
	}
	return d, nil
}

// compareUnattributed adds the change of one key outside conversations
// judged o by the old topology and n by the new one.
func (d *Diff) compareUnattributed(o, n *KeyResult) {
	if (o.Judgement.Verdict == Deny) == (n.Judgement.Verdict == Deny) {
		return
	}
	d.UnattributedChanged += o.Packets
	if n.Judgement.Verdict == Deny {
		d.PacketsNewlyDenied += o.Packets
	} else {
		d.PacketsNewlyAllowed += o.Packets
	}
}

// add adds partial diff p (of the conversations after d's) to d and
// empties p for reuse.
func (d *Diff) add(p *Diff) {
	d.Old.add(&p.Old)
	d.New.add(&p.New)
	d.Changes = append(d.Changes, p.Changes...)
	d.NewlyDenied += p.NewlyDenied
	d.NewlyAllowed += p.NewlyAllowed
	d.PacketsNewlyDenied += p.PacketsNewlyDenied
	d.PacketsNewlyAllowed += p.PacketsNewlyAllowed
	d.UnattributedChanged += p.UnattributedChanged
	clear(p.Changes)
	*p = Diff{Old: p.Old, New: p.New, Changes: p.Changes[:0]}
}
