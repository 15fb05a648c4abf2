package aclfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary files to format detection and every parser:
// nothing may panic, and an accepted file must evaluate identically after
// being written as text and read back.
func FuzzParse(f *testing.F) {
	for _, g := range []string{"../formats/awsjson/testdata/*.json", "../formats/text/testdata/*.nacl"} {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(filepath.Base(p), data)
			}
		}
	}
	f.Add("main.tf", []byte("resource \"aws_network_acl\" \"main\" {\n  vpc_id = \"vpc-1\"\n  ingress {\n    protocol = \"tcp\"\n    rule_no = 100\n    action = \"allow\"\n    cidr_block = \"10.0.0.0/8\"\n    from_port = 22\n    to_port = 22\n  }\n}\n"))
	f.Add("t.yaml", []byte("Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: vpc-1\n"))
	f.Add("s.json", []byte(`{"format_version":"1.0","values":{"root_module":{}}}`))
	f.Add("x", []byte("in 1 allow udp ::/0 53"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		file, err := Parse(name, data, FormatAuto)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, file.ACLs, FormatText); err != nil {
			t.Fatal(err)
		}
		again, err := Parse("again.nacl", buf.Bytes(), FormatText)
		if err != nil {
			t.Fatalf("re-reading text output: %v\n%s", err, buf.String())
		}
		if len(again.ACLs) != len(file.ACLs) {
			t.Fatalf("%d ACLs, %d after round trip", len(file.ACLs), len(again.ACLs))
		}
		for i := range file.ACLs {
			a, b := comparable(file.ACLs[i], false, false), comparable(again.ACLs[i], false, false)
			if len(a.Entries) != len(b.Entries) {
				t.Fatalf("ACL %d: %d entries, %d after round trip", i, len(a.Entries), len(b.Entries))
			}
			for j := range a.Entries {
				if a.Entries[j] != b.Entries[j] {
					t.Fatalf("ACL %d entry %d: %+v became %+v", i, j, a.Entries[j], b.Entries[j])
				}
			}
		}
	})
}
