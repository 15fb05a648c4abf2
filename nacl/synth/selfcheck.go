package synth

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Denied is an observed packet shape the generated ACL would drop.
type Denied struct {
	Observed
	Rule      int
	Direction nacl.Direction
}

// CheckResult is the outcome of replaying the observations against the
// generated ACL.
type CheckResult struct {
	// Shapes and Packets count what was replayed (IP packets only).
	Shapes  int
	Packets uint64
	// Allowed, Exempt and NotFiltered count packets by verdict.
	Allowed, Exempt, NotFiltered uint64
	// Expected counts denied packets of excluded (failed or conflicting)
	// conversations: denying them is the intent.
	Expected uint64
	// OutsideForced counts denied replies to client ports outside the
	// forced ephemeral range (Result.OutsideForced): denying them is the
	// consequence of the range the user asked for.
	OutsideForced uint64
	// Uncertain counts denied packets whose ports were unknown (non-first
	// fragments, or packets joined to no conversation): AWS does not
	// document how NACLs treat them.
	Uncertain uint64
	// Failures are denied packets of conversations that produced rules:
	// each is a bug in the synthesis.
	Failures []Denied
	// FailedPackets counts the packets of Failures.
	FailedPackets uint64
}

// OK reports whether no packet of a used conversation was denied.
func (c *CheckResult) OK() bool { return len(c.Failures) == 0 }

// SelfCheck replays every observed packet shape through replay.Judge with
// the generated ACL on the same subnets. A denied packet of a conversation
// that was not excluded (failed or conflicting) is a failure.
func SelfCheck(res *Result, obs *Observations) (*CheckResult, error) {
	j, err := replay.NewJudge(Topology(res.ACL, &res.opts))
	if err != nil {
		return nil, fmt.Errorf("self-check: placing the generated ACL: %w", err)
	}
	return checkWith(j, res, obs), nil
}

// CheckAgainst replays obs through the generated ACL like SelfCheck, but
// counts every denied packet of a conversation as a failure unless
// expected(convID) says it is meant to be denied. It serves to test a
// synthesis against a second, independent recording.
func CheckAgainst(res *Result, obs *Observations, expected func(convID int) bool) (*CheckResult, error) {
	j, err := replay.NewJudge(Topology(res.ACL, &res.opts))
	if err != nil {
		return nil, fmt.Errorf("replay: placing the generated ACL: %w", err)
	}
	r := &Result{opts: res.opts, excluded: map[int]string{}}
	obs.Each(func(x *Observed) {
		if expected != nil && expected(x.ConvID) {
			r.excluded[x.ConvID] = ExclFailed
		}
	})
	return checkWith(j, r, obs), nil
}

// parallelCheckMin is the number of conversations from which checkWith
// splits a recording's shapes over the cores.
const parallelCheckMin = 8192

// checkWith replays every shape of obs. The shapes of a large recording
// are judged in chunks of consecutive conversations on as many
// goroutines as there are cores (up to 4), and the chunks' results joined
// in order (replay.RunOrdered): the result is the one a single walk gives.
func checkWith(j *replay.Judge, res *Result, obs *Observations) *CheckResult {
	n := 0
	if obs.rec != nil {
		n = obs.rec.NumConversations()
	}
	workers := min(replay.DefaultWorkers(), 4)
	cr := &CheckResult{}
	if n < parallelCheckMin || workers < 2 {
		obs.Each(func(x *Observed) { cr.judge(j, res, x) })
		return cr
	}
	_ = replay.RunOrdered(workers, n, func() *CheckResult { return &CheckResult{} },
		func(_, lo, hi int, c *CheckResult) error {
			*c = CheckResult{Failures: c.Failures[:0]}
			eachConvShapes(obs.rec, lo, hi, func(x *Observed) { c.judge(j, res, x) })
			return nil
		},
		func(c *CheckResult) error { cr.join(c); return nil })
	eachLooseShape(obs.rec, func(x *Observed) { cr.judge(j, res, x) })
	return cr
}

// join adds the counts and failures of o (the shapes after cr's) to cr.
func (cr *CheckResult) join(o *CheckResult) {
	cr.Shapes += o.Shapes
	cr.Packets += o.Packets
	cr.Allowed += o.Allowed
	cr.Exempt += o.Exempt
	cr.NotFiltered += o.NotFiltered
	cr.Expected += o.Expected
	cr.OutsideForced += o.OutsideForced
	cr.Uncertain += o.Uncertain
	cr.Failures = append(cr.Failures, o.Failures...)
	cr.FailedPackets += o.FailedPackets
}

// judge replays one shape x and counts it in cr.
func (cr *CheckResult) judge(j *replay.Judge, res *Result, x *Observed) {
	if res.heldOut.has(x.ConvID) {
		return // not learned from: see ReplayUnseen
	}
	cr.Shapes++
	cr.Packets += x.Packets
	jd := j.Judge(&x.Packet)
	switch jd.Verdict {
	case replay.Allow:
		cr.Allowed += x.Packets
	case replay.Exempt:
		cr.Exempt += x.Packets
	case replay.NotFiltered:
		cr.NotFiltered += x.Packets
	case replay.Deny:
		switch {
		case res.IsExcluded(x.ConvID):
			cr.Expected += x.Packets
		case res.deniedByForcedRange(x.ConvID, &x.Packet):
			cr.OutsideForced += x.Packets
		case x.ConvID == 0 || jd.Uncertain() || !knownPorts(&x.Packet):
			cr.Uncertain += x.Packets
		default:
			d := Denied{Observed: *x}
			for k := 0; k < jd.NCheck; k++ {
				if jd.Checks[k].Action == nacl.Deny {
					d.Rule, d.Direction = jd.Checks[k].Rule, jd.Checks[k].Direction
					break
				}
			}
			cr.Failures = append(cr.Failures, d)
			cr.FailedPackets += x.Packets
		}
	}
}

// knownPorts is false for a TCP/UDP packet without ports or an ICMP
// packet without type (non-first fragments).
func knownPorts(p *nacl.Packet) bool {
	switch p.Proto {
	case 6, 17:
		return p.HasPort
	case 1, 58:
		return p.HasICMP
	}
	return true
}
