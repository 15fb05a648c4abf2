package terraform

import (
	"bytes"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
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
