package cli

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestWriteQuotesAndOmitsIrrelevantOptions(t *testing.T) {
	a := &nacl.ACL{ID: "my acl's", Entries: []nacl.Entry{
		{RuleNumber: 5, Direction: nacl.Egress, Action: nacl.Deny, Protocol: 58, CIDR: netip.MustParsePrefix("10.0.0.0/8"), ICMPType: -1, ICMPCode: -1, Comment: "two\nlines"},
		{RuleNumber: 7, Direction: nacl.Ingress, Action: nacl.Allow, Protocol: 47, CIDR: netip.MustParsePrefix("2001:db8::/32"), Ports: nacl.PortRange{From: 1, To: 2}, ICMPType: -1, ICMPCode: -1},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, []*nacl.ACL{a}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`# flowverify: 2 entries for network ACL my acl's; the default deny rules (32767/32768) exist already.`,
		`# "my acl's" is not a NetworkAclId: create the ACL (aws ec2 create-network-acl --vpc-id VPC-ID) and replace it.`,
		`aws ec2 create-network-acl-entry --network-acl-id 'my acl'\''s' --ingress --rule-number 7 --protocol 47 --ipv6-cidr-block 2001:db8::/32 --rule-action allow`,
		`# two lines`,
		`aws ec2 create-network-acl-entry --network-acl-id 'my acl'\''s' --egress --rule-number 5 --protocol 58 --cidr-block 10.0.0.0/8 --rule-action deny`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
