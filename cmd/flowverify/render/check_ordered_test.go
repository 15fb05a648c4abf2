package render

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/bench/capgen"
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// The machine formats render the listed conversations on several
// goroutines: the output is the same bytes with one worker or many, on a
// generated capture of a few thousand conversations (many chunks),
// filtered or not. (Run with -race: the workers share the report.)
func TestCheckListingWorkers(t *testing.T) {
	path, rep, topo := listingReport(t)
	denied := func(c *flows.Conversation, st replay.Status) bool { return isDenied(st) && c.ID%3 != 0 }
	for _, format := range []string{"jsonl", "json", "csv"} {
		for _, match := range []func(*flows.Conversation, replay.Status) bool{nil, denied} {
			var want []byte
			for _, workers := range []int{1, 2, 5} {
				o := &Options{Files: []string{path}, workers: workers, Select: ConvSelect{Match: match}}
				var out bytes.Buffer
				w := NewOutput(&out, 4096)
				c := Check{Options: o, Report: rep, Topology: topo}
				if err := c.Write(w, format, false, nil); err != nil {
					t.Fatal(err)
				}
				w.Flush()
				if workers == 1 {
					want = out.Bytes()
					if bytes.Count(want, []byte("\n")) < 300 {
						t.Fatalf("%s: %d lines only", format, bytes.Count(want, []byte("\n")))
					}
					continue
				}
				if !bytes.Equal(out.Bytes(), want) {
					t.Errorf("%s (filtered %v), %d workers: %d bytes differ from one worker's %d", format, match != nil, workers, out.Len(), len(want))
				}
			}
		}
	}
}

// listingReport returns a generated capture of a few thousand
// conversations and its report against the webserver sample's NACL.
func listingReport(t *testing.T) (string, *replay.Report, *replay.Topology) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mix.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capgen.Write(f, capgen.Config{Bytes: 12 << 20, Seed: 7, Concurrent: 300}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	var p capture.Packet
	for s.Next(&p) == nil {
		rec.Add(&p)
	}
	s.Close()
	sample, _ := pcaps.Find("webserver.pcap")
	j := sampleJudge(t, sample)
	classified := rec.Classify()
	if n := classified.NumConversations(); n < 1500 {
		t.Fatalf("only %d conversations", n)
	}
	return path, replay.Summarize(j, classified), j.Topology()
}

// Listing chunks found terminal-safe on the rendering goroutines go
// straight to the TermWriter under the Output: the output is the bytes
// TermWriter writes when it scans everything, with a file name that is
// safe and with one TermWriter must escape (a bidi override and a C1
// control, written raw by the JSON and CSV encoders), in every machine
// format, with one worker and several.
func TestCheckListingTermSafe(t *testing.T) {
	_, rep, topo := listingReport(t)
	for _, name := range []string{"plain.pcap", "evil\u202e\u009b.pcap"} {
		for _, format := range []string{"jsonl", "json", "csv"} {
			for _, workers := range []int{1, 3} {
				var got, want bytes.Buffer
				for _, direct := range []bool{false, true} {
					out := &want
					if direct {
						out = &got
					}
					tw := NewTermWriter(out, false)
					o := &Options{Files: []string{name}, workers: workers}
					// Hidden behind another writer, the TermWriter scans
					// every byte (the reference).
					w := NewOutput(struct{ io.Writer }{tw}, 64<<10)
					if direct {
						w = NewOutput(tw, 64<<10)
					}
					c := Check{Options: o, Report: rep, Topology: topo}
					if err := c.Write(w, format, false, nil); err != nil {
						t.Fatal(err)
					}
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
					if err := tw.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				if want.Len() < 100000 {
					t.Fatalf("%q %s: only %d bytes", name, format, want.Len())
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("%q %s, %d workers: %d bytes with safe chunks written directly, %d scanned", name, format, workers, got.Len(), want.Len())
				}
				if escaped := bytes.Contains(want.Bytes(), []byte(`\u202e`)); escaped != (name != "plain.pcap") {
					t.Errorf("%q %s: escaped bidi override in the output: %v", name, format, escaped)
				}
			}
		}
	}
}
