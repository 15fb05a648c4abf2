package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
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

// The merges and problems of change sets no sample produces, as
// nacl/replay wrote them before they became data.
func TestChangeSetTexts(t *testing.T) {
	m := replay.QuotaMerge{Direction: nacl.Ingress, A: "in ? allow tcp 198.51.100.1/32 80", B: "in ? allow tcp 198.51.100.2/32 80", To: "in ? allow tcp 198.51.100.0/30 80", AddedSpace: 2}
	if got, want := QuotaMergeText(&m), "inbound IPv4: merged in ? allow tcp 198.51.100.1/32 80 and in ? allow tcp 198.51.100.2/32 80 into in ? allow tcp 198.51.100.0/30 80 to fit the quota (lets through 2 more address x port units than the two rules)"; got != want {
		t.Errorf("merge:\n got %s\nwant %s", got, want)
	}
	q := replay.QuotaCount{Direction: nacl.Egress, IPv6: true, Before: 20, After: 35, Increase: 35}
	cases := []struct {
		p    replay.ProofProblem
		want string
	}{
		{replay.ProofProblem{ACL: "acl-1", Change: replay.ChangeProblem{Kind: replay.ProblemOverQuota, Quota: q, Blocked: 7, Cause: replay.CauseRefused}},
			"acl-1: outbound IPv6: 35 rules after the change (the default rule included), over the default quota of 20: request an increase to 35 (Service Quotas L-2AEEBF1A, at most 40) before applying it; no merge of the fixes fits without letting through traffic that must stay denied (for example conversation #7, intended: refused)"},
		{replay.ProofProblem{ACL: "acl-1", Change: replay.ChangeProblem{Kind: replay.ProblemOverLimit, Quota: replay.QuotaCount{Direction: nacl.Ingress, After: 41}}},
			"acl-1: inbound IPv4: 41 rules after the change (the default rule included), over the hard limit of 40: AWS refuses it; the fixes cannot be merged further: they differ in protocol, leg, ICMP type or the rule they must precede"},
		{replay.ProofProblem{ACL: "acl-2", Change: replay.ChangeProblem{Kind: replay.ProblemNoRuleNumber, Line: "in ? allow tcp 192.0.2.80/32 32768-60999", Blocking: 2}},
			"acl-2: in ? allow tcp 192.0.2.80/32 32768-60999: no free rule number between the rule before it and rule 2: renumber the ACL's rules to make room"},
		{replay.ProofProblem{Err: errors.New("subnet 10.0.1.0/24: two ACLs")}, "the patched ACLs cannot be placed: subnet 10.0.1.0/24: two ACLs"},
	}
	for _, c := range cases {
		if got := ProofProblemText(&c.p); got != c.want {
			t.Errorf("problem:\n got %s\nwant %s", got, c.want)
		}
	}
}
