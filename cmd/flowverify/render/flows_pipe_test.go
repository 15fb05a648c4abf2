package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/pcaps"
)

// flowsReport runs the flows report of paths in format through a
// TermWriter, its rows formatted by workers goroutines (1: none), and
// returns the output.
func flowsReport(t *testing.T, paths []string, format string, workers int, match func(*flows.Conversation) bool) string {
	t.Helper()
	s, err := capture.Open(paths, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out bytes.Buffer
	tw := NewTermWriter(&out, false)
	r := NewFlows(s, tw, format, false)
	r.SetWorkers(workers)
	if match != nil {
		r.SetMatch(match, "a test filter")
	}
	sum := flows.StreamConversations(s, flows.Config{}, func(c *flows.Conversation) {
		if !r.Add(c) {
			t.Fatal("Add failed")
		}
	})
	if err := r.Close(sum); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestFlowsWorkersSameOutput: rows formatted in batches on several
// goroutines print exactly what one goroutine prints, row by row, in
// every format, with a filter, and for files whose names TermWriter must
// escape (those batches take the scanned path, the others skip it).
func TestFlowsWorkersSameOutput(t *testing.T) {
	bundled, _ := filepath.Glob(filepath.Join(pcaps.Dir(), "*.pcap"))
	if len(bundled) < 3 {
		t.Fatal("no bundled captures")
	}
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(pcaps.Dir(), "webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(dir, "evil\x1b]0;owned\x07\u202e.pcap")
	if err := os.WriteFile(evil, data, 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]string{"bundled": bundled, "one": bundled[:1], "evil": {evil}, "evil+bundled": append([]string{evil}, bundled...)}
	odd := func(c *flows.Conversation) bool { return c.ID%3 != 0 }
	defer func(n int) { flowsBatchSize = n }(flowsBatchSize)
	for name, paths := range inputs {
		for _, format := range []string{"text", "json", "jsonl", "csv"} {
			for _, match := range []func(*flows.Conversation) bool{nil, odd} {
				flowsBatchSize = 256
				want := flowsReport(t, paths, format, 1, match)
				if n := strings.Count(want, "\n"); n < 3 {
					t.Fatalf("%s %s: %d lines", name, format, n)
				}
				if strings.Contains(name, "evil") && (strings.Contains(want, "\x1b") || strings.Contains(want, "\u202e")) {
					t.Fatalf("%s %s: a control character of the file name reached the output", name, format)
				}
				for _, size := range []int{1, 3, 256} {
					for _, workers := range []int{2, 3, 8} {
						flowsBatchSize = size
						if got := flowsReport(t, paths, format, workers, match); got != want {
							t.Errorf("%s %s (filter %v), %d workers, batches of %d: output differs from one goroutine's", name, format, match != nil, workers, size)
						}
					}
				}
			}
		}
	}
}
