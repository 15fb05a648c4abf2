package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runSynthArgs runs `flowverify synth ARGS` and returns exit code, stdout, stderr.
func runSynthArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &runEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(env, append([]string{"synth"}, args...))
	return code, out.String(), errb.String()
}

func synthSample(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "pcaps", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("sample %s missing: %v", p, err)
	}
	return p
}

func TestSynthWebserverText(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", pcap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, w := range []string{"in  100 allow tcp  198.51.100.57/32 22", "out 100 allow tcp  192.0.2.80/32    80", "allow icmp 0.0.0.0/0        3:4"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	// The ACL alone is on stdout; the report is on stderr.
	if strings.Contains(out, "Self-check") || !strings.Contains(errs, "Self-check: PASS") || !strings.Contains(errs, "inbound  IPv4: 10 of 20") {
		t.Errorf("stdout/stderr split wrong:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
}

func TestSynthJSONReportAndFormats(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--format", "aws-json", "--report", rep, "--report-format", "json", pcap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var acl struct {
		NetworkAcls []struct{ Entries []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(out), &acl); err != nil || len(acl.NetworkAcls) != 1 || len(acl.NetworkAcls[0].Entries) < 10 {
		t.Fatalf("aws-json output: %v\n%s", err, out)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Used      int `json:"conversations_used"`
		SelfCheck struct {
			OK      bool   `json:"ok"`
			Packets uint64 `json:"packets"`
		} `json:"self_check"`
		Counts []struct {
			Rules int `json:"rules_including_default"`
		} `json:"rule_counts"`
		Excluded []struct{ Category string } `json:"excluded"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	// Without --vpc-cidr, DNS to 10.0.0.2 is not recognised as exempt and
	// gets rules; NTP to 169.254.169.123 stays exempt.
	if !r.SelfCheck.OK || r.SelfCheck.Packets == 0 || r.Used != 12 || len(r.Counts) != 2 || len(r.Excluded) != 3 {
		t.Errorf("report: %+v\n%s", r, data)
	}
	if !strings.Contains(errs, "no --vpc-cidr given") {
		t.Errorf("no notice about the missing --vpc-cidr:\n%s", errs)
	}
	for _, f := range []string{"terraform", "cloudformation", "cli", "text"} {
		code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", f, pcap)
		if code != exitOK || !strings.Contains(out, "198.51.100.57") {
			t.Errorf("--format %s: exit %d\n%s\n%s", f, code, out, errs)
		}
	}
}

func TestSynthKeepDeniesConflictExit1(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--keep-denies", synthSample(t, "webserver.nacl"), pcap)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (conflicts)\n%s", code, errs)
	}
	if !strings.HasPrefix(strings.SplitN(out, "\n", 3)[1], "in  100 deny  tcp  0.0.0.0/0") {
		t.Errorf("kept deny is not the first inbound rule:\n%s", out)
	}
	if !strings.Contains(errs, "192.0.2.80:80: denied by kept rule inbound 130") {
		t.Errorf("conflict not reported:\n%s", errs)
	}
}

func TestSynthHostDetectionAndErrors(t *testing.T) {
	pcap := synthSample(t, "portscan.pcap")
	code, out, errs := runSynthArgs(t, pcap)
	if code != exitOK || !strings.Contains(errs, "using the capture host 10.0.1.10") || !strings.Contains(out, "203.0.113.66/32 443") {
		t.Errorf("host detection: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "1021  failed: rejected: SYN answered by RST") {
		t.Errorf("scan not listed as excluded:\n%s", errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-rules", "41", pcap}, "at most 40"},
		{[]string{"--ephemeral", "bsd", pcap}, "--ephemeral"},
		{[]string{"--format", "yaml", pcap}, "unknown --format"},
		{[]string{"--subnet", "nonsense", pcap}, "--subnet \"nonsense\""},
		{[]string{"--subnet", "10.0.1.0/24"}, "no capture files"},
		{[]string{"--subnet", "10.0.1.0/24", "--keep-denies", "/nonexistent.nacl", pcap}, "--keep-denies"},
	} {
		code, _, errs := runSynthArgs(t, tc.args...)
		if code != exitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
