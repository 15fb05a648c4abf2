package flowcheck

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/replay"
)

const runACL = `in 100 allow tcp 0.0.0.0/0 22
in 110 allow tcp 0.0.0.0/0 443
out 100 allow tcp 0.0.0.0/0 1024-65535
`

// runLog is a default-format (version 2) log: an SSH request and its
// reply, an RDP attempt the NACL rejects, an HTTPS attempt a security
// group rejects (the NACL allows it).
const runLog = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789012 eni-1 203.0.113.5 10.0.1.10 40000 22 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.1.10 203.0.113.5 22 40000 6 8 1200 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 203.0.113.5 10.0.1.10 40001 3389 6 2 120 1700000100 1700000160 REJECT OK
2 123456789012 eni-1 203.0.113.6 10.0.1.10 40002 443 6 3 180 1700000200 1700000260 REJECT OK
`

func runJudge(t *testing.T, acl string) *replay.Judge {
	t.Helper()
	return simpleChecker(t, acl, "10.0.1.0/24").j
}

func writeLog(t *testing.T) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "run.log")
	if err := os.WriteFile(p, []byte(runLog), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{p}
}

// TestRun checks the totals, the examples (capped by MaxExamples, in
// input order, with their lines), the conversations and the window.
func TestRun(t *testing.T) {
	paths := writeLog(t)
	j := runJudge(t, runACL)
	rep, err := Run(paths, j, Options{MaxExamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Summary.Complete() || len(rep.Problems) != 0 {
		t.Fatalf("incomplete read: %+v %v", rep.Summary, rep.Problems)
	}
	tt := rep.Totals
	if tt.Records != 4 || tt.Allow != 3 || tt.Deny != 1 || tt.NACL != 1 || tt.NotNACL != 1 || tt.AcceptWouldDeny != 0 {
		t.Errorf("totals = %+v", tt)
	}
	if len(rep.Explained) != 1 || rep.Explained[0].Record.Line != 4 || rep.Explained[0].Result.Check().Rule != nacl32767 {
		t.Errorf("explained = %+v", rep.Explained)
	}
	if len(rep.Unexplained) != 1 || rep.Unexplained[0].Record.Line != 5 || rep.Unexplained[0].Result.Check().Rule != 110 {
		t.Errorf("unexplained = %+v", rep.Unexplained)
	}
	if rep.Conversations != 3 {
		t.Errorf("conversations = %d, want 3", rep.Conversations)
	}
	if len(rep.Hits) == 0 {
		t.Error("no hits")
	}

	none, err := Run(paths, j, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(none.Explained)+len(none.Unexplained) != 0 || none.Totals.Records != 4 {
		t.Errorf("MaxExamples 0: %d examples, %d records", len(none.Explained)+len(none.Unexplained), none.Totals.Records)
	}

	// A window starting after the SSH records keeps the last two.
	win := replay.Window{Since: replay.TimeBound{Set: true, Abs: time.Unix(1700000090, 0)}}
	late, err := Run(paths, j, Options{Window: win})
	if err != nil {
		t.Fatal(err)
	}
	if late.Totals.Records != 2 || late.Conversations != 2 {
		t.Errorf("windowed: %d records, %d conversations, want 2, 2", late.Totals.Records, late.Conversations)
	}
}

// nacl32767 is the default deny rule's number.
const nacl32767 = 32767

// TestRecords checks the second pass: every record in order with its
// conversation and leg from the first.
func TestRecords(t *testing.T) {
	paths := writeLog(t)
	j := runJudge(t, runACL)
	rep, err := Run(paths, j, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int64
	var legs []flowlog.Leg
	var convs []int
	err = rep.Records(paths, j, Options{}, func(v *RecordVisit) error {
		lines = append(lines, v.Rec.Line)
		legs = append(legs, v.Leg)
		convs = append(convs, v.Conversation)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 || lines[0] != 2 || lines[3] != 5 {
		t.Fatalf("lines = %v", lines)
	}
	if convs[0] != convs[1] || convs[1] == convs[2] || legs[0] != flowlog.LegRequest || legs[1] != flowlog.LegResponse {
		t.Errorf("conversations %v legs %v: the SSH reply should be the response leg of the first", convs, legs)
	}
	stop := os.ErrClosed
	n := 0
	if err := rep.Records(paths, j, Options{}, func(*RecordVisit) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("visit error: got %v after %d visits, want it after 1", err, n)
	}
}

// TestDiff: removing the HTTPS rule denies the HTTPS record; allowing RDP
// allows the RDP record; the SSH records keep their verdicts.
func TestDiff(t *testing.T) {
	paths := writeLog(t)
	oldJ := runJudge(t, runACL)
	newJ := runJudge(t, "in 100 allow tcp 0.0.0.0/0 22\nin 120 allow tcp 0.0.0.0/0 3389\nout 100 allow tcp 0.0.0.0/0 1024-65535\n")
	d, err := Diff(paths, oldJ, newJ, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Records != 4 || d.NewlyDenied != 1 || d.NewlyAllowed != 1 || len(d.Flows) != 2 {
		t.Fatalf("diff = %+v", d)
	}
	den, alw := d.Flows[0], d.Flows[1]
	if den.Change != NewlyDenied || den.Dst.Port() != 443 || den.Line != 5 || den.Logged != flowlog.ActionReject || den.Mixed || den.New.Rule != nacl32767 || !den.New.HasRule {
		t.Errorf("first flow = %+v, want the HTTPS record newly denied by the default rule", den)
	}
	if alw.Change != NewlyAllowed || alw.Dst.Port() != 3389 || alw.New.Rule != 120 || alw.Old.Rule != nacl32767 {
		t.Errorf("second flow = %+v, want the RDP record newly allowed by rule 120", alw)
	}
}
