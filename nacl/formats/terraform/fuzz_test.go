package terraform

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// addSeeds adds every testdata file with the extension as a seed.
func addSeeds(f *testing.F, ext string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"+ext))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseTerraform(f *testing.F) {
	addSeeds(f, ".tf")
	f.Add([]byte("resource \"aws_network_acl\" \"a\" {\n  ingress = [{rule_no = 1, action = \"allow\", protocol = \"tcp\", cidr_block = \"10.0.0.0/8\", from_port = 1, to_port = 2}]\n}\n"))
	f.Add([]byte("locals {\n  a = local.a\n}\nresource \"aws_network_acl_rule\" \"r\" {\n  network_acl_id = local.a\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := parseHCL([]file{{"f.tf", data}})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, acls); err != nil {
			t.Fatalf("Write: %v", err)
		}
		again, _, err := parseHCL([]file{{"w.tf", buf.Bytes()}})
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, buf.String())
		}
		if len(again) != len(acls) {
			t.Fatalf("%d ACLs after rewrite, want %d", len(again), len(acls))
		}
		for i := range acls {
			if a, b := comparableEntries(acls[i].Entries), comparableEntries(again[i].Entries); !reflect.DeepEqual(a, b) {
				t.Fatalf("entries changed:\n%+v\n%+v", a, b)
			}
		}
	})
}

func FuzzParseTerraformJSON(f *testing.F) {
	addSeeds(f, ".json")
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
