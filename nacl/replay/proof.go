package replay

import (
	"slices"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/lint"
)

// ProofLint is a new unreachable or redundant rule lint finds in the
// patched copy of ACL.
type ProofLint struct {
	ACL     string
	Finding lint.Finding
}

// ProofProblem is a reason the proof cannot pass besides the replay: a
// change set's problem (ACL and Change), or Err when the patched ACLs
// cannot be placed.
type ProofProblem struct {
	ACL    string
	Change ChangeProblem
	Err    error
}

// Proof is the result of replaying the capture against the patched ACLs
// (every change set applied to a copy of its ACL) before the fixes are
// printed: every conversation to fix must pass, nothing intended may be
// let through, and lint must find no new unreachable or redundant rule.
type Proof struct {
	// Checked is false when there was nothing to prove (no fix).
	Checked bool
	// Passed is true when every condition holds.
	Passed bool
	// Replayed counts the denied conversations replayed (the others
	// cannot change: the fixes only add allow rules).
	Replayed int
	// Fixed are the conversations to fix that the patched ACLs allow.
	Fixed []int
	// StillDenied are conversations to fix with a packet still denied.
	StillDenied []int
	// Opened are intended conversations (no fix wanted) with a packet the
	// patched ACLs let through.
	Opened []int
	// UnclearOpened are unclear conversations the fixes let through as a
	// side effect (not a failure: whether they should work is unknown).
	UnclearOpened []int
	// Lint lists new unreachable or redundant rules in the patched ACLs.
	Lint []ProofLint
	// Problems repeats the change sets' problems (quota, rule numbers):
	// a change set that cannot be applied does not pass.
	Problems []ProofProblem
	// HeldOut is the check on traffic the fixes did not learn from (nil
	// when there was too little to hold out).
	HeldOut *HeldOut
}

// HeldOut is a second change set learned from the conversations of the
// first 80% of the capture (by ID, that is by time), replayed on the
// conversations to fix of the rest: how well the fixes carry over to
// traffic they were not made from. It is an estimate and does not decide
// whether the proof passes.
type HeldOut struct {
	// Learned counts the conversations to fix the held-out change set
	// was made from; Tested those of the last 20% it was replayed on.
	Learned, Tested int
	// Fixed are the tested conversations the held-out change set allows;
	// Opened the intended conversations of the last 20% it lets through.
	Fixed, Opened []int
}

// MinHeldOut is the fewest conversations to fix, on each side of the
// split, for a held-out check.
const MinHeldOut = 2

// holdOut builds the held-out change set from held (fed with the
// conversations to fix up to cut) and replays the later conversations.
func (r *Report) holdOut(j *Judge, rec *Recording, held *fixer, cut int, affected func(int) bool, classOf func(int) Class) *HeldOut {
	h := &HeldOut{}
	for id := 1; id <= rec.NumConversations(); id++ {
		if affected(id) && r.toFix(classOf(id)) {
			if id <= cut {
				h.Learned++
			} else {
				h.Tested++
			}
		}
	}
	if h.Learned < MinHeldOut || h.Tested < MinHeldOut {
		return nil
	}
	held.build()
	pj, err := patchedJudge(j.Topology(), held.sets)
	if err != nil {
		return nil
	}
	cb := &convBuilder{j: pj, rec: rec, rolesOnly: true}
	ob := &convBuilder{j: j, rec: rec, rolesOnly: true}
	for id := cut + 1; id <= rec.NumConversations(); id++ {
		if !affected(id) {
			continue
		}
		cr, ok := cb.result(id)
		if !ok {
			continue
		}
		denied := false
		eachDenied(cr, func(*Leg, *KeyResult, *Check) { denied = true })
		cls := classOf(id)
		switch {
		case r.toFix(cls) && !denied:
			h.Fixed = append(h.Fixed, id)
		case cls == ClassIntended && lessDenied(ob, id, cr):
			h.Opened = append(h.Opened, id)
		}
	}
	return h
}

