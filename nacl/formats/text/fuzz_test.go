package text

import (
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a write/read round trip unchanged.
func FuzzParse(f *testing.F) {
	formattest.AddSeeds(f, "readme-example.nacl")
	f.Add([]byte("in 100 allow tcp 0.0.0.0/0 22\nout 100 allow all ::/0\n"))
	f.Add([]byte("acl \"a b\" name \"x#y\" subnets s1,s2 default\nin 1 deny icmp 10.0.0.0/8 -1:3 # c\n"))
	f.Add([]byte("in 32768 deny -1 ::/0\nin 5 allow 47 1.2.3.4/8 9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		formattest.RewriteIsExact(t, acls, Write, Parse, "fuzz2")
	})
}
