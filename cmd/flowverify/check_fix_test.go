package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixDoc is the part of check's JSON report the fix tests read.
type fixDoc struct {
	Conversations []struct {
		ID     int    `json:"id"`
		Status string `json:"status"`
		Fixes  []int  `json:"fixes"`
		Class  *struct {
			Class string `json:"class"`
			Cause string `json:"cause"`
			Rule  int    `json:"rule"`
		} `json:"class"`
	} `json:"conversations"`
	Fixes []struct {
		ACL           string `json:"acl"`
		Subnet        string `json:"subnet"`
		Rule          string `json:"rule"`
		Conversations []int  `json:"conversations"`
	} `json:"fixes"`
	Headlines  []string       `json:"headlines"`
	Classes    map[string]int `json:"classes"`
	ChangeSets []struct {
		ACL   string `json:"acl"`
		Fixes []int  `json:"fixes"`
		Quota []struct {
			Direction string `json:"direction"`
			Before    int    `json:"before"`
			After     int    `json:"after"`
			Fits      bool   `json:"fits"`
		} `json:"quota"`
		Problems []string `json:"problems"`
	} `json:"change_sets"`
	Proof struct {
		Checked     bool     `json:"checked"`
		Passed      bool     `json:"passed"`
		Fixed       []int    `json:"fixed"`
		StillDenied []int    `json:"still_denied"`
		Opened      []int    `json:"intended_opened"`
		Lint        []string `json:"lint"`
	} `json:"proof"`
	Summary struct {
		Denied   uint64 `json:"denied"`
		Affected int    `json:"conversations_affected"`
	} `json:"summary"`
}

// checkJSON runs check with --format json and decodes the report.
func checkJSON(t *testing.T, wantCode int, args ...string) fixDoc {
	t.Helper()
	out, errs, code := runCLI(t, nil, append([]string{"check", "--format", "json"}, args...)...)
	if code != wantCode {
		t.Fatalf("check %v: exit %d, want %d: %s", args, code, wantCode, errs)
	}
	var d fixDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	return d
}

func fixRules(d fixDoc) []string {
	var out []string
	for _, f := range d.Fixes {
		out = append(out, f.Rule)
	}
	return out
}

