package terraform

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
	"github.com/flowverify/flowverify/nacl/formats/limits"
)

func FuzzParseTerraform(f *testing.F) {
	formattest.AddSeeds(f, "*.tf")
	f.Add([]byte("resource \"aws_network_acl\" \"a\" {\n  ingress = [{rule_no = 1, action = \"allow\", protocol = \"tcp\", cidr_block = \"10.0.0.0/8\", from_port = 1, to_port = 2}]\n}\n"))
	f.Add([]byte("locals {\n  a = local.a\n}\nresource \"aws_network_acl_rule\" \"r\" {\n  network_acl_id = local.a\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := parseHCL([]file{{"f.tf", data}})
		if err != nil {
			return
		}
		reparse := func(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
			return parseHCL([]file{{name, data}})
		}
		formattest.RewriteKeepsEntries(t, acls, Write, reparse, "w.tf")
	})
}

func FuzzParseTerraformJSON(f *testing.F) {
	formattest.AddSeeds(f, "*.json")
	f.Add([]byte(`{"values": {"root_module": {"child_modules": [{"address": "module.x", "resources": [{"type": "aws_network_acl_rule", "values": {}}]}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, diags, err := parseJSON("f.json", data)
		if err == nil {
			for _, d := range diags {
				if d.Severity == "error" {
					t.Fatalf("error diagnostic without error: %v", d)
				}
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, acls); err != nil {
			t.Fatalf("Write: %v", err)
		}
	})
}

// fuzzLimits are small evaluation limits for the fuzz targets: every input
// must stay within them, and within fuzzAllocBudget bytes of allocation.
var fuzzLimits = limits.Limits{Bytes: 1 << 16, Elements: 2000, Steps: 200_000}

// fuzzAllocBudget bounds what reading one fuzz input may allocate.
const fuzzAllocBudget = 256 << 20

// FuzzEvalTerraform feeds configurations (native and JSON syntax) to the
// expression evaluator with small limits: no panic, no more steps than
// the budget, the size estimate never below the value it bounds, and a
// bounded allocation per input, whatever the input computes (the work budget stands in for a time budget, which a test
// cannot assert reliably).
func FuzzEvalTerraform(f *testing.F) {
	formattest.AddSeeds(f, "*.tf", "hostile/*.tf", "split/*.tf")
	f.Add([]byte("locals {\n  a = [for i in [1,2,3] : [for j in [1,2,3] : format(\"%05d\", i*j)]]\n  b = join(\",\", flatten(local.a))\n}\nresource \"aws_network_acl\" \"x\" {\n  count = length(local.a)\n  tags = { Name = local.b }\n}\n"))
	f.Add([]byte(`{"locals": {"s": "${join(\"\", [for i in [1,2] : \"ab\"])}"}, "resource": {"aws_network_acl": {"a": {"for_each": {"x": 1}, "tags": {"Name": "${each.key}${local.s}"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := newReader(fuzzLimits)
		name := "f.tf"
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			name = "f.tf.json"
		}
		s, _ := r.module([]file{{name, data}}, "", "", nil, true)
		// The estimate that guards evaluation must bound what it guards.
		for n, l := range s.locals {
			v, prob := s.eval(l.expr, nil)
			if prob != nil {
				continue
			}
			got, est := measure(v, 1e18, 1e18), s.estimate(l.expr, nil)
			if est.bytes < got.bytes || est.elems < got.elems {
				t.Fatalf("local.%s: estimate %+v below the value's size %+v", n, est, got)
			}
		}
		r.finish()
		runtime.ReadMemStats(&after)
		if r.budget.Spent() > fuzzLimits.Steps {
			t.Fatalf("spent %d steps, budget %d", r.budget.Spent(), fuzzLimits.Steps)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > fuzzAllocBudget {
			t.Fatalf("allocated %d MiB for a %d-byte input", grew>>20, len(data))
		}
	})
}
