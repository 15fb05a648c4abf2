package cfn

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func FuzzParseCFN(f *testing.F) {
	for _, pat := range []string{"*.yaml", "*.json"} {
		files, _ := filepath.Glob(filepath.Join("testdata", pat))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("Resources:\n  A: &a\n    Type: AWS::EC2::NetworkAcl\n  B: *a\n"))
	f.Add([]byte("Parameters:\n  P: {Default: !Ref P}\nResources:\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: !Sub '${P}', CidrBlock: !Sub ['${X}', {X: !Ref P}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := parse("f.yaml", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := write(&buf, acls); err != nil {
			t.Fatalf("Write: %v", err)
		}
		again, _, err := parse("w.yaml", buf.Bytes())
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
