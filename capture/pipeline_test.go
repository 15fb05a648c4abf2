package capture

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// readTrace reads s with Next and returns every packet and the number
// of problems visible after each one (and at the end).
func readTrace(t *testing.T, s *Stream) ([]Packet, []int, []Problem) {
	t.Helper()
	var pkts []Packet
	var nprob []int
	var p Packet
	for s.Next(&p) == nil {
		pkts = append(pkts, p)
		nprob = append(nprob, len(s.Problems()))
	}
	return pkts, nprob, s.Problems()
}

// pipelineInputs returns sets of input paths: each sample alone, cut
// copies (a fatal problem mid-file), and several merged.
func pipelineInputs(t *testing.T) [][]string {
	samples, _ := filepath.Glob(filepath.Join("..", "pcaps", "*.pcap"))
	if len(samples) < 2 {
		t.Skip("no samples")
	}
	dir := t.TempDir()
	var sets [][]string
	var cut []string
	for i, s := range samples {
		sets = append(sets, []string{s})
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		c := filepath.Join(dir, filepath.Base(s))
		if err := os.WriteFile(c, data[:len(data)*(i+1)/(len(samples)+1)], 0o644); err != nil {
			t.Fatal(err)
		}
		sets = append(sets, []string{c})
		cut = append(cut, c)
	}
	sets = append(sets, samples, append(append([]string{}, cut...), samples...), []string{samples[0], filepath.Join(dir, "missing.pcap"), cut[0]})
	return sets
}

// TestDecodeAheadMatchesSync: with decode-ahead, Next delivers the same
// packets, and Problems the same problems after each packet, as without.
func TestDecodeAheadMatchesSync(t *testing.T) {
	defer func(old bool) { decodeAhead = old }(decodeAhead)
	for _, paths := range pipelineInputs(t) {
		var pk [2][]Packet
		var np [2][]int
		var pr [2][]Problem
		for i, on := range []bool{false, true} {
			decodeAhead = on
			s, err := Open(paths, Options{})
			if err != nil {
				t.Fatal(err)
			}
			pk[i], np[i], pr[i] = readTrace(t, s)
			s.Close()
		}
		if !reflect.DeepEqual(pk[0], pk[1]) || !reflect.DeepEqual(np[0], np[1]) || !reflect.DeepEqual(pr[0], pr[1]) {
			t.Errorf("%v: decode-ahead differs: %d/%d packets, problems %v / %v", paths, len(pk[0]), len(pk[1]), pr[0], pr[1])
		}
	}
}

// TestNextBatchMatchesNext: NextBatch delivers what Next does, in both modes.
func TestNextBatchMatchesNext(t *testing.T) {
	defer func(old bool) { decodeAhead = old }(decodeAhead)
	for _, paths := range pipelineInputs(t) {
		for _, on := range []bool{false, true} {
			decodeAhead = on
			s, _ := Open(paths, Options{})
			want, wantN, wantP := readTrace(t, s)
			s.Close()
			for _, n := range []int{0, 1, 7, 64, 1000} {
				s, _ := Open(paths, Options{})
				var got []Packet
				for {
					ps, err := s.NextBatch(n)
					if err != nil {
						break
					}
					if len(ps) == 0 || len(ps) > max(n, 1) {
						t.Fatalf("NextBatch(%d) returned %d packets", n, len(ps))
					}
					got = append(got, ps...)
					if p := len(s.Problems()); p != wantN[len(got)-1] {
						t.Errorf("%v n=%d: %d problems after packet %d, want %d", paths, n, p, len(got), wantN[len(got)-1])
					}
				}
				if _, err := s.NextBatch(n); err == nil {
					t.Errorf("NextBatch after the end returned packets")
				}
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(s.Problems(), wantP) {
					t.Errorf("%v decodeAhead=%v n=%d: NextBatch differs from Next (%d/%d packets)", paths, on, n, len(got), len(want))
				}
				s.Close()
			}
		}
	}
}

// TestCloseStopsDecodeAhead: closing a stream mid-way ends Next and the
// producer goroutine.
func TestCloseStopsDecodeAhead(t *testing.T) {
	samples, _ := filepath.Glob(filepath.Join("..", "pcaps", "*.pcap"))
	if len(samples) == 0 {
		t.Skip("no samples")
	}
	s, err := Open(samples, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	if err := s.Next(&p); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Next(&p); err == nil {
		t.Error("Next after Close delivered a packet")
	}
	if pp := s.pipe.Load(); pp != nil {
		<-pp.done // the producer ends
	}
}

// TestPipeMatchesFile: each input set read from pipes (os.Pipe, written in
// irregular pieces of 1 to 9,000 bytes, so that records and pcapng blocks
// arrive split) delivers what the same files deliver, packets and the
// problems visible after each one, with and without decode-ahead.
func TestPipeMatchesFile(t *testing.T) {
	defer func(old bool) { decodeAhead = old }(decodeAhead)
	sets := pipelineInputs(t)
	if ng, _ := filepath.Glob(filepath.Join("..", "pcaps", "*.pcapng")); len(ng) > 0 {
		sets = append(sets, ng[:1])
	}
	for _, paths := range sets {
		for _, on := range []bool{false, true} {
			decodeAhead = on
			s, err := Open(paths, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want, wantN, wantP := readTrace(t, s)
			s.Close()
			names := make([]string, len(paths))
			readers := make([]io.Reader, len(paths))
			for i, path := range paths {
				data, err := os.ReadFile(path)
				if err != nil {
					data = nil // a missing file: an empty pipe
				}
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				names[i], readers[i] = path, r
				go func(seed int) {
					defer w.Close()
					step := 1
					for len(data) > 0 {
						n := min(len(data), step)
						if _, err := w.Write(data[:n]); err != nil {
							return
						}
						data = data[n:]
						step = (step*7919 + seed) % 9001
						if step == 0 {
							step = 1
						}
					}
				}(i + 1)
			}
			s, err = OpenReaders(names, readers, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, gotN, gotP := readTrace(t, s)
			s.Close()
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotN, wantN) || !samePipeProblems(gotP, wantP) {
				t.Errorf("%v decodeAhead=%v: from pipes %d packets, problems %v; from files %d, %v", paths, on, len(got), gotP, len(want), wantP)
			}
		}
	}
}

// samePipeProblems compares problems, a missing file's "cannot open" (from
// the file) standing for the empty pipe's "empty file" (from the pipe).
func samePipeProblems(pipe, file []Problem) bool {
	if len(pipe) != len(file) {
		return false
	}
	for i := range pipe {
		p, f := pipe[i], file[i]
		if strings.HasPrefix(f.Reason, "cannot open") {
			f = p
		}
		if p != f {
			return false
		}
	}
	return true
}
