package replay

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
)

// orderedReport is a summarized report of a few thousand conversations
// (several chunks of EachConversationOrdered): a scanner, worked and
// refused conversations, denied and allowed ones.
func orderedReport(t *testing.T) *Report {
	g := newConvGen()
	for i := range 3000 {
		kinds := []string{"ok", "rst", "syn", "ok", "ok"}
		client := fmt.Sprintf("203.0.113.%d", i%37)
		server := fmt.Sprintf("10.0.1.%d", 10+i%3)
		port := []uint16{443, 80, 22, 8443, 5432, uint16(2000 + i%50)}[i%6]
		g.tcp(kinds[i%len(kinds)], client, uint16(30000+i), server, port)
	}
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	return Summarize(mustJudge(t, simple(t, webACL(t), "10.0.1.0/24")), rec.Classify())
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
