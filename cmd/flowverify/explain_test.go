package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
)

const explainNACL = `acl acl-0123 name web-server
in  100 allow tcp    0.0.0.0/0      22
in  110 allow tcp    0.0.0.0/0      80
in  130 deny  tcp    0.0.0.0/0      1024-65535   # no ephemeral replies
in  140 allow icmp   0.0.0.0/0      3:4
in  150 allow tcp    ::/0           0-65535
out 100 allow all    0.0.0.0/0
`

func runExplainArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "web.nacl")
	if err := os.WriteFile(path, []byte(explainNACL), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, append([]string{"explain", "--nacl", path}, args...)...)
	return code, out, errs
}

func TestExplainDeniedReply(t *testing.T) {
	code, out, errs := runExplainArgs(t, "--subnet", "10.0.1.0/24", "tcp 198.51.100.20:80 > 10.0.1.10:34372")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"direction: inbound: destination 10.0.1.10 is in subnet 10.0.1.0/24",
		"100  in   allow   tcp 0.0.0.0/0 port 22",
		"no: destination port 34372 not in 22",
		"130  in   deny    tcp 0.0.0.0/0 ports 1024-65535  # no ephemeral replies  MATCH, decides",
		"verdict:   DENY by inbound rule 130 (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "140") {
		t.Errorf("rules after the decider are listed:\n%s", out)
	}
}

func TestExplainAllowedJSON(t *testing.T) {
	code, out, errs := runExplainArgs(t, "--subnet", "10.0.1.0/24", "--format", "json", "icmp", "1.2.3.4", ">", "10.0.1.10", "type", "3", "code", "4")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	var res render.Explain
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Verdict != "allow" || res.Rule != 140 || res.Direction != "inbound" || len(res.Steps) != 4 || res.Steps[0].Miss != "protocol" {
		t.Fatalf("%+v", res)
	}
}

func TestExplainOutboundDefaultAndIPv6(t *testing.T) {
	code, out, _ := runExplainArgs(t, "--subnet", "2001:db8:1::/64", "udp [2001:db8:1::10]:5353 > [2600::1]:53")
	if code != exitFindings || !strings.Contains(out, "the implicit default outbound rule * (32768)") || !strings.Contains(out, "IPv4 entry, IPv6 packet") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = runExplainArgs(t, "--subnet", "2001:db8:1::/64", "tcp [2600::1]:5353 > [2001:db8:1::10]:22")
	if code != exitOK || !strings.Contains(out, "ALLOW by inbound rule 150") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestExplainAllRules(t *testing.T) {
	code, out, _ := runExplainArgs(t, "--subnet", "10.0.1.0/24", "--all-rules", "tcp 198.51.100.20:80 > 10.0.1.10:22")
	for _, want := range []string{
		"100  in   allow   tcp 0.0.0.0/0 port 22           MATCH, decides",
		"110  in   allow   tcp 0.0.0.0/0 port 80           not reached: rule 100 decided first",
		"100  out  allow   all 0.0.0.0/0                   n/a: outbound rule, the packet is inbound",
	} {
		if code != exitOK || !strings.Contains(squash(out), squash(want)) {
			t.Errorf("exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
}

// squash collapses runs of blanks so tests do not depend on column widths.
func squash(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

func TestExplainNotFiltered(t *testing.T) {
	code, out, _ := runExplainArgs(t, "--subnet", "10.0.1.0/24", "tcp 10.0.1.5:80 > 10.0.1.10:34372")
	if code != exitOK || !strings.Contains(out, "NOT FILTERED: source and destination are both in subnet 10.0.1.0/24") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "tcp 10.0.2.5:80 > 10.0.3.10:34372")
	if code != exitOK || !strings.Contains(out, "does not cross this NACL") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestExplainErrors(t *testing.T) {
	cases := [][]string{
		{"--subnet", "10.0.1.0/24", "tcp 1.2.3.4 > 10.0.1.1"},     // no destination port
		{"tcp 1.2.3.4:1 > 10.0.1.1:2"},                            // no subnet or direction
		{"--subnet", "nonsense", "tcp 1.2.3.4:1 > 10.0.1.1:2"},    // bad subnet
		{"--direction", "sideways", "tcp 1.2.3.4:1 > 10.0.1.1:2"}, // bad direction
		{"--subnet", "10.0.1.0/24", "--acl", "nope", "tcp 1.2.3.4:1 > 10.0.1.1:2"},
		{"--subnet", "10.0.1.0/24", "--format", "xml", "tcp 1.2.3.4:1 > 10.0.1.1:2"},
	}
	for _, c := range cases {
		if code, out, errs := runExplainArgs(t, c...); code != exitError || errs == "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", c, code, errs, out)
		}
	}
	if code, _, _ := runExplainArgs(t, "--direction", "out", "tcp 10.0.1.1:1 > 1.2.3.4:2"); code != exitOK {
		t.Errorf("--direction out: exit %d", code)
	}
}

// Two --subnet CIDRs are two subnets: a packet from one to the other meets
// the source subnet's outbound rules, then the destination subnet's
// inbound rules, although one NACL guards both (fact sheet 1.7).
func TestExplainBetweenSubnets(t *testing.T) {
	code, out, errs := runExplainArgs(t, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "tcp 10.0.1.5:40000 > 10.0.2.5:5432")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"direction: between subnets: source 10.0.1.5 is in subnet 10.0.1.0/24 and destination 10.0.2.5 in subnet 10.0.2.0/24",
		"check 1 of 2: outbound: source 10.0.1.5 leaves subnet 10.0.1.0/24",
		"100 out allow all 0.0.0.0/0 MATCH, decides",
		"result: ALLOW by outbound rule 100 (",
		"check 2 of 2: inbound: destination 10.0.2.5 enters subnet 10.0.2.0/24",
		"130 in deny tcp 0.0.0.0/0 ports 1024-65535 # no ephemeral replies MATCH, decides",
		"result: DENY by inbound rule 130 (",
		"verdict: DENY by inbound rule 130 (",
		"(1 of 2 checks deny it)",
	} {
		if !strings.Contains(squash(out), squash(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "check 1 of 2: outbound") > strings.Index(out, "check 2 of 2: inbound") {
		t.Errorf("the outbound check must come first:\n%s", out)
	}
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "--format", "json", "tcp 10.0.2.5:22 > 10.0.1.5:40000")
	var res render.Explain
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if code != exitFindings || len(res.Checks) != 2 || res.Checks[0].Direction != "outbound" || res.Checks[0].Subnet != "10.0.2.0/24" || res.Checks[0].Verdict != "allow" ||
		res.Checks[1].Direction != "inbound" || res.Checks[1].Subnet != "10.0.1.0/24" || res.Checks[1].Verdict != "deny" ||
		res.Verdict != "deny" || res.Direction != "inbound" || res.Rule != 130 {
		t.Errorf("exit %d, %+v", code, res)
	}
	// --direction picks one of the two checks.
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "--direction", "out", "tcp 10.0.1.5:40000 > 10.0.2.5:5432")
	if code != exitOK || !strings.Contains(out, "ALLOW by outbound rule 100") || strings.Contains(out, "inbound rule") {
		t.Errorf("--direction out: exit %d\n%s", code, out)
	}
	// Inside one of them: not filtered, naming that subnet.
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "tcp 10.0.2.5:80 > 10.0.2.10:34372")
	if code != exitOK || !strings.Contains(out, "NOT FILTERED: source and destination are both in subnet 10.0.2.0/24") {
		t.Errorf("same subnet: exit %d\n%s", code, out)
	}
	// One IPv4 and one IPv6 CIDR are one dual-stack subnet.
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "--subnet", "2001:db8:1::/64", "tcp [2600::1]:5353 > [2001:db8:1::10]:22")
	if code != exitOK || !strings.Contains(out, "ALLOW by inbound rule 150") || strings.Contains(out, "check 1 of") {
		t.Errorf("dual-stack: exit %d\n%s", code, out)
	}
}

