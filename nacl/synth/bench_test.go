package synth

import (
	"os"
	"testing"
)

// BenchmarkSynthesizeCapture times what synth does after reading a
// capture (both syntheses of the default held-out estimate, its replay,
// and the self-check) on the capture FLOWVERIFY_SYNTH_BENCH names (e.g.
// bench/out/synthetic-2GB.pcap, subnet 10.0.1.0/24); it skips without it.
func BenchmarkSynthesizeCapture(b *testing.B) {
	path := os.Getenv("FLOWVERIFY_SYNTH_BENCH")
	if path == "" {
		b.Skip("FLOWVERIFY_SYNTH_BENCH is not set")
	}
	rec := readCapture(b, path).Classify()
	o := sampleOpts("10.0.1.0/24")
	o.Observations = FromRecording(rec)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := SynthesizeChecked(rec, o, Holdout{Share: DefaultHoldout, Estimate: true}); err != nil {
			b.Fatal(err)
		}
	}
}