// patchedJudge builds a judge over t with every changed ACL replaced by
// its patched copy.
func patchedJudge(t *Topology, sets []ChangeSet) (*Judge, error) {
	repl := map[*nacl.ACL]*nacl.ACL{}
	for i := range sets {
		repl[sets[i].ACL] = sets[i].Patched
	}
	pt := *t
	pt.Subnets = slices.Clone(t.Subnets)
	for i := range pt.Subnets {
		if p, ok := repl[pt.Subnets[i].ACL]; ok {
			pt.Subnets[i].ACL = p
		}
	}
	return NewJudge(&pt)
}

// prove replays the denied conversations against the patched ACLs.
// classOf gives each conversation's class, toFix whether it was meant to
// be fixed.
func (r *Report) prove(j *Judge, rec *Recording, affected func(int) bool, classOf func(int) Class, toFix func(Class) bool) *Proof {
	pf := &Proof{}
	if len(r.Fixes) == 0 {
		return pf
	}
	pf.Checked = true
	pj, err := patchedJudge(j.Topology(), r.ChangeSets)
	if err != nil {
		pf.Problems = append(pf.Problems, ProofProblem{Err: err})
		return pf
	}
	cb := &convBuilder{j: pj, rec: rec, rolesOnly: true}
	ob := &convBuilder{j: j, rec: rec, rolesOnly: true}
	for id := 1; id <= rec.NumConversations(); id++ {
		if !affected(id) {
			continue
		}
		cr, ok := cb.result(id)
		if !ok {
			continue
		}
		pf.Replayed++
		cls := classOf(id)
		denied := false
		eachDenied(cr, func(*Leg, *KeyResult, *Check) { denied = true })
		switch {
		case toFix(cls) && denied:
			pf.StillDenied = append(pf.StillDenied, id)
		case toFix(cls):
			pf.Fixed = append(pf.Fixed, id)
		case cls == ClassIntended && lessDenied(ob, id, cr):
			pf.Opened = append(pf.Opened, id)
		case cls == ClassUnclear && lessDenied(ob, id, cr):
			pf.UnclearOpened = append(pf.UnclearOpened, id)
		}
	}
	for i := range r.ChangeSets {
		cs := &r.ChangeSets[i]
		pf.Lint = append(pf.Lint, newLintFindings(cs.ACL, cs.Patched)...)
		for _, p := range cs.Problems {
			pf.Problems = append(pf.Problems, ProofProblem{ACL: cs.ACL.ID, Change: p})
		}
	}
	pf.Passed = len(pf.StillDenied) == 0 && len(pf.Opened) == 0 && len(pf.Lint) == 0 && len(pf.Problems) == 0
	return pf
}

// lessDenied reports whether the patched result pr of conversation id
// denies fewer packets than the original judge (that of ob) does.
func lessDenied(ob *convBuilder, id int, pr *ConvResult) bool {
	after := pr.Request.Denied + pr.Response.Denied
	or, ok := ob.result(id)
	if !ok {
		return false
	}
	return after < or.Request.Denied+or.Response.Denied
}

// lintKey identifies a lint finding across two versions of an ACL.
type lintKey struct {
	code lint.Code
	dir  nacl.Direction
	v6   bool
	rule int
}

// newLintFindings lists the unreachable and redundant rules lint finds in
// patched but not in orig.
func newLintFindings(orig, patched *nacl.ACL) []ProofLint {
	had := map[lintKey]bool{}
	for _, f := range lint.Lint(orig, lint.Options{}) {
		had[lintKey{f.Code, f.Direction, f.IPv6, f.Rule}] = true
	}
	var out []ProofLint
	for _, f := range lint.Lint(patched, lint.Options{}) {
		if f.Code != lint.CodeUnreachable && f.Code != lint.CodeRedundant {
			continue
		}
		if had[lintKey{f.Code, f.Direction, f.IPv6, f.Rule}] {
			continue
		}
		out = append(out, ProofLint{ACL: patched.ID, Finding: f})
	}
	return out
}
