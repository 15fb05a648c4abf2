package cfn

import (
	"runtime"
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
	"github.com/flowverify/flowverify/nacl/formats/limits"
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

// fuzzLimits are small evaluation limits for FuzzEvalCFN.
var fuzzLimits = limits.Limits{Bytes: 1 << 16, Elements: 2000, Steps: 200_000}

// FuzzEvalCFN feeds templates to the intrinsic-function evaluator with
// small limits: no panic, no more steps than the budget, and a bounded
// allocation per input (the work budget stands in for a time budget,
// which a test cannot assert reliably).
func FuzzEvalCFN(f *testing.F) {
	formattest.AddSeeds(f, "*.yaml", "*.json", "hostile/*.yaml")
	f.Add([]byte("Parameters:\n  P: {Type: CommaDelimitedList, Default: 'a,b'}\nConditions:\n  C: !Equals [!Select [0, !Ref P], a]\nResources:\n  A:\n    Type: AWS::EC2::NetworkAcl\n    Condition: C\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: !Ref A, CidrBlock: !Select [1, !Cidr [10.0.0.0/16, 4, 8]], RuleNumber: !If [C, 1, 2]}\n"))
	f.Add([]byte("Mappings: {M: {k: {v: &a !Join ['', [x, x]], w: !Join ['', [*a, *a]]}}}\nResources:\n  A: {Type: AWS::EC2::NetworkAcl, Properties: {Tags: [{Key: Name, Value: !FindInMap [M, k, w]}]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, _ = ParseWith("f.yaml", data, Options{Limits: fuzzLimits})
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Fatalf("allocated %d MiB for a %d-byte input", grew>>20, len(data))
		}
	})
}
