package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	sarifSchemaOnce sync.Once
	sarifSchema     *jsonschema.Schema
	sarifSchemaErr  error
	// sarifSchemaPath is the OASIS SARIF 2.1.0 schema (errata01,
	// sarif-2.1/schema/sarif-schema-2.1.0.json of oasis-tcs/sarif-spec) in
	// ../shared/schemas beside the repository (see its SOURCE.md); absolute,
	// as the tests change directory.
	sarifSchemaPath, _ = filepath.Abs(filepath.Join("..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json"))
)

// loadSARIFSchema compiles the schema once; nil when it is absent.
func loadSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sarifSchemaOnce.Do(func() {
		f, err := os.Open(sarifSchemaPath)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			sarifSchemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			sarifSchemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if sarifSchemaErr = c.AddResource("sarif-schema-2.1.0.json", doc); sarifSchemaErr != nil {
			return
		}
		sarifSchema, sarifSchemaErr = c.Compile("sarif-schema-2.1.0.json")
	})
	if sarifSchemaErr != nil {
		t.Fatalf("SARIF schema %s: %v", sarifSchemaPath, sarifSchemaErr)
	}
	return sarifSchema
}

// validateSARIF checks out against the OASIS SARIF 2.1.0 schema (formats
// asserted) when ../shared holds it, checks the structure the tests rely
// on in any case, and decodes it.
func validateSARIF(t *testing.T, out string) sarifDoc {
	t.Helper()
	if sch := loadSARIFSchema(t); sch != nil {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("output is not valid SARIF 2.1.0: %v\n%s", err, out)
		}
	} else {
		t.Logf("SARIF schema not found at %s: structural checks only", sarifSchemaPath)
	}
	var d sarifDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != "2.1.0" || d.Schema == "" || len(d.Runs) != 1 || d.Runs[0].Tool.Driver.Name == "" || len(d.Runs[0].Invocations) != 1 {
		t.Fatalf("not a one-run SARIF 2.1.0 log:\n%s", out)
	}
	for _, r := range d.Runs[0].Results {
		if !slices.Contains([]string{"none", "note", "warning", "error"}, r.Level) || r.Message.Text == "" {
			t.Errorf("result %s: level %q, message %q", r.RuleID, r.Level, r.Message.Text)
		}
		for _, l := range r.Locations {
			if u := l.PhysicalLocation.ArtifactLocation.URI; u != "" {
				if _, err := url.Parse(u); err != nil || l.PhysicalLocation.Region.StartLine < 0 {
					t.Errorf("result %s: uri %q line %d", r.RuleID, u, l.PhysicalLocation.Region.StartLine)
				}
			}
		}
	}
	return d
}

// sarifDoc is the part of a SARIF log the tests read.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
		} `json:"invocations"`
		Results []sarifTestResult `json:"results"`
	} `json:"runs"`
}

type sarifTestResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex int    `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			FullyQualifiedName string `json:"fullyQualifiedName"`
		} `json:"logicalLocations"`
	} `json:"locations"`
}

// where is "URI:LINE" of a result's first location.
func (r *sarifTestResult) where() string {
	if len(r.Locations) == 0 {
		return ""
	}
	p := r.Locations[0].PhysicalLocation
	return p.ArtifactLocation.URI + ":" + strconv.Itoa(p.Region.StartLine)
}

// resultsByKey indexes results by "RULEID@URI:LINE".
func resultsByKey(t *testing.T, d sarifDoc) map[string]sarifTestResult {
	t.Helper()
	run := d.Runs[0]
	m := map[string]sarifTestResult{}
	for _, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s: ruleIndex %d does not point at its rule", r.RuleID, r.RuleIndex)
		}
		m[r.RuleID+"@"+r.where()] = r
	}
	return m
}

// chdirTemp writes files into a temporary directory and makes it the
// working directory, so that relative NACL paths are what SARIF shows.
func chdirTemp(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

const sarifLintACL = `acl acl-x name x
in  100 allow tcp 0.0.0.0/0 22
in  100 deny  tcp 0.0.0.0/0 23
in  200 deny  all 10.0.0.0/8
in  300 allow tcp 10.1.0.0/16 443
out 100 allow tcp 0.0.0.0/0 1024-65535
`

func TestLintSARIF(t *testing.T) {
	chdirTemp(t, map[string]string{"acl.txt": sarifLintACL})
	code, out, errs := runLintArgs(t, "--nacl", "acl.txt", "--format", "sarif")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFindings, errs)
	}
	d := validateSARIF(t, out)
	if d.Runs[0].Tool.Driver.Name != "flowverify" || d.Runs[0].Tool.Driver.Version == "" {
		t.Errorf("driver %+v", d.Runs[0].Tool.Driver)
	}
	m := resultsByKey(t, d)
	for key, level := range map[string]string{
		"duplicate-rule-number@acl.txt:3": "error", // the second rule 100
		"unreachable-rule@acl.txt:5":      "error", // 300 hidden by 200
		"redundant-rule@acl.txt:4":        "note",
	} {
		r, ok := m[key]
		if !ok {
			t.Errorf("no result %s in %v", key, keys(m))
			continue
		}
		if r.Level != level {
			t.Errorf("%s: level %q, want %q", key, r.Level, level)
		}
	}
	if r := m["unreachable-rule@acl.txt:5"]; !strings.Contains(r.Message.Text, "Fix: ") ||
		len(r.Locations[0].LogicalLocations) == 0 || r.Locations[0].LogicalLocations[0].FullyQualifiedName != "acl-x/inbound/300" {
		t.Errorf("unreachable-rule result lacks its fix or logical location: %+v", r)
	}
}

func keys(m map[string]sarifTestResult) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestLintFailOn(t *testing.T) {
	warnOnly := "acl acl-w\nin 100 allow tcp 0.0.0.0/0 22\nout 100 allow tcp 0.0.0.0/0 32768-60999\n" // narrow ephemeral: warning
	p := lintFile(t, warnOnly)
	_, out, _ := runLintArgs(t, "--nacl", p)
	if !strings.Contains(out, "0 errors") || strings.Contains(out, " 0 warnings") {
		t.Fatalf("the test ACL should have warnings and no error:\n%s", out)
	}
	for _, tc := range []struct {
		failOn string
		want   int
	}{
		{"", exitOK}, {"error", exitOK}, {"warning", exitFindings}, {"info", exitFindings}, {"never", exitOK}, {"bogus", exitError},
	} {
		args := []string{"--nacl", p}
		if tc.failOn != "" {
			args = append(args, "--fail-on", tc.failOn)
		}
		if code, _, errs := runLintArgs(t, args...); code != tc.want {
			t.Errorf("--fail-on %q: exit %d, want %d (%s)", tc.failOn, code, tc.want, errs)
		}
	}
	// An error-level finding still exits 0 with never.
	if code, _, _ := runLintArgs(t, "--nacl", lintFile(t, sarifLintACL), "--fail-on", "never"); code != exitOK {
		t.Errorf("--fail-on never with errors: exit %d", code)
	}
}

// webserverNACL is pcaps/webserver.nacl as the tests read it.
func webserverNACL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "pcaps", "webserver.nacl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckSARIF(t *testing.T) {
	pcap, err := filepath.Abs(filepath.Join("..", "..", "pcaps", "webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	chdirTemp(t, map[string]string{"web.nacl": webserverNACL(t)})
	out, errs, code := runCLI(t, nil, "check", "--nacl", "web.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "sarif", pcap)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFindings, errs)
	}
	d := validateSARIF(t, out)
	if !d.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("a complete capture is reported as an unsuccessful run")
	}
	m := resultsByKey(t, d)
	// The mirror's replies hit "in 130 deny" (line 13): breakage, with its proved fix.
	r, ok := m["denied-breakage@web.nacl:13"]
	if !ok {
		t.Fatalf("no breakage result at rule 130's line; have %v", keys(m))
	}
	if r.Level != "error" || !strings.Contains(r.Message.Text, "rule 130") || !strings.Contains(r.Message.Text, "Fix, proved by replaying the capture: in 125 allow tcp 192.0.2.80/32") {
		t.Errorf("rule 130 result: %+v", r)
	}
	// The echo to the mirror is denied by the default rule: placed on the ACL line.
	if _, ok := m["denied-breakage@web.nacl:9"]; !ok {
		t.Errorf("no result for the default rule at the ACL's line 9; have %v", keys(m))
	}
	if !strings.Contains(r.Message.Text, " Breakage: ") {
		t.Errorf("rule 130 result does not say why it is breakage: %s", r.Message.Text)
	}
	// --packets has no SARIF form.
	if _, errs, code := runCLI(t, nil, "check", "--nacl", "web.nacl", "--subnet", "10.0.1.0/24", "--format", "sarif", "--packets", pcap); code != exitError || !strings.Contains(errs, "--packets") {
		t.Errorf("--packets with sarif: exit %d, %s", code, errs)
	}
}

func TestCheckSARIFIncomplete(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "pcaps", "webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	chdirTemp(t, map[string]string{"web.nacl": webserverNACL(t), "cut.pcap": string(b[:len(b)-7])})
	out, errs, code := runCLI(t, nil, "check", "--nacl", "web.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "sarif", "cut.pcap")
	if code != exitError {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitError, errs)
	}
	d := validateSARIF(t, out)
	if d.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("a cut capture is reported as a successful run")
	}
	if !bytes.Contains([]byte(out), []byte("cut.pcap: frame")) {
		t.Errorf("the SARIF run does not name the cut file and frame:\n%s", out)
	}
	if len(d.Runs[0].Results) == 0 {
		t.Error("what was read is not reported")
	}
}

func TestDiffSARIF(t *testing.T) {
	pcap, err := filepath.Abs(filepath.Join("..", "..", "pcaps", "webserver.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	old := webserverNACL(t)
	// The new NACL drops HTTP (line 11) and adds the reply rule for the mirror.
	nw := strings.Replace(old, "in  110 allow tcp 0.0.0.0/0 80\n", "", 1)
	nw = strings.Replace(nw, "in  130 deny", "in  125 allow tcp 192.0.2.80/32 32768-65535\nin  130 deny", 1)
	if nw == old {
		t.Fatal("the edit changed nothing")
	}
	chdirTemp(t, map[string]string{"old.nacl": old, "new.nacl": nw})
	out, errs, code := runCLI(t, nil, "diff", "--nacl", "old.nacl", "--nacl-new", "new.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "sarif", pcap)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitFindings, errs)
	}
	m := resultsByKey(t, validateSARIF(t, out))
	// HTTP requests now fall through to the default rule: placed on the ACL line of the new file.
	if r, ok := m["newly-denied@new.nacl:9"]; !ok || r.Level != "error" || !strings.Contains(r.Message.Text, "rule 32767") {
		t.Errorf("newly denied HTTP: %+v; have %v", r, keys(m))
	}
	// The mirror's replies are now allowed by the new rule 125 (line 12 of new.nacl).
	if r, ok := m["newly-allowed@new.nacl:12"]; !ok || r.Level != "note" || !strings.Contains(r.Message.Text, "rule 125") {
		t.Errorf("newly allowed replies: %+v; have %v", r, keys(m))
	}
}

// TestSARIFSchemaRejects makes sure the validation can fail: a level
// SARIF does not define and a missing version are refused.
func TestSARIFSchemaRejects(t *testing.T) {
	chdirTemp(t, map[string]string{"acl.txt": sarifLintACL})
	_, out, _ := runLintArgs(t, "--nacl", "acl.txt", "--format", "sarif")
	validateSARIF(t, out)
	if sarifSchema == nil {
		t.Skipf("SARIF schema not found at %s", sarifSchemaPath)
	}
	for name, bad := range map[string]string{
		"level":   strings.Replace(out, `"level": "error"`, `"level": "fatal"`, 1),
		"version": strings.Replace(out, `"version": "2.1.0"`, `"version": "2.0.0"`, 1),
	} {
		if bad == out {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sarifSchema.Validate(inst) == nil {
			t.Errorf("%s: an invalid document passed the schema", name)
		}
	}
}

func TestSARIFFlowLogsRefused(t *testing.T) {
	root := filepath.Join("..", "..", "pcaps")
	_, errs, code := runCLI(t, nil, "check", "--nacl", filepath.Join(root, "vpc-acls.json"), "--subnets", filepath.Join(root, "vpc-subnets.json"),
		"--vpc-cidr", "10.0.0.0/16", "--format", "sarif", filepath.Join(root, "flowlogs", "vpc-two-subnets.log"))
	if code != exitError || !strings.Contains(errs, "sarif is for captures") {
		t.Errorf("flow logs with --format sarif: exit %d, stderr %s", code, errs)
	}
}

// TestCheckSARIFIntended: a port scan's denials are intended: notes, not errors.
func TestCheckSARIFIntended(t *testing.T) {
	pcap := filepath.Join("..", "..", "pcaps", "portscan.pcap")
	out, errs, code := runCLI(t, nil, "check", "--nacl", filepath.Join("..", "..", "pcaps", "webserver.nacl"), "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--format", "sarif", pcap)
	if code != exitFindings {
		t.Fatalf("exit %d; stderr %s", code, errs)
	}
	d := validateSARIF(t, out)
	n := 0
	for _, r := range d.Runs[0].Results {
		if r.RuleID == "denied-intended" {
			n++
			if r.Level != "note" || !strings.Contains(r.Message.Text, "Intended: ") {
				t.Errorf("intended result: %+v", r)
			}
		}
	}
	if n == 0 {
		t.Errorf("no denied-intended result for the port scan:\n%s", out)
	}
}
