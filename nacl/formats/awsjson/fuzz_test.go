package awsjson

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a write/read round trip unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"10.0.0.0/8","Egress":"true","Protocol":17,"PortRange":{"From":"53","To":53},"RuleAction":"ALLOW","RuleNumber":"5"}]}`))
	f.Add([]byte(`[{"NetworkAclId":"acl-2","Entries":[{"Ipv6CidrBlock":"2001:db8::1/32","Egress":false,"Protocol":"58","IcmpTypeCode":{"Type":1},"RuleAction":"deny","RuleNumber":7}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		again, _, err := Parse("fuzz2.json", buf.Bytes())
		if err != nil {
			t.Fatalf("re-reading written output: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(stripPos(acls), stripPos(again)) {
			t.Fatalf("round trip differs:\n%s", buf.String())
		}
	})
}
