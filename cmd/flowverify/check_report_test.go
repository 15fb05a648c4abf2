package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var webArgs = []string{"check", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16"}

// listedIDs returns the IDs of the conversation table's rows in a text report.
func listedIDs(t *testing.T, out string) []string {
	t.Helper()
	_, table, ok := strings.Cut(out, "\nID  ")
	if !ok {
		return nil
	}
	var ids []string
	for _, l := range strings.Split(table, "\n")[1:] {
		if l == "" {
			break
		}
		ids = append(ids, strings.Fields(l)[0])
	}
	return ids
}

func TestCheckListing(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "3 5 9"}, // affected only, by default
		{[]string{"--all"}, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"},
		{[]string{"--all", "--limit", "4"}, "1 2 3 4 ..."}, // the last row says more are left out,
		{[]string{"--limit", "2"}, "3 5 ..."},
		{[]string{"--status", "ok"}, "10 11 12 13 14 15"},
		{[]string{"--status", "exempt,response-denied"}, "1 2 3 4 5 6 7 8"},
		{[]string{"--conversation", "12", "--conversation", "3,#9"}, "3 9 12"},
		{[]string{"--where", "host 192.0.2.80 and tcp"}, "3 5"},
		{[]string{"--where", "dst port 443 and not src net 10.0.0.0/8"}, "11 14 15"},
		{[]string{"--where", "udp port 123", "--status", "affected"}, ""},
	} {
		args := append(append(append([]string(nil), webArgs...), c.args...), samples+"webserver.pcap")
		out, errs, code := runCLI(t, nil, args...)
		if code != exitFindings {
			t.Errorf("%v: exit %d: %s", c.args, code, errs)
		}
		if got := strings.Join(listedIDs(t, out), " "); got != c.want {
			t.Errorf("%v: rows %q, want %q\n%s", c.args, got, c.want, out)
		}
		// DENIED tells the story of the listed broken conversations only.
		if strings.Contains(c.want, "3 5 ...") && (strings.Count(out, "\n#") != 2 || !strings.Contains(out, "... more broken conversations not shown")) {
			t.Errorf("%v: DENIED not limited:\n%s", c.args, out)
		}
		// The answer comes first whatever is listed.
		if !strings.HasPrefix(out, "Summary:") || !strings.Contains(out, "\nWHAT BROKE") || strings.Index(out, "\nRULES") > strings.Index(out+"\nCONVERSATIONS", "\nCONVERSATIONS") {
			t.Errorf("%v: the summary, what broke and the rules do not come first:\n%s", c.args, out)
		}
	}
}

func TestCheckListingBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--where", "port http"}, `--where: column 6: port "http"`},
		{[]string{"--status", "broken"}, `--status: unknown status "broken"`},
		{[]string{"--conversation", "x"}, `--conversation "x"`},
		{[]string{"--limit", "-1"}, "--limit -1"},
	} {
		args := append(append(append([]string(nil), webArgs...), c.args...), samples+"webserver.pcap")
		_, errs, code := runCLI(t, nil, args...)
		if code != exitError || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
}

