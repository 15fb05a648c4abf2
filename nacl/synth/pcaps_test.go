package synth

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
)

// record reads a sample capture of pcaps/ through the same pass as the CLI.
func record(t *testing.T, name string) *replay.Recording {
	t.Helper()
	return readSample(t, name).Classify()
}

// conversations materialises the conversations of a recording, in ID order.
func conversations(t *testing.T, rec *replay.Recording) []*flows.Conversation {
	t.Helper()
	var out []*flows.Conversation
	if err := rec.EachConversation(func(c *flows.Conversation) error {
		cc := *c
		out = append(out, &cc)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// readSample feeds every packet of pcaps/name to a fresh recorder; it
// skips when the sample is missing and fails when it cannot be read whole.
func readSample(t *testing.T, name string) *replay.Recorder {
	t.Helper()
	path := filepath.Join("..", "..", "pcaps", name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("sample %s not recorded yet: %v", path, err)
	}
	return readCapture(t, path)
}

// readCapture feeds every packet of the capture at path to a fresh
// recorder; it fails when the capture cannot be read whole.
func readCapture(t testing.TB, path string) *replay.Recorder {
	t.Helper()
	s, err := capture.Open([]string{path}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	var p capture.Packet
	for {
		if err := s.Next(&p); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		rec.Add(&p)
	}
	if !s.Complete() {
		t.Fatalf("%s: incomplete read: %v", path, s.Problems())
	}
	return rec
}

// sampleOpts are the options a user would give for each sample.
func sampleOpts(subnets ...string) Options {
	o := opts(subnets...)
	o.Peers = PeersIntent
	o.VPCCIDRs = []netip.Prefix{mustPrefix("10.0.0.0/16")}
	return o
}

func synthSample(t *testing.T, name string, o Options) (*Result, *CheckResult) {
	t.Helper()
	rec := record(t, name)
	o.Observations = FromRecording(rec)
	r := mustSynth(t, conversations(t, rec), o)
	return r, mustPass(t, r, o.Observations)
}

// TestGeneralisesToSecondRecording synthesises from webserver.pcap and
// replays the independent recording webserver-2.pcap (new ephemeral ports,
// new client addresses in the same /24s, same services): no packet of a
// conversation that worked may be denied.
func TestGeneralisesToSecondRecording(t *testing.T) {
	o := sampleOpts("10.0.1.0/24")
	o.PeerPrefix4 = 24
	r, _ := synthSample(t, "webserver.pcap", o)
	rec2 := record(t, "webserver-2.pcap")
	failed := map[int]bool{}
	for _, c := range conversations(t, rec2) {
		failed[c.ID] = failedReason(c) != ""
	}
	cr, err := CheckAgainst(r, FromRecording(rec2), func(id int) bool { return failed[id] })
	if err != nil {
		t.Fatal(err)
	}
	if !cr.OK() || cr.Allowed == 0 {
		t.Fatalf("webserver-2.pcap against rules from webserver.pcap: %+v\n%s", *cr, dump(r, cr))
	}
	// Without widening the peers, the new clients are (rightly) denied:
	// the test above is not vacuous.
	o.PeerPrefix4, o.Peers = 32, PeersExact
	r32, _ := synthSample(t, "webserver.pcap", o)
	cr32, err := CheckAgainst(r32, FromRecording(rec2), func(id int) bool { return failed[id] })
	if err != nil {
		t.Fatal(err)
	}
	if cr32.OK() {
		t.Errorf("rules for /32 peers allowed the second recording's new clients: %+v", *cr32)
	}
}

// TestOutputFormatsRoundTrip writes the synthesised ACL in every readable
// format and reads it back: the entries must survive unchanged.
func TestOutputFormatsRoundTrip(t *testing.T) {
	r, _ := synthSample(t, "webserver.pcap", sampleOpts("10.0.1.0/24"))
	for _, f := range []aclfile.Format{aclfile.FormatAWSJSON, aclfile.FormatTerraform, aclfile.FormatCloudFormation, aclfile.FormatText} {
		var b bytes.Buffer
		if err := aclfile.Write(&b, []*nacl.ACL{r.ACL}, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		file, err := aclfile.Parse("synth."+string(f), b.Bytes(), f)
		if err != nil {
			t.Fatalf("%s: reading back: %v\n%s", f, err, b.String())
		}
		if len(file.ACLs) != 1 || len(file.ACLs[0].Entries) != len(r.ACL.Entries) {
			t.Fatalf("%s: read back %d ACLs", f, len(file.ACLs))
		}
		got := map[string]bool{}
		for _, e := range file.ACLs[0].Entries {
			got[ruleText(e)] = true
		}
		for _, e := range r.ACL.Entries {
			if !got[ruleText(e)] {
				t.Errorf("%s: entry %q lost in the round trip", f, ruleText(e))
			}
		}
	}
	var b bytes.Buffer
	if err := aclfile.Write(&b, []*nacl.ACL{r.ACL}, aclfile.FormatCLI); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "create-network-acl-entry"); n != len(r.ACL.Entries) {
		t.Errorf("cli: %d create-network-acl-entry commands for %d entries", n, len(r.ACL.Entries))
	}
}

// TestTerraformValidate runs `terraform validate` on the Terraform output
// when terraform and a local AWS provider mirror are available
// (FLOWVERIFY_TF_PLUGINS, default /opt/tf-plugins).
func TestTerraformValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: terraform init and validate take seconds")
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not installed")
	}
	plugins := os.Getenv("FLOWVERIFY_TF_PLUGINS")
	if plugins == "" {
		plugins = "/opt/tf-plugins"
	}
	if _, err := os.Stat(plugins); err != nil {
		t.Skipf("no local provider mirror at %s (set FLOWVERIFY_TF_PLUGINS)", plugins)
	}
	dir := t.TempDir()
	for _, s := range []struct{ pcap, subnet string }{{"webserver.pcap", "10.0.1.0/24"}, {"ipv6.pcap", "2001:db8:10:1::/64"}} {
		o := sampleOpts(s.subnet)
		o.ID = strings.TrimSuffix(s.pcap, ".pcap")
		o.Name = o.ID
		r, _ := synthSample(t, s.pcap, o)
		var b bytes.Buffer
		if err := aclfile.Write(&b, []*nacl.ACL{r.ACL}, aclfile.FormatTerraform); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, o.ID)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "main.tf"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-plugin-dir=" + plugins}, {"validate", "-no-color"}} {
			cmd := exec.Command(tf, args...)
			cmd.Dir = sub
			cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: terraform %s: %v\n%s\n%s", s.pcap, args[0], err, out, b.String())
			}
		}
	}
}
