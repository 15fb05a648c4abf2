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

// The advice of fixes no sample produces, as nacl/replay wrote it before
// it became data, joined as the report prints it.
func TestFixNotes(t *testing.T) {
	f := &replay.Fix{Notes: []replay.FixNote{
		{Kind: replay.NoteExactPorts},
		{Kind: replay.NotePortsLeftOut, Ports: []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{Kind: replay.NoteMerged},
		{Kind: replay.NoteNoRuleNumber, Below: 96, Blocking: 100},
		{Kind: replay.NoteACLFull},
	}}
	want := "ports: the observed client ports fit no known ephemeral profile, so the rule covers exactly the observed range; " +
		"port(s) 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (12 in all) left out: conversations that get no fix (refused, unanswered or denied on purpose) use them; " +
		"merged to fit the quota: wider than the observed traffic; " +
		"no free rule number between 96 and the blocking rule 100: renumber the rules to make room; " +
		"no free rule number: the ACL uses every number"
	if got := FixNotes(f); got != want {
		t.Errorf("notes:\n got %s\nwant %s", got, want)
	}
	if got := FixNotes(&replay.Fix{}); got != "" {
		t.Errorf("no notes: %q", got)
	}
}
