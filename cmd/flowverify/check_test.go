package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckGolden(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
		exit   int
	}{
		{"webserver.txt", []string{"--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples + "webserver.pcap"}, exitFindings},
		{"vpc-two-subnets.txt", []string{"--nacl", samples + "vpc-acls.json", "--subnets", samples + "vpc-subnets.json", "--vpc-cidr", "10.0.0.0/16", samples + "vpc-two-subnets.pcap"}, exitFindings},
		{"ipv6.txt", []string{"--nacl", samples + "ipv6.nacl", "--subnet", "2001:db8:10:1::/64", samples + "ipv6.pcap"}, exitFindings},
		{"exempt.txt", []string{"--nacl", samples + "exempt.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples + "exempt.pcap"}, exitOK},
		{"webserver-packets.jsonl", []string{"--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", "--packets", "--format", "jsonl", samples + "webserver.pcap"}, exitFindings},
		{"vpc-two-subnets.csv", []string{"--nacl", samples + "vpc-acls.json", "--subnets", samples + "vpc-subnets.json", "--vpc-cidr", "10.0.0.0/16", "--format", "csv", samples + "vpc-two-subnets.pcap"}, exitFindings},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			out, errs, code := runCLI(t, nil, append([]string{"check"}, c.args...)...)
			if code != c.exit {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.exit, errs)
			}
			checkGolden(t, "check", c.golden, out)
		})
	}
}

func TestCheckPacketsJSONL(t *testing.T) {
	out, _, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--packets", "--format", "jsonl", samples+"webserver.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 192 { // 194 records, 2 of them ARP
		t.Fatalf("%d lines, want one per IP packet (192)", len(lines))
	}
	lastFrame := int64(0)
	verdicts := map[string]int{}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, f := range []string{"file", "frame", "time", "proto", "src", "dst", "conversation", "leg", "verdict", "checks"} {
			if _, ok := m[f]; !ok {
				t.Fatalf("line %d lacks %q: %s", i+1, f, l)
			}
		}
		frame := int64(m["frame"].(float64))
		if frame <= lastFrame {
			t.Fatalf("line %d: frame %d not in capture order", i+1, frame)
		}
		lastFrame = frame
		if m["proto"] == "tcp" || m["proto"] == "udp" {
			if _, ok := m["sport"]; !ok {
				t.Fatalf("line %d: tcp/udp without sport", i+1)
			}
		} else if _, ok := m["dport"]; ok {
			t.Fatalf("line %d: dport on %v", i+1, m["proto"])
		}
		v := m["verdict"].(string)
		verdicts[v]++
		checks := m["checks"].([]any)
		if (v == "allow" || v == "deny") != (len(checks) == 1) {
			t.Fatalf("line %d: verdict %s with %d checks", i+1, v, len(checks))
		}
		if !strings.HasSuffix(m["time"].(string), "Z") {
			t.Fatalf("line %d: time %v not UTC", i+1, m["time"])
		}
	}
	// Must agree with the report's summary.
	rep, _, _ := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--format", "json", samples+"webserver.pcap")
	var doc struct {
		Summary struct{ Allowed, Denied, Exempt int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(rep), &doc); err != nil {
		t.Fatal(err)
	}
	if verdicts["allow"] != doc.Summary.Allowed || verdicts["deny"] != doc.Summary.Denied || verdicts["exempt"] != doc.Summary.Exempt {
		t.Errorf("per-packet verdicts %v, report summary %+v", verdicts, doc.Summary)
	}
}