// Filters keep the machine formats' conversations too (not the limit).
func TestCheckWhereJSON(t *testing.T) {
	args := append(append([]string(nil), webArgs...), "--format", "json", "--where", "port 443", "--limit", "1", samples+"webserver.pcap")
	out, _, code := runCLI(t, nil, args...)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Complete      bool
		Conversations []struct{ ID int }
		Rules         []struct {
			ACL, Direction, Action string
			Rule                   int
			Packets                uint64
			Flags                  []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, c := range doc.Conversations {
		ids = append(ids, c.ID)
	}
	if len(ids) != 4 || ids[0] != 5 || ids[3] != 15 || !doc.Complete {
		t.Errorf("conversations %v complete %v, want 5 11 14 15, complete", ids, doc.Complete)
	}
	// The rule hits cover the whole capture, not the filtered listing.
	if len(doc.Rules) != 10 || doc.Rules[3].Rule != 130 || doc.Rules[3].Packets != 31 || doc.Rules[3].Flags[0] != "deny-with-hits" {
		t.Errorf("rules: %+v", doc.Rules)
	}
}

// An input cut short is marked in the text header and in JSON, and the
// report of what was read is still printed (exit 2).
func TestCheckIncompleteMarked(t *testing.T) {
	data, err := os.ReadFile(samples + "webserver.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, append(append([]string(nil), webArgs...), cut)...)
	if code != exitError || !strings.Contains(errs, "record truncated") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !strings.HasPrefix(out, "INCOMPLETE: the report covers only what could be read:\n  "+cut+": frame 14 (offset 2761) record truncated") ||
		!strings.Contains(out, "Summary: 14 records read") {
		t.Errorf("text not marked incomplete:\n%s", out)
	}
	out, _, _ = runCLI(t, nil, append(append([]string(nil), webArgs...), "--format", "json", cut)...)
	var doc struct {
		Complete bool
		Files    []struct {
			Name     string
			Records  int
			Complete bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Complete || len(doc.Files) != 1 || doc.Files[0].Complete || doc.Files[0].Records != 14 || doc.Files[0].Name != cut {
		t.Errorf("json not marked incomplete: %+v", doc)
	}
}

// diff: changes by rule in JSON, --where and --conversation select the
// listed changes (not the totals), jsonl gives one change per line.
func TestDiffByRuleAndFilters(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.nacl")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(orig), "in  120 allow tcp 0.0.0.0/0 443\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"diff", "--nacl", samples + "webserver.nacl", "--nacl-new", broken, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16"}
	out, _, code := runCLI(t, nil, append(append([]string(nil), args...), "--format", "json", "--where", "src net 203.0.113.0/24", samples+"webserver.pcap")...)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Complete bool
		Summary  struct {
			NewlyDenied int `json:"conversations_newly_denied"`
		}
		ByRule []struct {
			Change, Direction   string
			Rule, Conversations int
			Packets             uint64
		} `json:"by_rule"`
		Changes []struct{ Conversation int }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Complete || doc.Summary.NewlyDenied != 3 || len(doc.ByRule) != 1 || doc.ByRule[0].Rule != 32767 || doc.ByRule[0].Conversations != 3 ||
		doc.ByRule[0].Packets != 27 || doc.ByRule[0].Change != "newly-denied" || doc.ByRule[0].Direction != "inbound" {
		t.Errorf("summary/by_rule: %+v", doc)
	}
	if len(doc.Changes) != 2 || doc.Changes[0].Conversation != 11 || doc.Changes[1].Conversation != 14 {
		t.Errorf("changes %+v, want #11 and #14 (the clients in 203.0.113.0/24)", doc.Changes)
	}
	out, _, _ = runCLI(t, nil, append(append([]string(nil), args...), "--format", "jsonl", "--conversation", "15", samples+"webserver.pcap")...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"conversation":15,`) {
		t.Errorf("jsonl: %q", out)
	}
	out, _, _ = runCLI(t, nil, append(append([]string(nil), args...), "--limit", "1", samples+"webserver.pcap")...)
	if strings.Count(out, "\n#") != 1 || !strings.Contains(out, "... 2 more changed leg(s) not shown") {
		t.Errorf("--limit 1:\n%s", out)
	}
}

// flows: --where and --conversation select the conversations listed.
func TestFlowsWhere(t *testing.T) {
	out, errs, code := runCLI(t, nil, "flows", "--format", "jsonl", "--where", "dst port 443 or icmp", samples+"webserver.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var c struct{ ID int }
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.Itoa(c.ID))
	}
	if got := strings.Join(ids, " "); got != "5 9 11 14 15" {
		t.Errorf("conversations %s, want 5 9 11 14 15", got)
	}
	out, _, _ = runCLI(t, nil, "flows", "--format", "csv", "--conversation", "2", samples+"webserver.pcap")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "2,udp,") {
		t.Errorf("csv: %q", out)
	}
}

// An input cut short ends every jsonl report (check, check --packets,
// flows) with one {"type":"incomplete","complete":false,...} line naming
// the file and why; a whole input has no such line. CSV keeps its table
// and the contract is stderr plus exit 2.
func TestIncompleteMarkedJSONLAndCSV(t *testing.T) {
	data, err := os.ReadFile(samples + "webserver.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	lastLine := func(out string) map[string]any {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	runs := map[string][]string{
		"check":          append(append([]string(nil), webArgs...), "--format", "jsonl"),
		"check-packets":  append(append([]string(nil), webArgs...), "--format", "jsonl", "--packets"),
		"flows":          {"flows", "--format", "jsonl"},
		"check-complete": append(append([]string(nil), webArgs...), "--format", "jsonl"),
	}
	for name, args := range runs {
		in := cut
		if name == "check-complete" {
			in = samples + "webserver.pcap"
		}
		out, errs, code := runCLI(t, nil, append(args, in)...)
		last := lastLine(out)
		if name == "check-complete" {
			if _, ok := last["type"]; ok || code != exitFindings {
				t.Errorf("%s: exit %d, last line %v: want no incomplete line", name, code, last)
			}
			continue
		}
		if code != exitError || !strings.Contains(errs, "record truncated") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
		inc, _ := last["incomplete"].([]any)
		if last["type"] != "incomplete" || last["complete"] != false || len(inc) != 1 ||
			!strings.Contains(inc[0].(map[string]any)["reason"].(string), "frame 14 (offset 2761) record truncated") ||
			inc[0].(map[string]any)["file"] != cut {
			t.Errorf("%s: last line %v: want the incomplete marker", name, last)
		}
		if n := strings.Count(out, `"type":"incomplete"`); n != 1 {
			t.Errorf("%s: %d incomplete lines, want 1", name, n)
		}
	}
	out, errs, code := runCLI(t, nil, append(append([]string(nil), webArgs...), "--format", "csv", cut)...)
	if code != exitError || !strings.Contains(errs, cut) || !strings.Contains(errs, "record truncated") || !strings.HasPrefix(out, "id,") {
		t.Errorf("csv: exit %d, stderr %q, out %.40q", code, errs, out)
	}
}
