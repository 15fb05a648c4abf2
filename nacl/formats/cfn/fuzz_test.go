package cfn

import (
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func FuzzParseCFN(f *testing.F) {
	formattest.AddSeeds(f, "*.yaml", "*.json")
	f.Add([]byte("Resources:\n  A: &a\n    Type: AWS::EC2::NetworkAcl\n  B: *a\n"))
	f.Add([]byte("Parameters:\n  P: {Default: !Ref P}\nResources:\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: !Sub '${P}', CidrBlock: !Sub ['${X}', {X: !Ref P}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		acls, _, err := parse("f.yaml", data)
		if err != nil {
			return
		}
		formattest.RewriteKeepsEntries(t, acls, write, parse, "w.yaml")
	})
}