func TestCheckJSONWithPackets(t *testing.T) {
	out, _, code := runCLI(t, nil, "check", "--nacl", samples+"ipv6.nacl", "--subnet", "2001:db8:10:1::/64", "--format", "json", "--packets", samples+"ipv6.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Conversations []struct {
			Status string `json:"status"`
		} `json:"conversations"`
		Packets []map[string]any `json:"packets"`
		Fixes   []struct {
			Rule string `json:"rule"`
		} `json:"fixes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	// One rule per client: the two IPv6 clients are not siblings, so exact
	// aggregation keeps them apart.
	if len(doc.Packets) != 56 || len(doc.Conversations) == 0 || len(doc.Fixes) != 2 {
		t.Errorf("%d packets, %d conversations, fixes %+v", len(doc.Packets), len(doc.Conversations), doc.Fixes)
	}
}

func TestCheckHostDetectionAndStdin(t *testing.T) {
	data, err := os.ReadFile(samples + "webserver.pcap")
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, data, "check", "--nacl", samples+"webserver.nacl", "--packets", "--format", "jsonl", "-")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "using the capture host 10.0.1.10") || !strings.Contains(errs, "--subnet") || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr should hold one notice naming the host and the override:\n%s", errs)
	}
	if n := strings.Count(out, "\n"); n != 192 {
		t.Errorf("%d packet lines from spooled stdin, want 192", n)
	}
	if !strings.Contains(out, `"file":"-"`) {
		t.Errorf("stdin packets should name file \"-\"")
	}
}

func TestCheckExitCodesAndErrors(t *testing.T) {
	base := []string{"check", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24"}
	if _, _, code := runCLI(t, nil, append(base, "--fail-on", "never", samples+"webserver.pcap")...); code != exitOK {
		t.Errorf("--fail-on never: exit %d", code)
	}
	bad := [][]string{
		{"check", samples + "webserver.pcap"},
		append(base, "--since", "yesterday", samples+"webserver.pcap"),
		append(base, "--subnet", "10.0.1.0/33", samples+"webserver.pcap"),
		append(base, "--format", "xml", samples+"webserver.pcap"),
		{"check", "--nacl", samples + "vpc-acls.json", "--subnets", samples + "vpc-subnets.json", "--subnet", "10.0.1.0/24", samples + "webserver.pcap"},
	}
	for _, args := range bad {
		if _, errs, code := runCLI(t, nil, args...); code != exitError || !strings.HasPrefix(errs, "flowverify check: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	// An incomplete capture: the report is printed, then exit 2.
	data, err := os.ReadFile(samples + "webserver.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)/2+7], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, append(base, cut)...)
	if code != exitError || !strings.Contains(out, "Summary:") || !strings.Contains(errs, "error") {
		t.Errorf("truncated capture: exit %d, stdout %d bytes, stderr %q", code, len(out), errs)
	}
}

func TestCheckWindow(t *testing.T) {
	out, _, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--since", "+5s", "--format", "json", samples+"webserver.pcap")
	if code > exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Summary struct {
			Evaluated     int `json:"evaluated"`
			OutsideWindow int `json:"outside_window"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.OutsideWindow == 0 || doc.Summary.Evaluated+doc.Summary.OutsideWindow != 192 {
		t.Errorf("window: %+v", doc.Summary)
	}
}

