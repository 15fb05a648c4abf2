package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runSynthArgs runs `flowverify synth ARGS` and returns exit code, stdout, stderr.
func runSynthArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	out, errs, code := runCLI(t, nil, append([]string{"synth"}, args...)...)
	return code, out, errs
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
	// Public services and the server's own requests to the mirror are
	// opened to the world (--peers intent, the default); SSH, an
	// administrative port, stays with the peer that used it.
	for _, w := range []string{"in 100 allow tcp 198.51.100.57/32 22 ", "peers: restricted-port", "in 200 allow tcp 0.0.0.0/0 80 ", "out 100 allow tcp 0.0.0.0/0 80 ", "allow icmp 0.0.0.0/0 3:4"} {
		if !strings.Contains(squash(out), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	// The ACL alone is on stdout; the report is on stderr.
	if strings.Contains(out, "Self-check") || !strings.Contains(errs, "Self-check: PASS") || !strings.Contains(errs, "inbound  IPv4: 7 of 20") ||
		!strings.Contains(errs, "inbound tcp 443 -> 0.0.0.0/0 [public-service, +32.0 bits]: public service: 3 peers from public address space in 2 different /8s") {
		t.Errorf("stdout/stderr split wrong:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
	// --public-port 22 opens SSH like any public service.
	_, out, _ = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--public-port", "22", pcap)
	if !strings.Contains(squash(out), "in 100 allow tcp 0.0.0.0/0 22 ") {
		t.Errorf("--public-port 22:\n%s", out)
	}
	// --peers exact transcribes the observed peers.
	_, out, _ = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--peers", "exact", pcap)
	for _, w := range []string{"in  100 allow tcp  198.51.100.57/32 22", "out 100 allow tcp  192.0.2.80/32    80", "allow icmp 0.0.0.0/0        3:4"} {
		if !strings.Contains(out, w) {
			t.Errorf("--peers exact: stdout lacks %q:\n%s", w, out)
		}
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
	// The reader's warnings about the --keep-denies file are shown.
	kd := filepath.Join(t.TempDir(), "kd.nacl")
	if err := os.WriteFile(kd, []byte("in 100 deny tcp 10.0.0.5/8 22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, errs = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--keep-denies", kd, pcap)
	if !strings.Contains(errs, "flowverify synth: warning: "+kd+":1:17: cidr: 10.0.0.5/8 is not canonical; AWS stores 10.0.0.0/8") {
		t.Errorf("--keep-denies warning not shown:\n%s", errs)
	}
}

func TestSynthHostDetectionAndErrors(t *testing.T) {
	pcap := synthSample(t, "portscan.pcap")
	code, out, errs := runSynthArgs(t, pcap)
	if code != exitOK || !strings.Contains(errs, "using the capture host 10.0.1.10") || !strings.Contains(squash(out), "allow tcp 0.0.0.0/0 443 ") {
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
		{[]string{"--ephemeral", "10.0.3.0/24=bsd", pcap}, "--ephemeral"},
		{[]string{"--ephemeral", "linux", "--ephemeral", "windows", pcap}, "already given"},
		{[]string{"--peers", "some", pcap}, "--peers"},
		{[]string{"--holdout", "100%", pcap}, "--holdout"},
		{[]string{"--validate", "/nonexistent.pcap", pcap}, "Unseen data (/nonexistent.pcap): PASS (INCOMPLETE"},
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

// The PMTUD rule is a recommendation, not observed traffic: over budget it
// is left out with a warning, never merged into the observed rules.
func TestSynthPMTUDLeftOutOverBudget(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--peers", "exact", "--max-rules", "2", pcap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	_, noPMTUD, _ := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--peers", "exact", "--max-rules", "2", "--no-pmtud", pcap)
	if out != noPMTUD || !strings.Contains(out, "in  100 allow all 192.0.0.0/4") || strings.Contains(out, "0.0.0.0/0") {
		t.Errorf("stdout:\n%s\nwant as with --no-pmtud:\n%s", out, noPMTUD)
	}
	if !strings.Contains(errs, "warning: inbound IPv4: no room for the path MTU discovery rule in allow icmp 0.0.0.0/0 3:4 within --max-rules 2: left out") ||
		!strings.Contains(errs, "Over-permission: 53.0 bits") {
		t.Errorf("stderr:\n%s", errs)
	}
}

// --ephemeral keeps the forced range and writes no rule on observed client
// ports outside it; their replies are expected denials (exit 1).
func TestSynthForcedEphemeralOutsideRange(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--ephemeral", "windows", pcap)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (replies outside the forced range)\n%s", code, errs)
	}
	for _, bad := range []string{" 37897 ", " 38138 ", "(exact)"} {
		if strings.Contains(out, bad) {
			t.Errorf("stdout has a rule on an observed client port (%q):\n%s", bad, out)
		}
	}
	if !strings.Contains(squash(out), "out 300 allow tcp 0.0.0.0/0 49152-65535") {
		t.Errorf("forced range rule missing:\n%s", out)
	}
	for _, w := range []string{
		"client 198.51.100.57 used port 37897, outside the forced windows range 49152-65535: its replies will be denied",
		"client 198.51.100.23 used port 38138, outside the forced windows range 49152-65535: its replies will be denied",
		"Self-check: PASS",
		"denied as intended (replies to client ports outside the forced ephemeral range)",
	} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errs)
		}
	}
}

// Without --acl-id, the cli commands use $ACL_ID (the placeholder acl-synth
// looks like a real ID) behind a guard that stops a script when it is unset.
func TestSynthCLIACLIDPlaceholder(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "cli", pcap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "aws ") {
			n++
			if !strings.HasPrefix(l, `aws ec2 create-network-acl-entry --network-acl-id "$ACL_ID" --`) {
				t.Errorf("command without $ACL_ID: %s", l)
			}
		}
	}
	if n != 10 || strings.Contains(out, "--network-acl-id acl-synth") {
		t.Errorf("%d commands:\n%s", n, out)
	}
	for _, w := range []string{"aws ec2 create-network-acl --vpc-id", `: "${ACL_ID:?`} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errs, `no --acl-id given: the cli commands use --network-acl-id "$ACL_ID"`) {
		t.Errorf("no notice on stderr:\n%s", errs)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		// The guard stops the script before any command when ACL_ID is unset.
		cmd := exec.Command(sh, "-c", out)
		cmd.Env = []string{"PATH=/nonexistent"}
		msg, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(msg), "set ACL_ID") {
			t.Errorf("script ran without ACL_ID: %v\n%s", err, msg)
		}
	}
	// An explicit ID is written as is.
	_, out, _ = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "cli", "--acl-id", "acl-0123456789abcdef0", pcap)
	if !strings.Contains(out, "--network-acl-id acl-0123456789abcdef0 --ingress") || strings.Contains(out, "ACL_ID") {
		t.Errorf("--acl-id output:\n%s", out)
	}
}

