package synth

import (
	"errors"
	"reflect"
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

// TestSynthesizeChecked: the result and self-check of SynthesizeChecked
// (the self-check run beside the estimate) are those of SynthesizeHoldout
// then SelfCheck, for every kind of holdout; the estimate runs on its own
// goroutine, so the same synthesis twice also gives the same result.
func TestSynthesizeChecked(t *testing.T) {
	rec := record(t, "webserver.pcap")
	o := sampleOpts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	for _, h := range []Holdout{{}, {Share: 0.2}, {Share: 0.2, Estimate: true}, {Share: 0.5, Estimate: true}} {
		res, check, err := SynthesizeChecked(rec, o, h)
		if err != nil {
			t.Fatal(err)
		}
		want, err := SynthesizeHoldout(rec, o, h)
		if err != nil {
			t.Fatal(err)
		}
		wantCheck, err := SelfCheck(want, o.Observations)
		if err != nil {
			t.Fatal(err)
		}
		if (res.opts.Learn == nil) != (want.opts.Learn == nil) {
			t.Errorf("%+v: learned from different conversations", h)
		}
		res.opts.Learn, want.opts.Learn = nil, nil // functions are never deeply equal
		if !reflect.DeepEqual(res, want) || !reflect.DeepEqual(check, wantCheck) {
			t.Errorf("%+v: SynthesizeChecked differs from SynthesizeHoldout and SelfCheck", h)
		}
		if check.Packets == 0 || !check.OK() {
			t.Errorf("%+v: self-check %+v", h, check)
		}
		if h.Share > 0 && len(res.Unseen) != 1 {
			t.Errorf("%+v: %d unseen replays", h, len(res.Unseen))
		}
	}
}