// The seed case: the web server's downloads lose their replies to the
// wide inbound deny, and its ping hits the default rule. Exactly the three
// rules that make them work, and the proof says they do.
func TestCheckFixSeedBreakage(t *testing.T) {
	d := checkJSON(t, exitFindings, "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"webserver.pcap")
	want := []string{"in 125 allow tcp 192.0.2.80/32 32768-65535", "in 140 allow icmp 192.0.2.80/32 0:0", "out 140 allow icmp 192.0.2.80/32 8:0"}
	if got := fixRules(d); !slices.Equal(got, want) {
		t.Errorf("fixes %q\nwant %q", got, want)
	}
	if d.Classes["breakage"] != 3 || d.Classes["intended"] != 0 || d.Classes["unclear"] != 0 {
		t.Errorf("classes %v, want 3 breakage", d.Classes)
	}
	for _, c := range d.Conversations {
		if c.Status == "ok" || c.Status == "exempt" {
			if c.Class != nil {
				t.Errorf("#%d (%s) has a class %+v", c.ID, c.Status, c.Class)
			}
			continue
		}
		if c.Class == nil || c.Class.Class != "breakage" || len(c.Fixes) == 0 {
			t.Errorf("#%d: class %+v, fixes %v", c.ID, c.Class, c.Fixes)
		}
	}
	if !d.Proof.Checked || !d.Proof.Passed || !slices.Equal(d.Proof.Fixed, []int{3, 5, 9}) || len(d.Proof.StillDenied)+len(d.Proof.Opened)+len(d.Proof.Lint) != 0 {
		t.Errorf("proof %+v", d.Proof)
	}
	if len(d.ChangeSets) != 1 || len(d.ChangeSets[0].Fixes) != 3 || len(d.ChangeSets[0].Problems) != 0 {
		t.Fatalf("change sets %+v", d.ChangeSets)
	}
	for _, q := range d.ChangeSets[0].Quota {
		if !q.Fits || q.After-q.Before < 1 {
			t.Errorf("quota %+v", q)
		}
	}
}

// The port scan: every scanned conversation was refused (RST), so it is
// intended and gets no fix; nothing is proposed at all.
func TestCheckFixPortscanNoFix(t *testing.T) {
	d := checkJSON(t, exitFindings, "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"portscan.pcap")
	if len(d.Fixes) != 0 || len(d.ChangeSets) != 0 || d.Proof.Checked {
		t.Errorf("fixes %q, change sets %+v, proof %+v: want none", fixRules(d), d.ChangeSets, d.Proof)
	}
	n := 0
	for _, c := range d.Conversations {
		if c.Status == "ok" {
			continue
		}
		n++
		if c.Class == nil || c.Class.Class != "intended" || c.Class.Cause != "refused" || len(c.Fixes) != 0 {
			t.Errorf("#%d %s: class %+v, fixes %v; want intended: refused, no fix", c.ID, c.Status, c.Class, c.Fixes)
		}
	}
	if n != 1021 || d.Classes["intended"] != 1021 {
		t.Errorf("%d denied conversations, classes %v; want 1021 intended", n, d.Classes)
	}
	// --write-fixed has nothing to write: a notice, not an error.
	path := filepath.Join(t.TempDir(), "fixed.nacl")
	_, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--write-fixed", path, samples+"portscan.pcap")
	if _, err := os.Stat(path); code != exitFindings || !strings.Contains(errs, "notice: --write-fixed: nothing written") || err == nil {
		t.Errorf("--write-fixed without fixes: exit %d, %q, file: %v", code, errs, err)
	}
	out, _, _ := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"portscan.pcap")
	if !strings.Contains(out, "\nintended: refused: 1021 conversation(s)") || strings.Contains(out, "\nFIXES") {
		t.Errorf("text lacks the intended: refused group or has fixes:\n%s", out[max(0, len(out)-1500):])
	}
}

// --fix-all asks for the rest: the scan's ports then become a handful of
// merged rules (adjacent ports), never one per port, and the proof passes.
func TestCheckFixAllMergesPorts(t *testing.T) {
	d := checkJSON(t, exitFindings, "--fix-all", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"portscan.pcap")
	if len(d.Fixes) == 0 || len(d.Fixes) > 6 {
		t.Fatalf("%d fixes %q: want a few merged ranges", len(d.Fixes), fixRules(d))
	}
	if !d.Proof.Passed || len(d.Proof.Fixed) != 1021 {
		t.Errorf("proof %+v", d.Proof)
	}
}

// writeACL writes a native-text ACL to a temporary file.
func writeACL(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "acl.nacl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A deny that names the SSH port is intended: the SSH conversation gets
// no fix although it worked in the capture, and the fixes for the
// breakage do not open it.
func TestCheckFixExplicitDenyIntended(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	acl := writeACL(t, strings.Replace(string(orig), "in  100 allow tcp 0.0.0.0/0 22", "in  100 deny  tcp 0.0.0.0/0 22", 1))
	d := checkJSON(t, exitFindings, "--nacl", acl, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"webserver.pcap")
	found := false
	for _, c := range d.Conversations {
		if c.ID != 12 { // 198.51.100.57 -> 10.0.1.10:22
			continue
		}
		found = true
		if c.Class == nil || c.Class.Class != "intended" || c.Class.Cause != "explicit-deny" || c.Class.Rule != 100 || len(c.Fixes) != 0 {
			t.Errorf("ssh conversation: class %+v, fixes %v", c.Class, c.Fixes)
		}
	}
	if !found {
		t.Fatal("conversation #12 (ssh) not in the report")
	}
	for _, r := range fixRules(d) {
		if strings.HasSuffix(r, " 22") {
			t.Errorf("a fix opens ssh: %s", r)
		}
	}
	if !d.Proof.Passed || d.Classes["intended"] != 1 {
		t.Errorf("proof %+v, classes %v", d.Proof, d.Classes)
	}
}

// sharedACL is one ACL for subnet-web and subnet-db that denies the
// replies coming in to both.
const sharedACL = `acl acl-shared name shared
in  100 allow tcp 10.0.1.0/24 5432
in  110 allow tcp 10.0.1.0/24 6379
in  120 allow tcp 0.0.0.0/0   80
in  130 deny  tcp 0.0.0.0/0   1024-65535
out 100 allow all 0.0.0.0/0
`

// Two subnets sharing an ACL get one fix for the same peer and port range,
// not one per subnet, and the patched ACL lints clean (the proof).
func TestCheckFixTwoSubnetsShareACL(t *testing.T) {
	acl := writeACL(t, sharedACL)
	d := checkJSON(t, exitFindings, "--nacl", acl, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"vpc-two-subnets.pcap")
	var mirror []int
	for _, f := range d.Fixes {
		if strings.Contains(f.Rule, "192.0.2.80") {
			if mirror != nil {
				t.Errorf("two fixes for 192.0.2.80: %q", fixRules(d))
			}
			mirror = f.Conversations
			if f.Subnet != "10.0.1.0/24,10.0.2.0/24" {
				t.Errorf("fix %s serves subnets %q, want both", f.Rule, f.Subnet)
			}
		}
	}
	if !slices.Equal(mirror, []int{7, 8, 11}) {
		t.Errorf("the mirror fix serves %v, want [7 8 11] (both subnets)", mirror)
	}
	if len(d.ChangeSets) != 1 || d.ChangeSets[0].ACL != "acl-shared" {
		t.Errorf("change sets %+v, want one for acl-shared", d.ChangeSets)
	}
	if !d.Proof.Passed || len(d.Proof.Fixed) != 9 {
		t.Errorf("proof %+v", d.Proof)
	}
}

// VPC mode: describe-network-acls with one ACL associated with both
// subnets of describe-subnets. The replies from the mirror to both
// subnets get one rule, and the patched describe JSON, re-read in VPC
// mode, leaves nothing broken.
func TestCheckFixVPCSharedACL(t *testing.T) {
	dir := t.TempDir()
	acls := filepath.Join(dir, "acls.json")
	doc := `{"NetworkAcls": [{"NetworkAclId": "acl-shared", "VpcId": "vpc-0a1b2c3d4e5f60010", "IsDefault": false,
  "Associations": [{"SubnetId": "subnet-web"}, {"SubnetId": "subnet-db"}],
  "Entries": [
    {"RuleNumber": 100, "Egress": false, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 5432, "To": 5432}},
    {"RuleNumber": 110, "Egress": false, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 6379, "To": 6379}},
    {"RuleNumber": 120, "Egress": false, "Protocol": "6", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 80, "To": 80}},
    {"RuleNumber": 130, "Egress": false, "Protocol": "6", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}},
    {"RuleNumber": 100, "Egress": true, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}]}]}`
	if err := os.WriteFile(acls, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(dir, "fixed.json")
	args := []string{"--nacl", acls, "--subnets", samples + "vpc-subnets.json", "--vpc-cidr", "10.0.0.0/16"}
	d := checkJSON(t, exitFindings, append(args, "--write-fixed", fixed, samples+"vpc-two-subnets.pcap")...)
	var mirror []string
	for _, f := range d.Fixes {
		if strings.Contains(f.Rule, "192.0.2.80") {
			mirror = append(mirror, f.Rule+" for "+f.Subnet)
		}
	}
	if len(mirror) != 1 || !strings.HasSuffix(mirror[0], " for subnet-db,subnet-web") {
		t.Errorf("mirror fixes %q, want one for both subnets", mirror)
	}
	if !d.Proof.Passed || len(d.ChangeSets) != 1 {
		t.Fatalf("proof %+v, change sets %+v", d.Proof, d.ChangeSets)
	}
	again := checkJSON(t, exitOK, "--nacl", fixed, "--subnets", samples+"vpc-subnets.json", "--vpc-cidr", "10.0.0.0/16", samples+"vpc-two-subnets.pcap")
	if again.Summary.Affected != 0 || len(again.Fixes) != 0 {
		t.Errorf("patched ACL re-read: %d affected, fixes %q", again.Summary.Affected, fixRules(again))
	}
}

// Without --vpc-cidr the resolver is inferred from the DNS traffic to
// VPC base+2, said first, and its traffic is not reported as broken.
func TestCheckInferredResolver(t *testing.T) {
	out, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", samples+"webserver.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "NOTE: Amazon DNS resolver 10.0.0.2 inferred from the traffic") {
		t.Errorf("output does not start with the inferred resolver:\n%s", out[:min(len(out), 400)])
	}
	if !strings.Contains(out, "Exempt: amazon-dns 6, time-sync 6") || strings.Contains(out, "10.0.0.2/32") {
		t.Errorf("DNS traffic to 10.0.0.2 not exempt or fixed:\n%s", out)
	}
	if strings.Contains(out, "no --vpc-cidr given") {
		t.Errorf("the note contradicts the inferred resolver")
	}
	// VPC mode: describe-subnets holds no VPC CIDR; the same inference.
	out, errs, code = runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnets", samples+"vpc-subnets.json", samples+"webserver.pcap")
	if code != exitFindings || !strings.HasPrefix(out, "NOTE: Amazon DNS resolver 10.0.0.2 inferred from the traffic") || !strings.Contains(out, "Exempt: amazon-dns 6, time-sync 6") {
		t.Errorf("VPC mode: exit %d, %s\n%s", code, errs, out[:min(len(out), 600)])
	}
}

// --vpcs gives the VPC CIDR: nothing is inferred and the resolver is exempt.
func TestCheckVPCsFile(t *testing.T) {
	vpcs := filepath.Join(t.TempDir(), "vpcs.json")
	doc := `{"Vpcs": [{"VpcId": "vpc-0a1b", "CidrBlock": "10.0.0.0/16", "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}}]}]}`
	if err := os.WriteFile(vpcs, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpcs", vpcs, samples+"webserver.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out, "inferred") || !strings.Contains(out, "Exempt: amazon-dns 6, time-sync 6") || strings.Contains(out, "no --vpc-cidr") {
		t.Errorf("with --vpcs:\n%s", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/33"}]}`), 0o644)
	_, errs, code = runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpcs", bad, samples+"webserver.pcap")
	if code != exitError || !strings.Contains(errs, "$.Vpcs[0].CidrBlock") {
		t.Errorf("bad --vpcs: exit %d, %q", code, errs)
	}
}

// --write-fixed in every format: re-read by check, the patched ACL gives
// the proof's verdicts (no breakage left, the intended SSH deny kept), and
// lint finds no unreachable or redundant rule in it.
func TestCheckWriteFixedRoundTrip(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	acl := writeACL(t, strings.Replace(string(orig), "in  100 allow tcp 0.0.0.0/0 22", "in  100 deny  tcp 0.0.0.0/0 22", 1))
	dir := t.TempDir()
	for _, f := range []string{"text", "aws-json", "terraform", "cloudformation"} {
		path := filepath.Join(dir, "fixed-"+f)
		_, errs, code := runCLI(t, nil, "check", "--nacl", acl, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
			"--write-fixed", path, "--fixed-format", f, samples+"webserver.pcap")
		if code != exitFindings || !strings.Contains(errs, "wrote the patched ACL(s) as "+f) {
			t.Fatalf("%s: exit %d: %s", f, code, errs)
		}
		d := checkJSON(t, exitFindings, "--nacl", path, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"webserver.pcap")
		if d.Summary.Affected != 1 || d.Classes["intended"] != 1 || d.Classes["breakage"] != 0 || len(d.Fixes) != 0 {
			t.Errorf("%s re-read: %d affected, classes %v, fixes %q; want only the intended ssh conversation denied", f, d.Summary.Affected, d.Classes, fixRules(d))
		}
		before, after := deadRules(t, acl), deadRules(t, path)
		for _, r := range after {
			if !slices.Contains(before, r) {
				t.Errorf("%s: lint finds a new %s (had %q)", f, r, before)
			}
		}
	}
	// A directory: one file per patched ACL, named after it.
	sub := filepath.Join(dir, "out") + "/"
	if _, errs, code := runCLI(t, nil, "check", "--nacl", acl, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--write-fixed", sub, samples+"webserver.pcap"); code != exitFindings {
		t.Fatalf("dir: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(sub, "acl-0a1b2c3d4e5f60001.nacl")); err != nil {
		t.Errorf("directory output: %v", err)
	}
}

// deadRules lists lint's unreachable and redundant rules of a NACL file
// ("redundant-rule inbound 130").
func deadRules(t *testing.T, path string) []string {
	t.Helper()
	out, errs, code := runCLI(t, nil, "lint", "--nacl", path, "--format", "json")
	if code == exitError {
		t.Fatalf("lint %s: %s", path, errs)
	}
	var doc struct {
		ACLs []struct {
			Findings []struct {
				Code      string `json:"code"`
				Direction string `json:"direction"`
				Rule      int    `json:"rule"`
			} `json:"findings"`
		} `json:"acls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var dead []string
	for _, a := range doc.ACLs {
		for _, f := range a.Findings {
			if f.Code == "unreachable-rule" || f.Code == "redundant-rule" {
				dead = append(dead, fmt.Sprintf("%s %s %d", f.Code, f.Direction, f.Rule))
			}
		}
	}
	return dead
}

// --fixed-format cli writes only create-network-acl-entry commands for
// the new rules (no replace or delete: each step only adds access).
func TestCheckWriteFixedCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fix.sh")
	_, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--write-fixed", path, "--fixed-format", "cli", samples+"webserver.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	want := "aws ec2 create-network-acl-entry --network-acl-id acl-0a1b2c3d4e5f60001 --ingress --rule-number 125 --protocol tcp --port-range From=32768,To=65535 --cidr-block 192.0.2.80/32 --rule-action allow\n"
	if !strings.Contains(s, want) || strings.Count(s, "\naws ec2 create-network-acl-entry ") != 3 || strings.Contains(s, "\naws ec2 delete") || strings.Contains(s, "\naws ec2 replace") {
		t.Errorf("cli output:\n%s", s)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
			t.Errorf("sh -n: %v\n%s", err, out)
		}
	}
}

// The Terraform output passes terraform validate where a provider mirror
// is available (FLOWVERIFY_TF_PLUGINS, default /opt/tf-plugins).
func TestCheckWriteFixedTerraformValidate(t *testing.T) {
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
	if _, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--write-fixed", filepath.Join(dir, "main.tf"), "--fixed-format", "terraform", samples+"webserver.pcap"); code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-plugin-dir=" + plugins}, {"validate", "-no-color"}} {
		cmd := exec.Command(tf, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
		}
	}
}

// A Terraform ACL whose rules are aws_network_acl_rule resources is
// written with inline rules, with a warning saying what to do with the
// separate resources.
func TestCheckWriteFixedTerraformRuleResources(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "main.tf")
	src := `resource "aws_network_acl" "main" {
  vpc_id = "vpc-1"
}
resource "aws_network_acl_rule" "in_http" {
  network_acl_id = aws_network_acl.main.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 80
  to_port        = 80
}
resource "aws_network_acl_rule" "out_all" {
  network_acl_id = aws_network_acl.main.id
  rule_number    = 100
  egress         = true
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}
`
	if err := os.WriteFile(tf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(dir, "fixed.tf")
	_, errs, code := runCLI(t, nil, "check", "--nacl", tf, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--write-fixed", fixed, samples+"webserver.pcap")
	if code != exitFindings || !strings.Contains(errs, "aws_network_acl.main: its rules were aws_network_acl_rule resources") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Everything denied before was breakage: the patched ACL denies nothing.
	d := checkJSON(t, exitOK, "--nacl", fixed, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"webserver.pcap")
	if d.Summary.Affected != 0 {
		t.Errorf("patched Terraform still denies: classes %v", d.Classes)
	}
}
