package render

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/cmd/flowverify/internal/golden"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/synth"
)

// synthOpts are the options a user would give for a sample.
func synthOpts(subnets ...string) synth.Options {
	o := synth.DefaultOptions()
	for _, s := range subnets {
		o.Subnets = append(o.Subnets, netip.MustParsePrefix(s))
	}
	o.VPCCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	return o
}

// synthSample synthesizes from a sample as the CLI does (a classified
// recording) and self-checks. (nacl/synth checks that the streaming
// synthesis matches its materialised reference.)
func synthSample(t *testing.T, name string, o synth.Options) (*synth.Result, *synth.CheckResult) {
	t.Helper()
	rec := record(t, name).Classify()
	o.Observations = synth.FromRecording(rec)
	r, err := synth.SynthesizeRecording(rec, o)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := synth.SelfCheck(r, o.Observations)
	if err != nil {
		t.Fatal(err)
	}
	return r, cr
}

// TestSynthGolden prints the ACL and the report synth makes for each
// sample (the files were read by a person once).
func TestSynthGolden(t *testing.T) {
	for _, tc := range []struct {
		name, pcap string
		subnets    []string
		mod        func(*synth.Options)
	}{
		{"webserver", "webserver.pcap", []string{"10.0.1.0/24"}, nil},
		{"webserver-peer24", "webserver.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) { o.PeerPrefix4 = 24 }},
		{"ipv6", "ipv6.pcap", []string{"2001:db8:10:1::/64"}, nil},
		{"exempt", "exempt.pcap", []string{"10.0.1.0/24"}, nil},
		{"portscan", "portscan.pcap", []string{"10.0.1.0/24"}, nil},
		{"vpc-two-subnets", "vpc-two-subnets.pcap", []string{"10.0.1.0/24", "10.0.2.0/24"}, nil},
		{"webserver-budget4", "webserver.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) { o.MaxRules = 4 }},
		{"webserver-2", "webserver-2.pcap", []string{"10.0.1.0/24"}, nil},
		{"portscan-include-failed", "portscan.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) { o.IncludeFailed = true }},
		{"webserver-exact", "webserver.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) { o.Peers = synth.PeersExact }},
		{"twotier", "twotier.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) {
			o.PeerSubnets = []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24"), netip.MustParsePrefix("10.0.3.0/24")}
		}},
		{"webserver-3-budget3", "webserver-3.pcap", []string{"10.0.1.0/24"}, func(o *synth.Options) { o.MaxRules = 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := synthOpts(tc.subnets...)
			if tc.mod != nil {
				tc.mod(&o)
			}
			r, cr := synthSample(t, tc.pcap, o)
			var b bytes.Buffer
			if err := aclfile.Write(&b, []*nacl.ACL{r.ACL}, aclfile.FormatText); err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n")
			if err := WriteSynthText(&b, r, cr); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "synth", tc.name+".golden"), b.Bytes())
		})
	}
}

// TestSynthReportOutsideForced checks that the report lists replies
// outside a forced ephemeral range, in text and JSON.
func TestSynthReportOutsideForced(t *testing.T) {
	o := synthOpts("10.0.1.0/24")
	var err error
	if o.Ephemeral, err = synth.ParseEphemeral("windows"); err != nil {
		t.Fatal(err)
	}
	r, cr := synthSample(t, "webserver.pcap", o)
	if len(r.OutsideForced) == 0 {
		t.Fatal("no client outside the forced range")
	}
	var b bytes.Buffer
	if err := WriteSynthText(&b, r, cr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Replies outside the forced ephemeral range") || !strings.Contains(b.String(), SynthOutsideForced(&r.OutsideForced[0])) {
		t.Errorf("report lacks the denied replies:\n%s", b.String())
	}
	if j := NewSynthJSON(r, cr); len(j.OutsideForced) != len(r.OutsideForced) || j.SelfCheck.OutsideForced != cr.OutsideForced || cr.OutsideForced == 0 {
		t.Errorf("JSON report: %+v %+v", j.OutsideForced, j.SelfCheck)
	}
}

// TestSynthReportUnseen: the report's last lines say how the rules did on
// data they were not learned from, with each denied conversation and why;
// JSON carries the same.
func TestSynthReportUnseen(t *testing.T) {
	o := synthOpts("10.0.1.0/24")
	o.Peers = synth.PeersExact
	r, cr := synthSample(t, "webserver.pcap", o)
	u, err := synth.ReplayUnseen(r, record(t, "webserver-3.pcap").Classify(), nil, "webserver-3.pcap")
	if err != nil {
		t.Fatal(err)
	}
	r.Unseen = append(r.Unseen, *u)
	var b bytes.Buffer
	if err := WriteSynthText(&b, r, cr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Self-check: PASS") })
	if i < 0 || !strings.HasPrefix(lines[i+1], "Unseen data (webserver-3.pcap): FAIL: 12 working conversation(s): 0 allowed, 12 denied (") ||
		!strings.Contains(b.String(), "#10 tcp 198.51.100.140:56774 -> 10.0.1.10:80: request denied inbound by rule 32767: new peer") {
		t.Errorf("report:\n%s", b.String())
	}
	j := NewSynthJSON(r, cr)
	if len(j.Unseen) != 1 || j.Unseen[0].OK || len(j.Unseen[0].Denied) != 12 || j.Unseen[0].Denied[0].Reason != "new peer" || len(j.Decisions) == 0 || j.Decisions[0].Intent != "exact" {
		t.Errorf("JSON: %+v", j.Unseen)
	}
}

// refSynthClientSummary is writeSynthClientSummary as it was (the range's
// text made for every client): the reference of
// TestSynthClientSummaryReference.
func refSynthClientSummary(b *strings.Builder, r *synth.Result) {
	type key struct {
		proto   uint8
		profile string
		rng     string
	}
	n := map[key]int{}
	ex := map[key]string{}
	var keys []key
	for _, c := range r.Clients {
		k := key{c.Proto, c.Profile, c.Range.String()}
		if c.Profile == "exact" {
			k.rng = ""
		}
		if n[k] == 0 {
			keys = append(keys, k)
			ex[k] = c.Client.String()
		}
		n[k]++
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := cmp.Compare(x.proto, y.proto); c != 0 {
			return c
		}
		if c := cmp.Compare(x.profile, y.profile); c != 0 {
			return c
		}
		return cmp.Compare(x.rng, y.rng)
	})
	fmt.Fprintf(b, "\nClient response ranges (%d client groups):\n", len(r.Clients))
	for _, k := range keys {
		fmt.Fprintf(b, "  %s %s %s: %d client(s), e.g. %s\n", flows.ProtoName(k.proto), k.profile, k.rng, n[k], ex[k])
	}
}

// TestSynthClientSummaryReference: the summary of many client groups is
// the reference's, with ranges whose text orders differently from their
// numbers (10000-20000 before 9000-9999), exact groups of several ports
// and both transports.
func TestSynthClientSummaryReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	ranges := []nacl.PortRange{{From: 9000, To: 9999}, {From: 10000, To: 20000}, {From: 1024, To: 65535}, {From: 123, To: 123}}
	profiles := []string{"custom", "aws-managed", "exact", "linux"}
	r := &synth.Result{}
	for i := range 500 {
		r.Clients = append(r.Clients, synth.ClientRange{
			Client:  netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}),
			Proto:   []uint8{6, 17}[rng.IntN(2)],
			Profile: profiles[rng.IntN(len(profiles))],
			Range:   ranges[rng.IntN(len(ranges))],
		})
	}
	var got, want strings.Builder
	writeSynthClientSummary(&got, r)
	refSynthClientSummary(&want, r)
	if got.String() != want.String() {
		t.Errorf("summary:\n%s\nreference:\n%s", got.String(), want.String())
	}
	if strings.Count(got.String(), "\n") < 10 {
		t.Errorf("summary of few lines, want many groups:\n%s", got.String())
	}
}

