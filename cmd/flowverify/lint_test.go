package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runLintArgs runs "flowverify lint ARGS" and returns exit code, stdout, stderr.
func runLintArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &runEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(env, append([]string{"lint"}, args...))
	return code, out.String(), errb.String()
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
