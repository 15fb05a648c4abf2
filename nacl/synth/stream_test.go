package synth

import (
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// classifySample records a sample like record but leaves the
// conversations unmaterialised (Recorder.Classify), as the CLI does.
func classifySample(t *testing.T, name string) *replay.Recording {
	t.Helper()
	return readSample(t, name).Classify()
}

func reportBytes(t *testing.T, r *Result, cr *CheckResult) string {
	t.Helper()
	return dump(r, cr)
}

// TestSynthesizeRecordingMatches checks that the streaming synthesis over
// a recording (conversations built on demand, exclusions kept compact,
// self-check read from the recording) gives the same ACL and reports as
// Synthesize over materialised conversations.
func TestSynthesizeRecordingMatches(t *testing.T) {
	for _, tc := range []struct {
		pcap    string
		subnets []string
		mod     func(*Options)
	}{
		{"webserver.pcap", []string{"10.0.1.0/24"}, nil},
		{"portscan.pcap", []string{"10.0.1.0/24"}, nil},
		{"portscan.pcap", []string{"10.0.1.0/24"}, func(o *Options) { o.IncludeFailed = true }},
		{"exempt.pcap", []string{"10.0.1.0/24"}, nil},
		{"ipv6.pcap", []string{"2001:db8:10:1::/64"}, nil},
		{"vpc-two-subnets.pcap", []string{"10.0.1.0/24", "10.0.2.0/24"}, nil},
		{"webserver-2.pcap", []string{"10.0.1.0/24"}, func(o *Options) {
			o.KeepDenies = &nacl.ACL{ID: "acl-old", Entries: []nacl.Entry{{RuleNumber: 50, Direction: nacl.Ingress, Action: nacl.Deny,
				Protocol: 6, CIDR: mustPrefix("0.0.0.0/0"), Ports: nacl.PortRange{From: 22, To: 22}, ICMPType: -1, ICMPCode: -1}}}
		}},
	} {
		t.Run(tc.pcap, func(t *testing.T) {
			o := sampleOpts(tc.subnets...)
			if tc.mod != nil {
				tc.mod(&o)
			}
			want, wantCheck := synthSample(t, tc.pcap, o)
			rec := classifySample(t, tc.pcap)
			o.Observations = FromRecording(rec)
			got, err := SynthesizeRecording(rec, o)
			if err != nil {
				t.Fatal(err)
			}
			gotCheck, err := SelfCheck(got, o.Observations)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := reportBytes(t, got, gotCheck), reportBytes(t, want, wantCheck); g != w {
				t.Errorf("streaming synthesis differs:\n%s\nwant:\n%s", g, w)
			}
			if got.NumExcluded() != len(want.Excluded) || gotCheck.Shapes != wantCheck.Shapes {
				t.Errorf("%d excluded, %d shapes; want %d, %d", got.NumExcluded(), gotCheck.Shapes, len(want.Excluded), wantCheck.Shapes)
			}
		})
	}
}
