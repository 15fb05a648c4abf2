package awsjson

import (
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a write/read round trip unchanged.
func FuzzParse(f *testing.F) {
	formattest.AddSeeds(f, "*.json")
	f.Add([]byte(`{"NetworkAclId":"acl-1","Entries":[{"CidrBlock":"10.0.0.0/8","Egress":"true","Protocol":17,"PortRange":{"From":"53","To":53},"RuleAction":"ALLOW","RuleNumber":"5"}]}`))
	f.Add([]byte(`[{"NetworkAclId":"acl-2","Entries":[{"Ipv6CidrBlock":"2001:db8::1/32","Egress":false,"Protocol":"58","IcmpTypeCode":{"Type":1},"RuleAction":"deny","RuleNumber":7}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		formattest.RewriteIsExact(t, acls, Write, Parse, "fuzz2.json")
	})
}
