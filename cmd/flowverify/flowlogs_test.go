package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const flowLogSamples = "../../pcaps/flowlogs/"

// check over the flow logs generated from vpc-two-subnets.pcap: acl-db has
// no outbound rule for the apps' ephemeral ports, so every db/cache reply
// is REJECTed leaving subnet-db by its default rule, and flowverify names
// it; every other record is allowed.
func TestCheckFlowLogsVPCMode(t *testing.T) {
	out, errs, code := runCLI(t, nil, "check", "--nacl", sample("vpc-acls.json"), "--subnets", sample("vpc-subnets.json"), "--vpc-cidr", "10.0.0.0/16",
		flowLogSamples+"vpc-two-subnets.log")
	if code != exitFindings || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	if first != "28 flow-log records: 6 REJECT(s) the NACL explains, 0 REJECT(s) it does not (security group or another control), 0 ACCEPT(s) the ACL would deny." {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{
		"acl-db   out  32767  deny          6         0         6             6",
		"vpc-two-subnets.log:4   eni-0000000000a000214  tcp    10.0.2.20:5432  10.0.1.11:38393  deny     acl-db outbound 32767  subnet-id",
		"17 conversations",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// --records --format jsonl: one object per record in input order, with
// the conversation, leg and the checks in the shape of --packets lines.
func TestCheckFlowLogRecords(t *testing.T) {
	out, errs, code := runCLI(t, nil, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16",
		"--records", "--format", "jsonl", flowLogSamples+"webserver.log")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	type check struct {
		ACL, Subnet, Direction, Action string
		Rule                           int
	}
	type line struct {
		File, Action, Verdict, Attribution, Leg, Placement string
		Line                                               int64
		Conversation                                       int
		Checks                                             []check
		DecidedBy                                          *int `json:"decided_by"`
	}
	var lines []line
	for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
		lines = append(lines, l)
	}
	if len(lines) != 18 {
		t.Fatalf("%d lines, want 18", len(lines))
	}
	legs := map[int]map[string]bool{}
	for i, l := range lines {
		if l.Line != int64(i+2) {
			t.Errorf("line %d reported as %d: not in input order", i+2, l.Line)
		}
		if legs[l.Conversation] == nil {
			legs[l.Conversation] = map[string]bool{}
		}
		legs[l.Conversation][l.Leg] = true
		if l.Action == "REJECT" {
			// The mirror's replies to the server's downloads meet
			// "in 130 deny"; the ping to the mirror (and its reply, which
			// the capture has) the default rule.
			if l.Attribution != "nacl" || l.DecidedBy == nil {
				t.Errorf("REJECT line %d: %+v", l.Line, l)
				continue
			}
			c := l.Checks[*l.DecidedBy]
			if !(c.Rule == 130 && c.Direction == "inbound" && l.Leg == "response") && c.Rule != 32767 {
				t.Errorf("REJECT line %d: decided by %+v", l.Line, c)
			}
		} else if l.Attribution != "" || l.Verdict != "allow" {
			t.Errorf("ACCEPT line %d: %+v", l.Line, l)
		}
	}
	for id, m := range legs {
		if !m["request"] || !m["response"] {
			t.Errorf("conversation %d has legs %v, want both", id, m)
		}
	}
}

// AWS's ping example: the NACL allows inbound ICMP and denies it outbound;
// the reply's REJECT is the NACL's; the RDP REJECT inside the subnet is not.
func TestCheckFlowLogsAWSExample(t *testing.T) {
	nacl := t.TempDir() + "/ping.nacl"
	writeFile(t, nacl, "in 100 allow icmp 0.0.0.0/0\nin 110 allow tcp 0.0.0.0/0 22\nout 100 allow tcp 0.0.0.0/0 1024-65535\n")
	out, errs, code := runCLI(t, nil, "check", "--nacl", nacl, "--subnet", "172.31.16.0/20", "--format", "json", "../../flows/flowlog/testdata/aws-doc-default.log")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Summary     map[string]int64
		NACLRejects []struct {
			Line      int64
			Rule      int
			Direction string
		} `json:"nacl_rejects"`
		NotNACL []struct{ Line int64 } `json:"not_nacl_rejects"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.NACLRejects) != 1 || doc.NACLRejects[0].Line != 7 || doc.NACLRejects[0].Rule != 32767 || doc.NACLRejects[0].Direction != "outbound" {
		t.Errorf("nacl rejects %+v", doc.NACLRejects)
	}
	if len(doc.NotNACL) != 1 || doc.NotNACL[0].Line != 3 || doc.Summary["nodata"] != 1 || doc.Summary["skipdata"] != 1 {
		t.Errorf("not-nacl %+v summary %v", doc.NotNACL, doc.Summary)
	}
}

// --since/--until keep the records whose interval overlaps the window
// (relative bounds count from the first record's start).
func TestCheckFlowLogWindow(t *testing.T) {
	for _, c := range []struct {
		flag, val, want string
	}{
		{"--since", "5s", "14 flow-log records: 2 REJECT(s)"},
		{"--until", "2026-11-24T03:18:50Z", "4 flow-log records: 2 REJECT(s)"},
	} {
		out, errs, code := runCLI(t, nil, "check", "--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", c.flag, c.val, flowLogSamples+"webserver.log")
		if code != exitFindings || !strings.HasPrefix(out, c.want) {
			t.Errorf("%s %s: exit %d %s\n%s", c.flag, c.val, code, errs, out)
		}
	}
}

func TestCheckFlowLogErrors(t *testing.T) {
	log := flowLogSamples + "webserver.log"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--subnet", "10.0.1.0/24", "--records", log}, "--records needs --format jsonl"},
		{[]string{log}, "flow logs need --subnet CIDR"},
		{[]string{"--subnet", "10.0.1.0/24", log, sample("webserver.pcap")}, "some inputs are VPC Flow Logs and some are not"},
		{[]string{"--subnet", "10.0.1.0/24", "--packets", log}, "--packets is for captures"},
	} {
		args := append([]string{"check", "--nacl", sample("webserver.nacl")}, c.args...)
		_, errs, code := runCLI(t, nil, args...)
		if code != exitError || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
}

func TestSQLCommand(t *testing.T) {
	out, errs, code := runCLI(t, nil, "sql", "--nacl", sample("vpc-acls.json"), "--subnets", sample("vpc-subnets.json"), "--vpc-cidr", "10.0.0.0/16", "--dialect", "duckdb")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Count(out, "WITH\nfl AS MATERIALIZED (") != 2 || !strings.Contains(out, "'acl-db'") || !strings.Contains(out, "'rejected' AS kind") {
		t.Errorf("output:\n%.2000s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--subnet", "10.0.1.0/24"}, "--nacl FILE is required"},
		{[]string{"--nacl", sample("webserver.nacl")}, "give --subnets FILE"},
		{[]string{"--nacl", sample("webserver.nacl"), "--subnet", "10.0.1.0/24", "--dialect", "oracle"}, "unknown SQL dialect"},
	} {
		_, errs, code := runCLI(t, nil, append([]string{"sql"}, c.args...)...)
		if code != exitError || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// flows over flow logs: one conversation per interface and 5-tuple, the
// client named by the SYN record, in the order of the first record.
func TestFlowsFlowLogs(t *testing.T) {
	out, errs, code := runCLI(t, nil, "flows", "--format", "jsonl", flowLogSamples+"vpc-two-subnets.log")
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 17 {
		t.Fatalf("%d conversations, want 17", len(lines))
	}
	var c struct {
		ID        int
		Interface string
		Client    struct{ Addr string }
		Server    struct {
			Addr string
			Port int
		}
		Evidence string
		ToClient struct{ Rejected int } `json:"to_client"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &c); err != nil {
		t.Fatal(err)
	}
	// The db's interface logs the request ACCEPTed and its reply REJECTed.
	if c.ID != 2 || c.Interface != "eni-0000000000a000214" || c.Client.Addr != "10.0.1.11" || c.Server.Port != 5432 || c.Evidence != "syn" || c.ToClient.Rejected != 1 {
		t.Errorf("conversation 2: %+v", c)
	}
	text, _, _ := runCLI(t, nil, "flows", flowLogSamples+"vpc-two-subnets.log")
	if !strings.Contains(text, "17 conversations from 28 flow-log records in 1 file(s)") {
		t.Errorf("text output:\n%s", text)
	}
}

// diff over flow logs: adding the missing reply rule to acl-db turns the
// six REJECTed db/cache replies into allowed ones, and removing it again
// denies them (exit 1).
func TestDiffFlowLogs(t *testing.T) {
	data, err := os.ReadFile(sample("vpc-acls.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range doc["NetworkAcls"] {
		if a["NetworkAclId"] == "acl-db" {
			a["Entries"] = append(a["Entries"].([]any), map[string]any{"CidrBlock": "10.0.1.0/24", "Egress": true, "Protocol": "6",
				"RuleAction": "allow", "RuleNumber": 110, "PortRange": map[string]any{"From": 1024, "To": 65535}})
		}
	}
	fixed, _ := json.Marshal(doc)
	fixedPath := t.TempDir() + "/fixed.json"
	writeFile(t, fixedPath, string(fixed))
	common := []string{"--subnets", sample("vpc-subnets.json"), "--vpc-cidr", "10.0.0.0/16", flowLogSamples + "vpc-two-subnets.log"}
	out, errs, code := runCLI(t, nil, append([]string{"diff", "--nacl", sample("vpc-acls.json"), "--nacl-new", fixedPath}, common...)...)
	if code != exitOK || !strings.HasPrefix(out, "0 of 28 flow-log records become denied and 6 become allowed with the new NACL.") ||
		strings.Count(out, "newly-allowed") != 6 || !strings.Contains(out, "deny acl-db out#32767  allow acl-db out#110") {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errs, out)
	}
	out, _, code = runCLI(t, nil, append([]string{"diff", "--format", "json", "--nacl", fixedPath, "--nacl-new", sample("vpc-acls.json")}, common...)...)
	var rep struct {
		NewlyDenied int `json:"newly_denied_records"`
		Flows       []struct{ Change, Logged string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFindings || rep.NewlyDenied != 6 || len(rep.Flows) != 6 || rep.Flows[0].Logged != "REJECT" {
		t.Errorf("reverse diff: exit %d, %v, %+v", code, err, rep)
	}
}

// synth over flow logs: the web server's records give its services and
// the reply rule its own downloads need (REJECTed by the NACL in force:
// the return leg of an accepted request is allowed); a connection whose
// requests were all REJECTed stays shut.
func TestSynthFlowLogs(t *testing.T) {
	out, errs, code := runCLI(t, nil, "synth", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", flowLogSamples+"webserver.log")
	if code != exitOK || !strings.Contains(out, "allow tcp  0.0.0.0/0        32768-65535  # response (windows+linux): 2 conversation(s), e.g. 192.0.2.80") ||
		!strings.Contains(errs, "Self-check: PASS") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	log := t.TempDir() + "/refused.log"
	writeFile(t, log, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n"+
		"2 1 eni-1 198.51.100.7 10.0.1.5 40000 443 6 3 180 100 130 ACCEPT OK 2\n"+
		"2 1 eni-1 10.0.1.5 198.51.100.7 443 40000 6 3 900 100 130 ACCEPT OK 18\n"+
		"2 1 eni-1 203.0.113.9 10.0.1.5 50000 3389 6 2 120 100 130 REJECT OK 2\n")
	out, errs, code = runCLI(t, nil, "synth", "--subnet", "10.0.1.0/24", log)
	if code != exitOK || !strings.Contains(out, "in  100 allow tcp  0.0.0.0/0 443") || strings.Contains(out, "3389") || !strings.Contains(errs, "1 excluded") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}
