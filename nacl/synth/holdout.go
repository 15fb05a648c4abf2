package synth

import (
	"errors"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// ErrNoTimeToSplit is returned by SynthesizeHoldout when a holdout was
// asked for and the capture spans no time to split.
var ErrNoTimeToSplit = errors.New("the capture spans no time to split")

// Holdout says how SynthesizeHoldout tests rules on traffic they were not
// learned from.
type Holdout struct {
	// Share is the part of the capture time held out (0.2: the last
	// 20%); 0 skips the holdout replay.
	Share float64
	// Estimate: the rules are learned from everything, and a second
	// synthesis from the first part estimates how such rules hold on the
	// rest; a capture that spans no time then skips the estimate. Without
	// it the rules are learned from the first part only and the rest is
	// replayed against them.
	Estimate bool
}

// SynthesizeHoldout synthesizes rec as SynthesizeRecording does and,
// when h.Share > 0, appends to the result's Unseen the replay of the
// conversations starting in the held-out last part of the capture time
// (its Holdout, Cut and Estimate set). With h.Estimate the second
// synthesis (learned from the first part) and its replay run on another
// goroutine while the rules are learned from everything: the two are
// independent reads of rec, and the result is the same as one after the
// other.
func SynthesizeHoldout(rec *replay.Recording, opts Options, h Holdout) (*Result, error) {
	if h.Share > 0 && h.Estimate {
		res, _, err := synthesizeEstimate(rec, opts, h.Share, false)
		return res, err
	}
	frac := h.Share
	var cut time.Time
	if frac > 0 {
		var ok bool
		if cut, ok = HoldoutCut(rec, frac); !ok {
			return nil, ErrNoTimeToSplit
		}
		opts.Learn = Learned(cut)
	}
	res, err := SynthesizeRecording(rec, opts)
	if err != nil || frac == 0 {
		return res, err
	}
	u, err := replayHoldout(res, rec, cut, frac, false)
	if err != nil {
		return nil, err
	}
	res.Unseen = append(res.Unseen, *u)
	return res, nil
}

// SynthesizeChecked is SynthesizeHoldout followed by SelfCheck of the
// result against opts.Observations. With h.Estimate the self-check runs
// while the held-out estimate is still being computed.
func SynthesizeChecked(rec *replay.Recording, opts Options, h Holdout) (*Result, *CheckResult, error) {
	if h.Share > 0 && h.Estimate {
		return synthesizeEstimate(rec, opts, h.Share, true)
	}
	res, err := SynthesizeHoldout(rec, opts, h)
	if err != nil {
		return nil, nil, err
	}
	check, err := SelfCheck(res, opts.Observations)
	if err != nil {
		return nil, nil, err
	}
	return res, check, nil
}

// synthesizeEstimate learns the rules from everything (and self-checks
// them when check is set) and, concurrently, estimates how such rules
// hold on later traffic: a second synthesis from the conversations
// starting before the cut, replayed on the rest (skipped when the capture
// spans no time).
func synthesizeEstimate(rec *replay.Recording, opts Options, frac float64, check bool) (*Result, *CheckResult, error) {
	// Both syntheses read the shared observations: build their lazy index
	// first, so that neither writes it.
	opts.Observations.prepare()
	type estimate struct {
		u   *Unseen
		err error
	}
	done := make(chan estimate, 1)
	go func() {
		cut, ok := HoldoutCut(rec, frac)
		if !ok {
			done <- estimate{}
			return
		}
		eo := opts
		eo.Learn = Learned(cut)
		// Only the rules are replayed: the result's report parts are
		// not made.
		learned, err := synthesize(recSource{rec}, eo, true, true)
		if err != nil {
			done <- estimate{err: err}
			return
		}
		u, err := replayHoldout(learned, rec, cut, frac, true)
		done <- estimate{u, err}
	}()
	res, err := SynthesizeRecording(rec, opts)
	var cr *CheckResult
	var checkErr error
	if err == nil && check {
		cr, checkErr = SelfCheck(res, opts.Observations)
	}
	e := <-done
	switch {
	case err != nil:
		return nil, nil, err
	case e.err != nil:
		return nil, nil, e.err
	case checkErr != nil:
		return nil, nil, checkErr
	}
	if e.u != nil {
		res.Unseen = append(res.Unseen, *e.u)
	}
	return res, cr, nil
}

// replayHoldout replays the conversations of rec starting at or after
// cut against the rules of learned.
func replayHoldout(learned *Result, rec *replay.Recording, cut time.Time, frac float64, estimate bool) (*Unseen, error) {
	u, err := ReplayUnseen(learned, rec, func(c *flows.Conversation) bool { return !c.First().Before(cut) }, "holdout")
	if err != nil {
		return nil, err
	}
	u.Holdout, u.Cut, u.Estimate = frac, cut, estimate
	return u, nil
}