func TestDiffGolden(t *testing.T) {
	dir := t.TempDir()
	fixed := filepath.Join(dir, "fixed.nacl")
	broken := filepath.Join(dir, "broken.nacl")
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	// fixed: the suggested rule added; broken: HTTPS inbound removed.
	if err := os.WriteFile(fixed, append(orig, []byte("in 125 allow tcp 192.0.2.80/32 32768-65535\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte(strings.Replace(string(orig), "in  120 allow tcp 0.0.0.0/0 443\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"diff", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16"}
	out, errs, code := runCLI(t, nil, append(args, "--nacl-new", fixed, samples+"webserver.pcap")...)
	if code != exitOK {
		t.Errorf("fixed: exit %d (%s)", code, errs)
	}
	checkGolden(t, "check", "diff-fixed.txt", strings.ReplaceAll(out, fixed, "fixed.nacl"))
	out, errs, code = runCLI(t, nil, append(args, "--nacl-new", broken, samples+"webserver.pcap")...)
	if code != exitFindings {
		t.Errorf("broken: exit %d (%s)", code, errs)
	}
	checkGolden(t, "check", "diff-broken.txt", strings.ReplaceAll(out, broken, "broken.nacl"))
}

// Several --subnet CIDRs are several subnets: traffic between them meets
// the source subnet's outbound and the destination subnet's inbound rules.
func TestCheckSeveralSubnets(t *testing.T) {
	out, errs, code := runCLI(t, nil, "check", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24",
		"--vpc-cidr", "10.0.0.0/16", "--format", "json", samples+"vpc-two-subnets.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	type check struct{ Subnet, Direction, Action string }
	var doc struct {
		Topology struct {
			Subnets []struct{ ID string } `json:"subnets"`
		} `json:"topology"`
		Conversations []struct {
			ID      int    `json:"id"`
			Status  string `json:"status"`
			Request struct {
				Verdict string  `json:"verdict"`
				Checks  []check `json:"checks"`
			} `json:"request"`
		} `json:"conversations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Topology.Subnets) != 2 || doc.Topology.Subnets[0].ID != "10.0.1.0/24" || doc.Topology.Subnets[1].ID != "10.0.2.0/24" {
		t.Errorf("topology %+v", doc.Topology)
	}
	// #1: 10.0.1.11 -> 10.0.2.20:5432: out 130 allows, in 130 denies.
	c := doc.Conversations[0]
	want := []check{{"10.0.1.0/24", "outbound", "allow"}, {"10.0.2.0/24", "inbound", "deny"}}
	if c.ID != 1 || c.Status != "both-denied" || c.Request.Verdict != "deny" || len(c.Request.Checks) != 2 || c.Request.Checks[0] != want[0] || c.Request.Checks[1] != want[1] {
		t.Errorf("conversation #1: %+v", c)
	}
}

// diff keeps every subnet for the new NACL too.
func TestDiffSeveralSubnets(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(t.TempDir(), "fixed.nacl")
	if err := os.WriteFile(fixed, append(orig, []byte("in 125 allow tcp 10.0.1.0/24 5432\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "diff", "--nacl", samples+"webserver.nacl", "--nacl-new", fixed, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24",
		"--vpc-cidr", "10.0.0.0/16", "--format", "json", samples+"vpc-two-subnets.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Changes []struct {
			Conversation int    `json:"conversation"`
			Leg          string `json:"leg"`
			Change       string `json:"change"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, c := range doc.Changes {
		got = append(got, fmt.Sprintf("#%d %s %s", c.Conversation, c.Leg, c.Change))
	}
	if want := "#1 request newly-allowed, #3 request newly-allowed, #5 request newly-allowed"; strings.Join(got, ", ") != want {
		t.Errorf("changes %q, want %q", got, want)
	}
}

// Numbers given to earlier suggested fixes do not shrink the room below
// the blocking rule: 95 and 94 are taken, not "?".
func TestCheckFixNumbersBelowOneBlockingRule(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl")
	if err != nil {
		t.Fatal(err)
	}
	acl := "acl acl-fix name web-server\nout 96 allow tcp 0.0.0.0/0 22\nout 100 deny tcp 0.0.0.0/0 0-1023\n"
	for _, l := range strings.Split(string(orig), "\n") {
		if strings.HasPrefix(l, "in ") || (strings.HasPrefix(l, "out ") && !strings.HasPrefix(l, "out 100 ")) {
			acl += l + "\n"
		}
	}
	path := filepath.Join(t.TempDir(), "fix.nacl")
	if err := os.WriteFile(path, []byte(acl), 0o644); err != nil {
		t.Fatal(err)
	}
	// The requests meet a broad deny (unclear): --fix-all fixes them too.
	out, errs, code := runCLI(t, nil, "check", "--fix-all", "--nacl", path, "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples+"webserver.pcap")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Rule 96 (tcp 22) shares no packet with the fixes, so they may go
	// below it: blocking-5 = 95, then 94.
	for _, want := range []string{"\n  out 94 allow tcp 192.0.2.80/32 443 ", "\n  out 95 allow tcp 192.0.2.80/32 80 "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "out ? ") || strings.Contains(out, "no free rule number") {
		t.Errorf("a fix got no number:\n%s", out)
	}
}

// diff places the new NACL as it places the old one and says what only
// the new placement has to say (here: the new file has no ACL for the db
// subnet's VPC, so that subnet is left out of the new side).
func TestDiffNewPlacementWarnings(t *testing.T) {
	orig, err := os.ReadFile(samples + "webserver.nacl") // acl-web of subnet-web's VPC only
	if err != nil {
		t.Fatal(err)
	}
	fixed := filepath.Join(t.TempDir(), "fixed.nacl")
	if err := os.WriteFile(fixed, append(orig, "in 125 allow tcp 192.0.2.80/32 32768-65535\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runCLI(t, nil, "diff", "--nacl", samples+"vpc-acls.json", "--subnets", samples+"vpc-subnets.json", "--nacl-new", fixed,
		"--vpc-cidr", "10.0.0.0/16", samples+"vpc-two-subnets.pcap")
	if code == exitError || !strings.Contains(errs, "flowverify diff: --nacl-new: warning: subnet subnet-db") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
	if strings.Count(errs, "warning:") != 1 {
		t.Errorf("warnings repeated or missing:\n%s", errs)
	}
}

// TestCheckWidth: --width wraps the DENIED stories and the notes at word
// boundaries; --width 0 and a non-terminal stdout keep every sentence on
// one line, so the two reports hold the same words.
func TestCheckWidth(t *testing.T) {
	args := []string{"check", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", samples + "webserver.pcap"}
	plain, _, code := runCLI(t, nil, args...)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	zero, _, _ := runCLI(t, nil, append([]string{args[0], "--width", "0"}, args[1:]...)...)
	if zero != plain {
		t.Fatal("--width 0 changed the report")
	}
	const width = 50
	wrapped, _, _ := runCLI(t, nil, append([]string{args[0], "--width", "50"}, args[1:]...)...)
	if wrapped == plain {
		t.Fatal("--width 50 wrapped nothing")
	}
	if strings.Join(strings.Fields(wrapped), " ") != strings.Join(strings.Fields(plain), " ") {
		t.Fatal("--width changed the words of the report, not only line breaks")
	}
	// Every line of the DENIED and NOTES sections that is a sentence (not
	// a leg line, not a fix) fits the width unless it is one long word.
	section := ""
	for _, line := range strings.Split(wrapped, "\n") {
		if line != "" && line[0] != ' ' && line[0] != '-' && line[0] != '#' {
			section = strings.Fields(line)[0]
		}
		if section != "DENIED" && section != "NOTES" {
			continue
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "request") || strings.HasPrefix(trimmed, "response") || strings.HasPrefix(trimmed, "fix (") {
			continue
		}
		if len([]rune(line)) > width && strings.Contains(trimmed, " ") {
			t.Errorf("line wider than %d: %q", width, line)
		}
	}
}

// TestCheckWidthACLNames: in terminal mode (here --width) the verdict
// cells of a multi-ACL table name the ACLs by their Name tag; output that
// is not a terminal keeps the IDs, so goldens and scripts are unchanged.
func TestCheckWidthACLNames(t *testing.T) {
	args := []string{"check", "--all", "--nacl", samples + "vpc-acls.json", "--subnets", samples + "vpc-subnets.json", "--vpc-cidr", "10.0.0.0/16", samples + "vpc-two-subnets.pcap"}
	plain, _, _ := runCLI(t, nil, args...)
	named, _, _ := runCLI(t, nil, append([]string{args[0], "--width", "200"}, args[1:]...)...)
	row := func(out string) string {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "1 ") {
				return line
			}
		}
		t.Fatalf("no row 1 in:\n%s", out)
		return ""
	}
	if r := row(plain); !strings.Contains(r, "allow acl-web out#100:allow, acl-db in#100:allow") {
		t.Errorf("non-terminal row lost the IDs: %q", r)
	}
	if r := row(named); !strings.Contains(r, "allow web out#100:allow, db in#100:allow") || strings.Contains(r, "acl-") {
		t.Errorf("terminal row does not name the ACLs: %q", r)
	}
}

func TestCheckWidthNegative(t *testing.T) {
	_, errs, code := runCLI(t, nil, "check", "--width", "-3", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", samples+"webserver.pcap")
	if code != exitError || !strings.Contains(errs, "--width -3") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
