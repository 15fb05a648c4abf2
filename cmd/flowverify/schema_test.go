package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaDir holds the hand-written JSON Schemas of the JSON documents.
const schemaDir = "render/schema"

// compileSchema compiles schemaDir/name (its $refs to common.schema.json
// resolve beside it).
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(schemaDir, name))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("schema %s: %v", name, err)
	}
	return sch
}

// validateJSON checks out against sch and returns the error.
func validateJSON(t *testing.T, sch *jsonschema.Schema, out string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%.300s", err, out)
	}
	return sch.Validate(inst)
}

// The JSON output of every command, on the sample captures, is valid
// against its schema; a document with a broken field is not (so the
// schemas check something).
func TestJSONSchemas(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.nacl")
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte(strings.Replace(string(orig), "in  130 deny  tcp", "in  130 allow tcp", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "synth.json")
	topo := []string{"--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16"}
	cases := []struct {
		schema string
		args   []string
		file   string // read the document from this file, not stdout
		// mutate breaks the document in a way the schema must reject.
		mutate [2]string
	}{
		{"check.schema.json", append(append([]string{"check", "--format", "json", "--nacl", samples + "webserver.nacl"}, topo...), samples+"webserver.pcap"), "", [2]string{`"direction": "inbound"`, `"direction": "in"`}},
		{"check.schema.json", append(append([]string{"check", "--format", "json", "--nacl", samples + "twotier.nacl", "--all"}, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24"), samples+"twotier.pcap"), "", [2]string{`"complete": true`, `"complete": "yes"`}},
		{"diff.schema.json", append(append([]string{"diff", "--format", "json", "--nacl", samples + "webserver.nacl", "--nacl-new", broken}, topo...), samples+"webserver.pcap"), "", [2]string{`"change": "newly-allowed"`, `"change": "allowed"`}},
		{"flows.schema.json", []string{"flows", "--format", "json", samples + "webserver.pcap"}, "", [2]string{`"ip_version": 4`, `"ip_version": 5`}},
		{"flows.schema.json", []string{"flows", "--format", "json", samples + "ipv6.pcap"}, "", [2]string{`"records": `, `"records": -`}},
		{"lint.schema.json", []string{"lint", "--format", "json", "--nacl", samples + "webserver.nacl"}, "", [2]string{`"severity": "warning"`, `"severity": "minor"`}},
		{"synth-report.schema.json", append([]string{"synth", "--report-format", "json", "--report", report, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16"}, samples+"webserver.pcap"), report, [2]string{`"rule_number": `, `"rule_number": -`}},
	}
	for _, c := range cases {
		t.Run(c.schema+"/"+c.args[0], func(t *testing.T) {
			sch := compileSchema(t, c.schema)
			out, errs, code := runCLI(t, nil, c.args...)
			if code == exitError {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if c.file != "" {
				data, err := os.ReadFile(c.file)
				if err != nil {
					t.Fatal(err)
				}
				out = string(data)
			}
			if err := validateJSON(t, sch, out); err != nil {
				t.Fatalf("%v output is not valid against %s: %v", c.args[:2], c.schema, err)
			}
			if !strings.Contains(out, c.mutate[0]) {
				t.Fatalf("output has no %q to break", c.mutate[0])
			}
			if validateJSON(t, sch, strings.Replace(out, c.mutate[0], c.mutate[1], 1)) == nil {
				t.Errorf("%s accepts a document with %q", c.schema, c.mutate[1])
			}
		})
	}
}

// jsonl: every line of check and flows is a conversation of its JSON
// document's schema, and the last line of an incomplete run is the
// incomplete line.
func TestJSONLSchemas(t *testing.T) {
	data, err := os.ReadFile(samples + "webserver.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	incomplete := compileSchema(t, "incomplete-line.schema.json")
	cases := []struct {
		schema string
		args   []string
	}{
		{"check.schema.json#/$defs/conversation", append(append([]string(nil), webArgs...), "--format", "jsonl", "--all")},
		{"flows.schema.json#/$defs/conversation", []string{"flows", "--format", "jsonl"}},
	}
	for _, c := range cases {
		sch := compileSchema(t, c.schema)
		for _, in := range []string{samples + "webserver.pcap", cut} {
			out, _, _ := runCLI(t, nil, append(c.args, in)...)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if in == cut {
				if err := validateJSON(t, incomplete, lines[len(lines)-1]); err != nil {
					t.Errorf("%s %s: last line is not the incomplete line: %v", c.args[0], in, err)
				}
				lines = lines[:len(lines)-1]
			}
			if len(lines) < 2 {
				t.Fatalf("%s %s: %d lines", c.args[0], in, len(lines))
			}
			for i, line := range lines {
				if err := validateJSON(t, sch, line); err != nil {
					t.Errorf("%s %s line %d: %v", c.args[0], in, i+1, err)
				}
			}
		}
	}
}
