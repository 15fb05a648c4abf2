package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runLintArgs runs "flowverify lint ARGS" and returns exit code, stdout, stderr.
func runLintArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	out, errs, code := runCLI(t, nil, append([]string{"lint"}, args...)...)
	return code, out, errs
}

// lintFile writes a native-format NACL file into a temporary directory.
func lintFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "acl.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const lintTwoACLs = `acl acl-web name web
in  100 allow tcp 0.0.0.0/0 22
in  110 allow icmp 0.0.0.0/0 3:4
in  200 deny  all 10.0.0.0/8
in  300 allow tcp 10.1.0.0/16 443
out 100 allow tcp 0.0.0.0/0 1024-65535
acl acl-clean name clean
in  100 allow all 0.0.0.0/0
out 100 allow all 0.0.0.0/0
`

func TestLintTextAndExitCodes(t *testing.T) {
	p := lintFile(t, lintTwoACLs)
	code, out, errs := runLintArgs(t, "--nacl", p)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (an error-level finding); stderr %s", code, exitFindings, errs)
	}
	for _, want := range []string{
		"acl-web (web): 1 error, 0 warnings, 1 info",
		"#  SEVERITY  DIRECTION  FAMILY  RULE  CODE              RELATED",
		"error     inbound    IPv4     300  unreachable-rule  200",
		"info      inbound    IPv4     200  redundant-rule    *",
		"fix: delete inbound rule 300, or renumber it below 200",
		"acl-clean (clean): no findings",
		"2 ACLs: 1 error, 0 warnings, 1 info",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Selecting the clean ACL: exit 0.
	code, out, _ = runLintArgs(t, "--nacl", p, "--acl", "clean")
	if code != exitOK || strings.Contains(out, "acl-web") {
		t.Errorf("--acl clean: exit %d output %q", code, out)
	}
}

func TestLintJSON(t *testing.T) {
	p := lintFile(t, lintTwoACLs)
	code, out, _ := runLintArgs(t, "--nacl", p, "--acl", "acl-web", "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		File   string         `json:"file"`
		Format string         `json:"format"`
		Counts map[string]int `json:"counts"`
		ACLs   []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Findings []struct {
				Severity  string `json:"severity"`
				Code      string `json:"code"`
				Direction string `json:"direction"`
				Family    string `json:"family"`
				Rule      int    `json:"rule"`
				Related   []int  `json:"related"`
				Message   string `json:"message"`
				Fix       string `json:"fix"`
				Position  string `json:"position"`
			} `json:"findings"`
		} `json:"acls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.ACLs) != 1 || doc.ACLs[0].ID != "acl-web" || doc.Counts["error"] != 1 || doc.Format != "text" {
		t.Fatalf("document %+v", doc)
	}
	f := doc.ACLs[0].Findings[1]
	if f.Code != "unreachable-rule" || f.Direction != "inbound" || f.Family != "IPv4" || f.Rule != 300 ||
		len(f.Related) != 1 || f.Related[0] != 200 || !strings.HasSuffix(f.Position, ":5:1") || f.Fix == "" {
		t.Errorf("finding %+v", f)
	}
}

func TestLintErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--nacl FILE is required"},
		{[]string{"--nacl", "/nonexistent/acl.json"}, "nonexistent"},
		{[]string{"--nacl", "x", "--format", "csv"}, "unknown --format"},
		{[]string{"--nacl", "x", "--ephemeral", "solaris"}, "unknown profile"},
		{[]string{"--nacl", lintFile(t, "in 100 allow tcp 0.0.0.0/0 22\n"), "--acl", "nope"}, "nope"},
	} {
		code, _, errs := runLintArgs(t, tc.args...)
		if code != exitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestLintEphemeralFlag(t *testing.T) {
	p := lintFile(t, "in 100 allow tcp 0.0.0.0/0 443\nin 110 allow icmp 0.0.0.0/0 3:4\nout 100 allow tcp 0.0.0.0/0 32768-60999\n")
	_, out, _ := runLintArgs(t, "--nacl", p)
	if !strings.Contains(out, "narrow-ephemeral") {
		t.Fatalf("default profiles: no narrow-ephemeral finding:\n%s", out)
	}
	code, out, _ := runLintArgs(t, "--nacl", p, "--ephemeral", "linux")
	if code != exitOK || !strings.Contains(out, "no findings") {
		t.Errorf("--ephemeral linux: exit %d\n%s", code, out)
	}
}

// lintFindings runs lint --format json on a native-format NACL text and
// returns the findings of its only ACL and stderr.
func lintFindings(t *testing.T, text string, extra ...string) ([]lintFindingJSON, string) {
	t.Helper()
	return lintFindingsFile(t, lintFile(t, text), extra...)
}

// lintFindingJSON is one finding of lint's JSON output.
type lintFindingJSON struct {
	Code      string `json:"code"`
	Direction string `json:"direction"`
	Rule      int    `json:"rule"`
	Message   string `json:"message"`
	Fix       string `json:"fix"`
}

// lintFindingsFile runs lint --format json on a NACL file.
func lintFindingsFile(t *testing.T, path string, extra ...string) ([]lintFindingJSON, string) {
	t.Helper()
	_, out, errs := runLintArgs(t, append([]string{"--nacl", path, "--format", "json"}, extra...)...)
	var doc struct {
		ACLs []struct {
			Findings []lintFindingJSON `json:"findings"`
		} `json:"acls"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.ACLs) != 1 {
		t.Fatalf("%v\n%s\n%s", err, out, errs)
	}
	return doc.ACLs[0].Findings, errs
}

// TestLintNarrowEphemeralFixApplies lints a reply rule that has the ports
// but not the clients' CIDR, applies each alternative of the fix to the
// file and lints again: the narrow-ephemeral finding must be gone.
func TestLintNarrowEphemeralFixApplies(t *testing.T) {
	const acl = "in  100 allow tcp 10.0.0.0/8 80\nin  110 allow tcp 10.0.0.0/8 443\nin  120 allow icmp 0.0.0.0/0 3:4\nout 140 allow tcp 10.1.0.0/16 1024-65535\n"
	fs, _ := lintFindings(t, acl)
	var fix string
	for _, f := range fs {
		if f.Code == "narrow-ephemeral" {
			fix = f.Fix
			if f.Rule != 140 || !strings.Contains(f.Message, "address gap") || strings.Contains(f.Fix, "widen outbound rule 140") {
				t.Fatalf("finding %+v", f)
			}
		}
	}
	if fix == "" {
		t.Fatalf("no narrow-ephemeral finding: %+v", fs)
	}
	quoted := regexp.MustCompile("`([^`]+)`")
	alts := strings.Split(fix, ", or ")
	if len(alts) != 2 {
		t.Fatalf("want a CIDR change or a new rule: %q", fix)
	}
	for _, alt := range alts {
		text := acl
		for _, m := range quoted.FindAllStringSubmatch(alt, -1) {
			f := strings.Fields(m[1])
			re := regexp.MustCompile(`(?m)^` + f[0] + ` +` + f[1] + ` .*$`)
			if re.MatchString(text) {
				text = re.ReplaceAllString(text, m[1])
			} else {
				text += m[1] + "\n"
			}
		}
		after, _ := lintFindings(t, text)
		for _, f := range after {
			if f.Code == "narrow-ephemeral" || f.Code == "no-return-path" {
				t.Errorf("after %q:\n%s\nstill %+v", alt, text, f)
			}
		}
	}
}

// TestLintICMPv6OnIPv4File: the readers reset the ICMP type/code of an
// ICMPv6 entry with an IPv4 CIDR, so lint reports no ignored-icmp-fields
// finding for files; the validator's warning (on stderr) says what the
// entry matches instead.
func TestLintICMPv6OnIPv4File(t *testing.T) {
	js := filepath.Join(t.TempDir(), "acl.json")
	if err := os.WriteFile(js, []byte(`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
		{"RuleNumber": 100, "Protocol": "58", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0", "IcmpTypeCode": {"Type": 2, "Code": 0}}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{lintFile(t, "in 100 allow icmpv6 0.0.0.0/0 2\n"), js} {
		fs, errs := lintFindingsFile(t, path)
		for _, f := range fs {
			if f.Code == "ignored-icmp-fields" {
				t.Errorf("%s: unexpected %+v", path, f)
			}
		}
		if !strings.Contains(errs, "AWS ignores the ICMP type/code and matches every type") ||
			!strings.Contains(errs, "only matches IPv4 packets carrying protocol 58") {
			t.Errorf("%s: stderr lacks the validator's warning:\n%s", path, errs)
		}
	}
}
