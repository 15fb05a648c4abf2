package replay

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

// orderedRecording is a recording of a few thousand conversations
// (several chunks of RunOrdered): scanners, worked and refused
// conversations, denied and allowed ones, breakage and intended.
func orderedRecording() *Recording {
	g := newConvGen()
	for i := range 3000 {
		kinds := []string{"ok", "rst", "syn", "ok", "ok"}
		kind, client := kinds[i%len(kinds)], fmt.Sprintf("203.0.113.%d", i%37)
		if i%7 == 0 {
			kind, client = "ok", fmt.Sprintf("198.51.100.%d", i%50) // never a scanner
		}
		g.tcp(kind, client, uint16(30000+i), fmt.Sprintf("10.0.1.%d", 10+i%3), []uint16{443, 80, 22, 8443, 5432, uint16(2000 + i%50)}[i%6])
		if i%11 == 0 { // a download whose replies the wide inbound deny drops: breakage
			g.tcp("ok", "10.0.1.20", uint16(40000+i), fmt.Sprintf("192.0.2.%d", i%5), 80)
		}
	}
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	return rec.Classify()
}

// orderedReport is a summarized report of orderedRecording.
func orderedReport(t *testing.T) *Report {
	return Summarize(mustJudge(t, simple(t, webACL(t), "10.0.1.0/24")), orderedRecording())
}

// convLine is what the tests print of one conversation result.
func convLine(b []byte, cr *ConvResult) []byte {
	return fmt.Appendf(b, "#%d %v %v %s %v %v %v %+v %+v\n", cr.Conv.ID, cr.Conv.Client, cr.Conv.State, cr.Status, cr.Fixes, cr.Class,
		len(cr.Denials), cr.Request.Tally, cr.Response.Tally)
}

