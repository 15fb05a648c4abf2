package cfn

import (
	"runtime"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
	"github.com/flowverify/flowverify/nacl/formats/limits"
)

// TestHostileInput reads templates built to exhaust memory or time: each
// ends in an ordinary error at the offending position naming the limit,
// after allocating a bounded amount (bytes are measured, not time).
func TestHostileInput(t *testing.T) {
	for _, tc := range []struct {
		file, pos, msg string
		limits         limits.Limits
	}{
		{"join_aliases.yaml", "join_aliases.yaml:23:12", "expression too large: more than 1048576 bytes (raise with --max-expr-bytes)", limits.Limits{}},
		{"split.yaml", "split.yaml:16:30", "expression too large: more than 1000 elements (raise with --max-expr-elements)", limits.Limits{Elements: 1000}},
		{"join_aliases.yaml", "join_aliases.yaml:", "expression too complex: more than 20 evaluation steps (raise with --max-expr-steps)", limits.Limits{Steps: 20}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := formattest.ReadTestdata(t, "hostile/"+tc.file)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			acls, _, err := ParseWith(tc.file, data, Options{Limits: tc.limits})
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.pos) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v\nwant %s ... %s", err, tc.pos, tc.msg)
			}
			if len(acls) != 1 || acls[0].ID != "Acl" {
				t.Errorf("the ACL was lost: %+v", acls)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
}
