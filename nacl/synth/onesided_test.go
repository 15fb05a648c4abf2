package synth

import (
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// TestOneSidedIsKept: a conversation whose capture holds only the client's
// SYN and data that acknowledges the server (flows.StateOneSided, issue 10)
// worked, so synth keeps it; an unanswered SYN did not.
func TestOneSidedIsKept(t *testing.T) {
	c := conv(1, capture.ProtoTCP, "10.0.1.10", 40000, "192.0.2.5", 646)
	c.State = flows.StateOneSided
	if r := failedReason(c); r != "" {
		t.Errorf("one-sided conversation treated as failed: %s", r)
	}
	c.State = flows.StateUnanswered
	if failedReason(c) == "" {
		t.Error("unanswered conversation kept")
	}
}
