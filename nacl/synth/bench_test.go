package synth

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
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
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	var p capture.Packet
	for {
		if err := s.Next(&p); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			b.Fatal(err)
		}
		r.Add(&p)
	}
	s.Close()
	rec := r.Classify()
	o := opts("10.0.1.0/24")
	o.Peers = PeersIntent
	o.VPCCIDRs = []netip.Prefix{mustPrefix("10.0.0.0/16")}
	o.Observations = FromRecording(rec)
	b.ResetTimer()
	for b.Loop() {
		res, err := SynthesizeHoldout(rec, o, Holdout{Share: DefaultHoldout, Estimate: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := SelfCheck(res, o.Observations); err != nil {
			b.Fatal(err)
		}
	}
}
