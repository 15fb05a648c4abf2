package replay

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

// dumpAll prints a report's data: summary, every conversation result
// (conversation, legs, status, denials, fixes), fixes and notes.
func dumpAll(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%+v\n", r.Summary)
	err := r.EachConversation(func(cr *ConvResult) error {
		c := cr.Conv
		fmt.Fprintf(&b, "#%d %d %v %v %s %s %s %s %d %v\n", c.ID, c.Proto, c.Client, c.Server, c.State, c.Evidence, c.Confidence, cr.Status, c.ClientSide, cr.Fixes)
		for _, l := range []*Leg{&cr.Request, &cr.Response} {
			fmt.Fprintf(&b, "  %s %v>%v %+v %d %s %s %v %v %v %v\n", l.Role, l.From, l.To, l.Tally, l.ICMPErrors, l.Verdict, l.Reason, l.Checks, l.First, l.FirstFrame, l.FirstDeniedFrame)
		}
		for _, d := range cr.Denials {
			fmt.Fprintf(&b, "  %s %+v %v %v %v %v\n", d.Role, d.Key, d.ICMPError, d.Fragment, d.Check, d.RequestDenied)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%+v\n", r.Fixes)
	return b.String()
}

// TestSummarizeMatchesBuildReport checks on every sample that the
// streaming report (Classify, Summarize, conversations rebuilt on demand)
// holds the same data as the materialised one, and that Compare agrees
// on both. (cmd/flowverify/render checks that both print the same bytes.)
func TestSummarizeMatchesBuildReport(t *testing.T) {
	for _, s := range pcaps.Samples {
		t.Run(s.File, func(t *testing.T) {
			j := sampleJudge(t, s)
			full := BuildReport(j, recordSample(t, s.File))
			rec := NewRecorder(flows.DefaultConfig(), Window{})
			readAll(t, s.File, func(p *capture.Packet) { rec.Add(p) })
			lazyRec := rec.Classify()
			lazy := Summarize(j, lazyRec)
			if got, want := dumpAll(t, lazy), dumpAll(t, full); got != want {
				t.Errorf("streaming report differs:\n%s\nwant:\n%s", got, want)
			}
			// A stricter NACL: deny everything but SSH, so that legs change.
			strict := &nacl.ACL{ID: "acl-strict", Entries: []nacl.Entry{ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 22, 22),
				ent(t, "out", 100, nacl.Allow, 6, "0.0.0.0/0", 1024, 65535)}}
			sj := mustJudge(t, simple(t, strict, "10.0.1.0/24"))
			fd, err := Compare(full, BuildReport(sj, recordSample(t, s.File)))
			if err != nil {
				t.Fatal(err)
			}
			ld, err := Compare(lazy, Summarize(sj, lazyRec))
			if err != nil {
				t.Fatal(err)
			}
			if len(fd.Changes) != len(ld.Changes) || fd.NewlyDenied != ld.NewlyDenied || fd.NewlyAllowed != ld.NewlyAllowed ||
				fd.PacketsNewlyDenied != ld.PacketsNewlyDenied || fd.PacketsNewlyAllowed != ld.PacketsNewlyAllowed {
				t.Fatalf("diffs differ: %d/%d changes", len(ld.Changes), len(fd.Changes))
			}
			t.Logf("%d changes", len(fd.Changes))
			for i := range fd.Changes {
				a, b := fd.Changes[i], ld.Changes[i]
				if a.Conv.ID != b.Conv.ID || a.Role != b.Role || a.Kind != b.Kind || a.Packets != b.Packets || a.FirstFrame != b.FirstFrame ||
					fmt.Sprint(a.Denial) != fmt.Sprint(b.Denial) || fmt.Sprint(a.New) != fmt.Sprint(b.New) || a.Conv.Client != b.Conv.Client {
					t.Errorf("change %d: %+v, want %+v", i, b, a)
				}
			}
		})
	}
}
