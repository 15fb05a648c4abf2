package replay

import (
	"fmt"
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

// Diff compares two reports of the same recording.
type Diff struct {
	Old, New *Report
	Changes  []Change
	// NewlyDenied and NewlyAllowed count conversations with such a change.
	NewlyDenied, NewlyAllowed int
	// PacketsNewlyDenied and PacketsNewlyAllowed count packets.
	PacketsNewlyDenied, PacketsNewlyAllowed uint64
	// UnattributedChanged counts packets outside conversations whose verdict changed.
	UnattributedChanged uint64
}

// Compare returns the legs whose verdict changes from oldRep to newRep; both
// reports must come from Summarize on the same Recording (or both be
// materialised, as the tests' reference BuildReport makes them). Changes are ordered by conversation ID, request before
// response, newly denied first.
func Compare(oldRep, newRep *Report) (*Diff, error) {
	if len(oldRep.Unattributed) != len(newRep.Unattributed) || (oldRep.lazy == nil) != (newRep.lazy == nil) ||
		(oldRep.lazy == nil && len(oldRep.Conversations) != len(newRep.Conversations)) ||
		(oldRep.lazy != nil && oldRep.lazy.rec != newRep.lazy.rec) {
		return nil, fmt.Errorf("reports of different recordings: %d and %d conversations", oldRep.Summary.Conversations, newRep.Summary.Conversations)
	}
	d := &Diff{Old: oldRep, New: newRep}
	if oldRep.lazy != nil {
		ob := &convBuilder{j: oldRep.lazy.j, rec: oldRep.lazy.rec, rolesOnly: true}
		nb := &convBuilder{j: newRep.lazy.j, rec: newRep.lazy.rec, rolesOnly: true}
		for id := 1; id <= ob.rec.NumConversations(); id++ {
			oc, ok := ob.result(id)
			if !ok {
				continue
			}
			nc, _ := nb.result(id)
			d.compareConv(oc, nc, func() { nc.Denials = appendDenials(nc.Denials[:0], nc) }, func() *flows.Conversation {
				c := &flows.Conversation{}
				ob.rec.Conversation(id, c)
				return c
			})
		}
	} else {
		for i, oc := range oldRep.Conversations {
			nc := newRep.Conversations[i]
			if oc.Conv.ID != nc.Conv.ID {
				return nil, fmt.Errorf("reports of different recordings: conversation %d vs %d", oc.Conv.ID, nc.Conv.ID)
			}
			d.compareConv(oc, nc, func() {}, nil)
		}
	}
	for i := range oldRep.Unattributed {
		o, n := &oldRep.Unattributed[i], &newRep.Unattributed[i]
		if (o.Judgement.Verdict == Deny) != (n.Judgement.Verdict == Deny) {
			d.UnattributedChanged += o.Packets
			if n.Judgement.Verdict == Deny {
				d.PacketsNewlyDenied += o.Packets
			} else {
				d.PacketsNewlyAllowed += o.Packets
			}
		}
	}
	return d, nil
}

// compareConv adds the changes of one conversation; explain fills the
// new result's explanations when needed, and full, when not nil, builds
// the whole conversation for the changes (oc.Conv is then partial and
// reused by the caller).
func (d *Diff) compareConv(oc, nc *ConvResult, explain func(), full func() *flows.Conversation) {
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
				if full != nil {
					conv = full()
				}
			}
			ch.Conv, ch.Role = conv, role
			if kind == NewlyDenied {
				denied = true
				d.PacketsNewlyDenied += ch.Packets
				if !explained {
					explain()
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

// CompareTopologies judges rec with the old and the new topology (no
// fixes: a diff shows none) and compares the two reports; it returns the
// new report too (its inputs and conversations are the diff's context).
func CompareTopologies(oldTopo, newTopo *Topology, rec *Recording) (*Diff, *Report, error) {
	oldJudge, err := NewJudge(oldTopo)
	if err != nil {
		return nil, nil, err
	}
	newJudge, err := NewJudge(newTopo)
	if err != nil {
		return nil, nil, err
	}
	noFixes := ReportOptions{NoFixes: true}
	oldRep, newRep := SummarizeWith(oldJudge, rec, noFixes), SummarizeWith(newJudge, rec, noFixes)
	d, err := Compare(oldRep, newRep)
	if err != nil {
		return nil, nil, err
	}
	return d, newRep, nil
}
