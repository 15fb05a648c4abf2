package synth

import (
	"reflect"
	"runtime"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// TestCheckWithParallel: the self-check of a large recording, split over
// goroutines, gives what one walk gives (counts, and failures in order),
// for the generated ACL and for one missing its response rules (every
// reply a failure).
func TestCheckWithParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // split even on one core
	rec := recordMany(3*parallelCheckMin, 700)
	o := opts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	res, err := SynthesizeRecording(rec, o)
	if err != nil {
		t.Fatal(err)
	}
	broken := &nacl.ACL{ID: res.ACL.ID}
	for _, e := range res.ACL.Entries {
		if e.Direction != nacl.Egress || e.Action != nacl.Allow {
			broken.Entries = append(broken.Entries, e)
		}
	}
	for _, acl := range []*nacl.ACL{res.ACL, broken} {
		j, err := replay.NewJudge(Topology(acl, &res.opts))
		if err != nil {
			t.Fatal(err)
		}
		want := &CheckResult{}
		o.Observations.Each(func(x *Observed) { want.judge(j, res, x) })
		got := checkWith(j, res, o.Observations)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d rules: parallel check %d shapes, %d failures; one walk %d shapes, %d failures",
				len(acl.Entries), got.Shapes, len(got.Failures), want.Shapes, len(want.Failures))
		}
		if acl == broken && len(want.Failures) < 3*parallelCheckMin {
			t.Fatalf("the ACL without response rules failed %d shapes, want every reply", len(want.Failures))
		}
	}
}
