package render

import (
	"bufio"
	"bytes"
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
	rep := replay.Summarize(j, classified)
	denied := func(c *flows.Conversation, st replay.Status) bool { return isDenied(st) && c.ID%3 != 0 }
	for _, format := range []string{"jsonl", "json", "csv"} {
		for _, match := range []func(*flows.Conversation, replay.Status) bool{nil, denied} {
			var want []byte
			for _, workers := range []int{1, 2, 5} {
				o := &Options{Files: []string{path}, workers: workers, Select: ConvSelect{Match: match}}
				var out bytes.Buffer
				w := bufio.NewWriter(&out)
				c := Check{Options: o, Report: rep, Topology: j.Topology()}
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
