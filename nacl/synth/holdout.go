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
// (its Holdout, Cut and Estimate set).
func SynthesizeHoldout(rec *replay.Recording, opts Options, h Holdout) (*Result, error) {
	frac := h.Share
	var cut time.Time
	if frac > 0 {
		var ok bool
		if cut, ok = HoldoutCut(rec, frac); !ok && !h.Estimate {
			return nil, ErrNoTimeToSplit
		} else if !ok {
			frac = 0
		}
	}
	if frac > 0 && !h.Estimate {
		opts.Learn = Learned(cut)
	}
	res, err := SynthesizeRecording(rec, opts)
	if err != nil || frac == 0 {
		return res, err
	}
	learned := res
	if h.Estimate {
		eo := opts
		eo.Learn = Learned(cut)
		if learned, err = SynthesizeRecording(rec, eo); err != nil {
			return nil, err
		}
	}
	u, err := ReplayUnseen(learned, rec, func(c *flows.Conversation) bool { return !c.First().Before(cut) }, "holdout")
	if err != nil {
		return nil, err
	}
	u.Holdout, u.Cut, u.Estimate = frac, cut, h.Estimate
	res.Unseen = append(res.Unseen, *u)
	return res, nil
}
