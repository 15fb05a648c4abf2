package render

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl/replay"
)

// Only the exemptions without an AWS statement get a note, and it says
// UNCONFIRMED.
func TestExemptNote(t *testing.T) {
	if n := ExemptNote(replay.ReasonECSMetadata); !strings.Contains(n, "169.254.170.2 is UNCONFIRMED") {
		t.Errorf("ECS metadata note %q", n)
	}
	for _, r := range []string{replay.ReasonAmazonDNS, replay.ReasonMetadata, replay.ReasonTimeSync} {
		if n := ExemptNote(r); n != "" {
			t.Errorf("%s: note %q, want none", r, n)
		}
	}
}