// TestWriteSynthJSON: the synth report written by WriteJSON (compact,
// then laid out by appendIndentJSON) is the one encoding/json's indenting
// Encoder writes, byte for byte, for the samples' results and for one
// whose texts need escaping (HTML characters, quotes, control and
// invalid UTF-8 bytes, line separators, non-ASCII).
func TestWriteSynthJSON(t *testing.T) {
	for _, name := range []string{"webserver.pcap", "twotier.pcap", "portscan.pcap"} {
		r, cr := synthSample(t, name, synthOpts("10.0.1.0/24"))
		for _, check := range []*synth.CheckResult{cr, nil} {
			var got, want bytes.Buffer
			if err := WriteJSON(&got, NewSynthJSON(r, check)); err != nil {
				t.Fatal(err)
			}
			if err := refWriteJSON(&want, NewSynthJSON(r, check)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s: WriteJSON differs from the indenting Encoder:\n%s\nwant:\n%s", name, got.String(), want.String())
			}
		}
		r.Notes = append(r.Notes, synth.Message{Kind: synth.MsgNothingAllowed, Count: 1})
		r.Clients = append(r.Clients, synth.ClientRange{Client: netip.MustParseAddr("2001:db8::1"), Proto: 17,
			Profile: "a<b>&\"c\"\\\t\x01\xff\u2028é", Outside: []uint16{123, 500}})
		var got, want bytes.Buffer
		if err := WriteJSON(&got, NewSynthJSON(r, cr)); err != nil {
			t.Fatal(err)
		}
		if err := refWriteJSON(&want, NewSynthJSON(r, cr)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) || !strings.Contains(got.String(), `a<b>&\"c\"\\\t\u0001\ufffd\u2028é`) {
			t.Errorf("%s with escapes: WriteJSON differs from the indenting Encoder:\n%s\nwant:\n%s", name, got.String(), want.String())
		}
	}
}