// EachConversationOrdered writes the same bytes as EachConversation
// whatever the number of workers. (Run with -race: the workers share the
// report, the recording and the judge.)
func TestEachConversationOrdered(t *testing.T) {
	r := orderedReport(t)
	var want strings.Builder
	if err := r.EachConversation(func(cr *ConvResult) error { want.Write(convLine(nil, cr)); return nil }); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(want.String(), "\n"); n < 3*orderedChunk {
		t.Fatalf("only %d conversations: too few for several chunks", n)
	}
	for _, workers := range []int{1, 2, 3, 7} {
		var got strings.Builder
		err := r.EachConversationOrdered(workers, func(w int, cr *ConvResult, b []byte) ([]byte, error) {
			if w < 0 || w >= max(workers, 1) {
				return nil, fmt.Errorf("worker %d of %d", w, workers)
			}
			return convLine(b, cr), nil
		}, func(b []byte) error { got.Write(b); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d workers: output differs from EachConversation (%d bytes, want %d)", workers, got.Len(), want.Len())
		}
	}
}

// An error of render or emit stops the iteration and is returned; what was
// emitted before is a prefix of the full output.
func TestEachConversationOrderedStops(t *testing.T) {
	r := orderedReport(t)
	var full strings.Builder
	_ = r.EachConversation(func(cr *ConvResult) error { full.Write(convLine(nil, cr)); return nil })
	boom := errors.New("boom")
	for _, workers := range []int{1, 2, 4} {
		var got strings.Builder
		err := r.EachConversationOrdered(workers, func(_ int, cr *ConvResult, b []byte) ([]byte, error) {
			if cr.Conv.ID == 1000 {
				return b, boom
			}
			return convLine(b, cr), nil
		}, func(b []byte) error { got.Write(b); return nil })
		if !errors.Is(err, boom) || !strings.HasPrefix(full.String(), got.String()) || strings.Contains(got.String(), "#1000 ") {
			t.Errorf("%d workers, render error: err %v, %d bytes emitted", workers, err, got.Len())
		}
		calls := 0
		err = r.EachConversationOrdered(workers, func(_ int, cr *ConvResult, b []byte) ([]byte, error) { return convLine(b, cr), nil },
			func([]byte) error {
				calls++
				if calls == 2 {
					return boom
				}
				return nil
			})
		if !errors.Is(err, boom) || calls != 2 {
			t.Errorf("%d workers, emit error: err %v after %d calls, want boom after 2", workers, err, calls)
		}
	}
}

// pointer matches a printed pointer.
var pointer = regexp.MustCompile(`0x[0-9a-f]+`)

// The report judged on several goroutines is the one judged on one:
// summary, every conversation, fixes, change sets, proof, classes, rule
// hits, what broke, and what observe saw, in the same order. (Run with
// -race.)
func TestSummarizeWorkers(t *testing.T) {
	r := orderedRecording()
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24"))
	dump := func(workers int, o ReportOptions) string {
		var seen strings.Builder
		o.Workers = workers
		o.Observe = func(cr *ConvResult) { seen.Write(convLine(nil, cr)); fmt.Fprintln(&seen, cr.Conv.State) }
		rep := SummarizeWith(j, r, o)
		out := dumpAll(t, rep) + fmt.Sprintf("%+v\n%+v\n%+v\n%+v\n%+v\n%+v\n", rep.ChangeSets, rep.Proof, rep.Classes, rep.Unfixed, rep.Rules, rep.Broke)
		for _, cs := range rep.ChangeSets {
			out += fmt.Sprintf("%+v\n", cs.Patched.Entries)
		}
		if rep.Proof != nil && rep.Proof.HeldOut != nil {
			out += fmt.Sprintf("%+v\n", *rep.Proof.HeldOut)
		}
		// Pointers (to equal values) differ from run to run.
		return pointer.ReplaceAllString(out, "PTR") + seen.String()
	}
	for _, o := range []ReportOptions{{}, {FixAll: true}, {NoFixes: true}} {
		want := dump(1, o)
		if !o.NoFixes && (!strings.Contains(want, "intended") || !strings.Contains(want, "breakage")) {
			t.Fatalf("the report has no intended or no breakage conversation")
		}
		for _, workers := range []int{2, 3, 8} {
			if got := dump(workers, o); got != want {
				t.Errorf("%+v, %d workers: the report differs from one worker's", o, workers)

			}
		}
	}
}

// The summary of a report is the same whatever the number of workers
// (with several, each chunk's keys are counted by the worker that judged
// them and the partial sums added in order), on a recording with denied,
// allowed, exempt and not-filtered keys.
func TestSummarizeWorkersSameSummary(t *testing.T) {
	g := newConvGen()
	for i := range 2000 {
		kind := []string{"ok", "rst", "syn"}[i%3]
		switch i % 4 {
		case 0: // exempt: the instance metadata service
			g.tcp(kind, "10.0.1.10", uint16(20000+i), "169.254.169.254", 80)
		case 1: // not filtered: neither end in the subnet
			g.tcp(kind, fmt.Sprintf("203.0.113.%d", i%50), uint16(20000+i), "192.0.2.9", 443)
		case 2: // replies dropped by the wide inbound deny
			g.tcp(kind, "10.0.1.20", uint16(40000+i), fmt.Sprintf("192.0.2.%d", i%5), 80)
		default:
			g.tcp(kind, fmt.Sprintf("198.51.100.%d", i%50), uint16(30000+i), "10.0.1.10", 443)
		}
	}
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	recording := rec.Classify()
	j := mustJudge(t, simple(t, webACL(t), "10.0.1.0/24"))
	want := SummarizeWith(j, recording, ReportOptions{Workers: 1}).Summary
	if want.Denied == 0 || want.Allowed == 0 || len(want.ExemptBy) == 0 || len(want.NotFilteredBy) == 0 || want.Conversations < 2000 {
		t.Fatalf("the recording lacks a kind of key: %+v", want)
	}
	for _, workers := range []int{2, 3, 8} {
		got := SummarizeWith(j, recording, ReportOptions{Workers: workers}).Summary
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: summary\n%+v\none worker:\n%+v", workers, got, want)
		}
	}
}
