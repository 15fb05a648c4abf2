package synth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/flowlog"
)

// TestReadFlowLogs: an SSH request with its reply is an established
// conversation with the client on the high port; an RDP attempt whose
// every request was REJECTed is a refused connection.
func TestReadFlowLogs(t *testing.T) {
	const log = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789012 eni-1 203.0.113.5 10.0.1.10 40000 22 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.1.10 203.0.113.5 22 40000 6 8 1200 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 203.0.113.5 10.0.1.10 40001 3389 6 2 120 1700000100 1700000160 REJECT OK
`
	p := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ReadFlowLogs([]string{p}, flowlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !in.Summary.Complete() || len(in.Problems) != 0 || in.Summary.Records != 3 {
		t.Fatalf("summary %+v problems %v", in.Summary, in.Problems)
	}
	if len(in.Conversations) != 2 {
		t.Fatalf("%d conversations, want 2", len(in.Conversations))
	}
	states := map[uint16]flows.State{}
	for _, c := range in.Conversations {
		states[c.Server.Port] = c.State
		if c.Client.Port < 40000 || c.ToServer.Packets == 0 {
			t.Errorf("conversation %d: client %v, to server %+v", c.ID, c.Client, c.ToServer)
		}
	}
	if states[22] != flows.StateEstablished || states[3389] != flows.StateRejected {
		t.Errorf("states = %v, want 22 established, 3389 rejected", states)
	}
}