// --validate and --holdout replay unseen data; the report's last lines say
// how the rules did, JSON carries the same, and a denial is exit 1.
func TestSynthValidateAndHoldout(t *testing.T) {
	pcap := synthSample(t, "webserver.pcap")
	third := synthSample(t, "webserver-3.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--validate", third, pcap)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	self := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Self-check: PASS") })
	// The ACL is learned from the whole capture: the default held-out
	// estimate (a second synthesis from the first 80%) follows the
	// self-check and does not change the exit status; the clients came
	// in the last second, so it denies them for a new port.
	// The two new SSH clients are kept out on purpose (an administrative
	// port stays with its observed peers) and listed last.
	n := len(lines)
	if code != exitOK || out == "" || self < 0 || n < 3 || !strings.HasPrefix(lines[n-3], "Unseen data ("+third+"): PASS: 12 working conversation(s): 10 allowed, 0 denied, 2 kept out on purpose") ||
		!strings.Contains(lines[n-1], ":22: request denied inbound by rule 32767: new peer (kept out on purpose)") ||
		!strings.HasPrefix(lines[self+1], "Held-out estimate (rules learned from the first 80% of the capture time") ||
		!strings.Contains(lines[self+1], "FAIL: 7 working conversation(s): 0 allowed, 7 denied (1 new protocol, 6 new port)") {
		t.Errorf("--validate: exit %d\n%s", code, errs)
	}
	_, _, errs = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--holdout", "off", pcap)
	if strings.Contains(errs, "Held-out estimate") || !strings.HasSuffix(strings.TrimSpace(errs), "(excluded conversations)") {
		t.Errorf("--holdout off:\n%s", errs)
	}
	rep := filepath.Join(t.TempDir(), "r.json")
	code, _, errs = runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--holdout", "20%", "--report", rep, "--report-format", "json", pcap)
	if code != exitFindings {
		t.Errorf("--holdout 20%%: exit %d, want 1 (held-out clients denied)\n%s", code, errs)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		HeldOut int `json:"held_out_conversations"`
		Unseen  []struct {
			OK     bool `json:"ok"`
			Denied []struct {
				Reason string `json:"reason"`
				Leg    string `json:"leg"`
				First  struct {
					File  string `json:"file"`
					Frame int64  `json:"frame"`
				} `json:"first_frame"`
			} `json:"denied"`
		} `json:"unseen_data"`
		Decisions []struct {
			Intent string `json:"intent"`
		} `json:"peer_decisions"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.HeldOut == 0 || len(r.Unseen) != 1 || r.Unseen[0].OK || len(r.Unseen[0].Denied) != 7 || r.Unseen[0].Denied[1].Reason != "new port" ||
		r.Unseen[0].Denied[1].Leg != "request" || r.Unseen[0].Denied[1].First.File != pcap || r.Unseen[0].Denied[1].First.Frame < 1 ||
		len(r.Decisions) == 0 || r.Decisions[0].Intent != "public-destination" {
		t.Errorf("json report: %+v\n%s", r, data)
	}
}

// The two-tier sample: --subnets models the database subnet, --peer-subnet
// the ALB subnet, --ephemeral CIDR=PROFILE marks the ALB as aws-managed.
func TestSynthTwoTierSubnets(t *testing.T) {
	pcap := synthSample(t, "twotier.pcap")
	code, out, errs := runSynthArgs(t, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--subnets", synthSample(t, "vpc-subnets.json"),
		"--peer-subnet", "10.0.3.0/24", "--ephemeral", "10.0.3.0/24=aws-managed", "--validate", synthSample(t, "twotier-2.pcap"), pcap)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, w := range []string{"allow tcp  10.0.3.0/24 8080", "allow tcp  10.0.2.0/24 5432", "allow tcp  10.0.3.0/24 1024-65535   # response (aws-managed)"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "/32") || !strings.Contains(errs, "Unseen data") || !strings.Contains(errs, "PASS: 18 working conversation(s): 18 allowed") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errs)
	}
}
