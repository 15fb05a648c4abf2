package render

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

func TestDescribe(t *testing.T) {
	deny := nacl.Entry{RuleNumber: 130, Action: nacl.Deny, Protocol: 6, CIDR: netip.MustParsePrefix("0.0.0.0/0"), Ports: nacl.PortRange{From: 1024, To: 65535}}
	if got := DescribeEntry(&deny); got != "deny tcp 1024-65535" {
		t.Errorf("DescribeEntry: %q", got)
	}
	all := nacl.Entry{RuleNumber: 1, Direction: nacl.Egress, Action: nacl.Allow, Protocol: -1, CIDR: netip.MustParsePrefix("10.0.0.0/8")}
	if got := DescribeEntry(&all); got != "allow all 10.0.0.0/8" {
		t.Errorf("DescribeEntry all: %q", got)
	}
	c := replay.Check{Entry: -1, Rule: 32767}
	if got := DescribeRule(&c); got != "* default deny" {
		t.Errorf("DescribeRule default: %q", got)
	}
}

// TestSentences checks the sentences of a conversation whose responses
// are denied by inbound rule 130, with and without its requests denied
// (then the response sentence must not claim that they leave).
func TestSentences(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-web", Name: "web-server", Entries: []nacl.Entry{
		{RuleNumber: 130, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: 6, CIDR: netip.MustParsePrefix("0.0.0.0/0"), Ports: nacl.PortRange{From: 1024, To: 65535}},
	}}
	conv := &flows.Conversation{ID: 1, Proto: 6, Version: 4,
		Client: flows.Endpoint{Addr: netip.MustParseAddr("10.0.1.10"), Port: 34372},
		Server: flows.Endpoint{Addr: netip.MustParseAddr("192.0.2.80"), Port: 80}}
	resp := replay.Denial{Role: replay.RoleResponse, Check: replay.Check{ACL: acl.ID, ACLRef: acl, Direction: nacl.Ingress, Rule: 130, Entry: 0, Action: nacl.Deny}}
	req := replay.Denial{Role: replay.RoleRequest, RequestDenied: true,
		Check: replay.Check{ACL: acl.ID, ACLRef: acl, Direction: nacl.Egress, Rule: nacl.DefaultRuleIPv4, Entry: -1, Action: nacl.Deny}}
	cr := &replay.ConvResult{Conv: conv, Denials: []replay.Denial{resp}}
	want := "responses from 192.0.2.80:80 to client port 34372 are denied inbound by rule 130 (deny tcp 1024-65535) of acl-web (web-server): the client's requests leave, its replies never arrive"
	if got := Sentences(cr); len(got) != 1 || got[0] != want {
		t.Errorf("sentences %q\nwant %q", got, want)
	}
	resp.RequestDenied = true
	cr.Denials = []replay.Denial{req, resp}
	got := Sentences(cr)
	if len(got) != 2 {
		t.Fatalf("sentences %q", got)
	}
	if want := "requests from 10.0.1.10 to 192.0.2.80:80 are denied outbound by rule 32767 (* default deny) of acl-web (web-server): they never leave the client's subnet"; got[0] != want {
		t.Errorf("request sentence %q\nwant %q", got[0], want)
	}
	if want := "responses from 192.0.2.80:80 to client port 34372 are denied inbound by rule 130 (deny tcp 1024-65535) of acl-web (web-server): the requests are denied as well; once they are let through, the replies would still never arrive"; got[1] != want {
		t.Errorf("response sentence %q\nwant %q", got[1], want)
	}
	// The phrase cache changes nothing.
	pc := phraseCache{}
	for range 2 {
		if again := sentences(cr, pc); again[0] != got[0] || again[1] != got[1] {
			t.Errorf("cached sentences %q", again)
		}
	}
}

// TestReportNotes checks the caveats a check report carries: uncertain
// verdicts, NDP and ECS task metadata (both UNCONFIRMED by AWS), after the
// command's own notes.
func TestReportNotes(t *testing.T) {
	s := &replay.Summary{ExemptBy: map[string]uint64{replay.ReasonECSMetadata: 1}, NotFilteredBy: map[string]uint64{replay.ReasonNDP: 3}}
	s.Uncertain = 2
	o := &Options{Notes: []string{"subnet 10.0.1.10/32 is the detected capture host (no --subnet given)"}}
	got := o.checkNotes(&replay.Report{Summary: *s})
	if len(got) != 4 || got[0] != o.Notes[0] || !strings.HasPrefix(got[1], "verdicts of 2 packet(s) are uncertain") ||
		!strings.HasPrefix(got[2], "3 IPv6 neighbour discovery packet(s)") || !strings.Contains(got[2], "UNCONFIRMED") ||
		!strings.HasPrefix(got[3], "1 packet(s) to/from 169.254.170.2 counted as exempt (ECS task metadata): ") {
		t.Errorf("notes %q", got)
	}
	if n := reportNotes(&replay.Summary{}); len(n) != 0 {
		t.Errorf("notes without caveats: %q", n)
	}
}
