package terraform

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestWriteShape(t *testing.T) {
	acls := []*nacl.ACL{
		{ID: "acl-0123", Name: "web-server", Subnets: []string{"subnet-a", "aws_subnet.b.id"}, Entries: []nacl.Entry{
			{RuleNumber: 200, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
			{RuleNumber: 100, Action: nacl.Allow, Protocol: nacl.ProtoTCP, CIDR: netip.MustParsePrefix("10.0.0.0/8"), Ports: nacl.PortRange{From: 22, To: 22}, ICMPType: -1, ICMPCode: -1, Comment: "ssh from the office\nadded by synth"},
			{RuleNumber: 110, Action: nacl.Allow, Protocol: nacl.ProtoICMP, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: 5},
			{RuleNumber: 120, Action: nacl.Deny, Protocol: 47, CIDR: netip.MustParsePrefix("2001:db8::/32"), ICMPType: -1, ICMPCode: -1},
			{RuleNumber: nacl.DefaultRuleIPv4, Action: nacl.Deny, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
		}},
		{ID: "acl-0456", Name: "web server", VPCID: "vpc-0abc"},
		{ID: "acl-0789", IsDefault: true},
		{ID: "aws_default_network_acl.dflt", IsDefault: true},
		{ID: "9lives"},
		{ID: "aws_network_acl.other", VPCID: "aws_vpc.other.id"},
		{ID: "aws_network_acl.other2", VPCID: "aws_vpc.other.id"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"variable \"vpc_id\" {\n  type        = string\n",
		"variable \"web_server_subnet_ids\" {\n  type        = list(string)",
		"resource \"aws_network_acl\" \"web_server\" {\n  vpc_id     = var.vpc_id\n  subnet_ids = var.web_server_subnet_ids\n",
		"  # ssh from the office\n  # added by synth\n  ingress {\n    rule_no    = 100\n",
		"    protocol   = \"-1\"\n    cidr_block = \"0.0.0.0/0\"\n    from_port  = 0\n    to_port    = 0\n",
		"    protocol   = \"icmp\"\n    cidr_block = \"0.0.0.0/0\"\n    from_port  = 0\n    to_port    = 0\n    icmp_type  = -1\n    icmp_code  = -1\n",
		"    protocol        = \"47\"\n    ipv6_cidr_block = \"2001:db8::/32\"\n",
		"resource \"aws_network_acl\" \"web_server_2\" {\n  vpc_id = \"vpc-0abc\"\n",
		"resource \"aws_default_network_acl\" \"acl_0789\" {\n  default_network_acl_id = \"acl-0789\"\n}",
		"resource \"aws_default_network_acl\" \"dflt\" {\n  default_network_acl_id = var.dflt_default_network_acl_id\n}",
		"resource \"aws_network_acl\" \"acl_9lives\" {\n  vpc_id = var.vpc_id\n",
		"variable \"vpc_id_2\" {\n  type        = string\n  description = \"ID of the VPC of the network ACLs (was aws_vpc.other.id)\"\n}",
		"resource \"aws_network_acl\" \"other\" {\n  vpc_id = var.vpc_id_2\n}",
		"resource \"aws_network_acl\" \"other2\" {\n  vpc_id = var.vpc_id_2\n}",
		"  tags = {\n    Name = \"web-server\"\n  }\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "32767") && !strings.Contains(out, "(32767 IPv4") {
		t.Errorf("implicit rule written:\n%s", out)
	}
	if strings.Index(out, "rule_no    = 100") > strings.Index(out, "rule_no    = 200") {
		t.Errorf("ingress rules must come first, by number:\n%s", out)
	}
	// The output reads back with the same rules and no errors.
	got, diags, err := Parse("w.tf", buf.Bytes())
	if err != nil || len(got) != len(acls) {
		t.Fatalf("re-parse: %v %v", err, diags)
	}
	if len(got[0].Entries) != 4 || got[0].Entries[1].ICMPType != -1 || got[0].Entries[1].ICMPCode != -1 {
		t.Errorf("re-parsed entries %+v", got[0].Entries)
	}
}

func TestWriteEscapes(t *testing.T) {
	acls := []*nacl.ACL{{ID: "acl-1", Name: "evil ${var.x} %{if} \"quoted\"\nnewline", Entries: []nacl.Entry{
		{RuleNumber: 1, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1, Comment: "*/ \"x\" ${y}"},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	got, _, err := Parse("e.tf", buf.Bytes())
	if err != nil || len(got) != 1 || got[0].Name != acls[0].Name || len(got[0].Entries) != 1 {
		t.Fatalf("err %v got %+v\n%s", err, got, buf.String())
	}
}
