package synth

import (
	"errors"
	"testing"
)

// TestSynthesizeHoldout: with a plain holdout the rules learn from the
// first 80% only and the held-out replay denies the late clients; with
// the estimate the rules learn from everything (nothing held out) and the
// replay of a second synthesis carries the estimate flag; a share of 0
// replays nothing.
func TestSynthesizeHoldout(t *testing.T) {
	rec := record(t, "webserver.pcap")
	o := sampleOpts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	cut, ok := HoldoutCut(rec, 0.2)
	if !ok {
		t.Fatal("no time span")
	}

	plain, err := SynthesizeHoldout(rec, o, Holdout{Share: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if plain.HeldOut == 0 || len(plain.Unseen) != 1 {
		t.Fatalf("held out %d, %d unseen replays", plain.HeldOut, len(plain.Unseen))
	}
	u := plain.Unseen[0]
	if u.Holdout != 0.2 || !u.Cut.Equal(cut) || u.Estimate || u.OK() || len(u.Denied) == 0 {
		t.Errorf("plain holdout replay = %+v, want the late clients denied at cut %v", u, cut)
	}

	est, err := SynthesizeHoldout(rec, o, Holdout{Share: 0.2, Estimate: true})
	if err != nil {
		t.Fatal(err)
	}
	if est.HeldOut != 0 || len(est.Unseen) != 1 || !est.Unseen[0].Estimate || len(est.Unseen[0].Denied) != len(u.Denied) {
		t.Errorf("estimate: held out %d, unseen %+v; want nothing held out and the same denials as the plain holdout", est.HeldOut, est.Unseen)
	}

	none, err := SynthesizeHoldout(rec, o, Holdout{})
	if err != nil {
		t.Fatal(err)
	}
	if none.HeldOut != 0 || len(none.Unseen) != 0 {
		t.Errorf("no holdout: held out %d, %d replays", none.HeldOut, len(none.Unseen))
	}

	// A capture without conversations spans no time: a holdout is an error, an estimate
	// is skipped.
	one := recordMany(0, 1)
	o1 := sampleOpts("10.0.1.0/24")
	o1.Observations = FromRecording(one)
	if _, err := SynthesizeHoldout(one, o1, Holdout{Share: 0.2}); !errors.Is(err, ErrNoTimeToSplit) {
		t.Errorf("holdout of an empty capture: err %v, want ErrNoTimeToSplit", err)
	}
	if r, err := SynthesizeHoldout(one, o1, Holdout{Share: 0.2, Estimate: true}); err != nil || len(r.Unseen) != 0 {
		t.Errorf("estimate of an empty capture: err %v, %d replays; want it skipped", err, len(r.Unseen))
	}
}