// The reviewer's evidence, on the bundled sample NACL.
func TestExplainBetweenSubnetsSample(t *testing.T) {
	s, errs, code := runCLI(t, nil, "explain", "--nacl", samples+"webserver.nacl", "--subnet", "10.0.1.0/24", "--subnet", "10.0.2.0/24", "tcp 10.0.1.5:40000 > 10.0.2.5:5432")
	if code != exitFindings || strings.Contains(s, "NOT FILTERED") || !strings.Contains(s, "result:    ALLOW by outbound rule 130") || !strings.Contains(s, "verdict:   DENY by inbound rule 130") {
		t.Errorf("exit %d\n%s%s", code, s, errs)
	}
}

// --vpc-cidr makes the VPC's base+2 the Amazon DNS resolver, as in check.
func TestExplainVPCCIDR(t *testing.T) {
	run1 := func(args ...string) (int, string) {
		out, errs, code := runCLI(t, nil, append([]string{"explain", "--nacl", samples + "webserver.nacl", "--subnet", "10.0.1.0/24"}, args...)...)
		return code, out + errs
	}
	code, out := run1("--vpc-cidr", "10.0.0.0/16", "udp 10.0.1.10:50000 > 10.0.0.2:53")
	if code != exitOK || !strings.Contains(out, "NOT FILTERED") || !strings.Contains(out, "(amazon-dns)") {
		t.Errorf("with --vpc-cidr: exit %d\n%s", code, out)
	}
	code, out = run1("udp 10.0.1.10:50000 > 10.0.0.2:53")
	if code != exitFindings || !strings.Contains(out, "note:      no --vpc-cidr given: if 10.0.0.2 is its VPC's base+2 address") {
		t.Errorf("without --vpc-cidr: exit %d\n%s", code, out)
	}
	if code, out = run1("--vpc-cidr", "nonsense", "udp 10.0.1.10:50000 > 10.0.0.2:53"); code != exitError {
		t.Errorf("bad --vpc-cidr: exit %d\n%s", code, out)
	}
}

// Only Amazon DHCP is exempt; DHCP to a server elsewhere is judged.
func TestExplainDHCP(t *testing.T) {
	code, out, _ := runExplainArgs(t, "--subnet", "10.0.1.0/24", "udp 10.0.1.10:68 > 10.0.1.1:67")
	if code != exitOK || !strings.Contains(out, "NOT FILTERED: AWS network ACLs do not filter this traffic (dhcp)") {
		t.Errorf("to the VPC router: exit %d\n%s", code, out)
	}
	code, out, _ = runExplainArgs(t, "--subnet", "10.0.1.0/24", "udp 192.168.5.5:67 > 10.0.1.10:68")
	if code != exitFindings || !strings.Contains(out, "DENY by the implicit default inbound rule") {
		t.Errorf("from an on-prem DHCP server: exit %d\n%s", code, out)
	}
}
