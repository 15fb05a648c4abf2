package cfn

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestRoundTripRandom(t *testing.T) {
	formattest.RoundTripRandom(t, formattest.RoundTrip{Seed: 11, Name: "rt.yaml", Write: Write, Parse: Parse})
}

func TestWriteShape(t *testing.T) {
	acls := []*nacl.ACL{
		{ID: "acl-0123", Name: "web-server", Subnets: []string{"subnet-0aa", "PublicSubnet"}, IsDefault: true, Entries: []nacl.Entry{
			{RuleNumber: 200, Direction: nacl.Egress, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1},
			{RuleNumber: 100, Action: nacl.Allow, Protocol: nacl.ProtoTCP, CIDR: netip.MustParsePrefix("10.0.0.0/8"), Ports: nacl.PortRange{From: 22, To: 22}, ICMPType: -1, ICMPCode: -1, Comment: "ssh from the office"},
			{RuleNumber: 100, Action: nacl.Allow, Protocol: nacl.ProtoICMPv6, CIDR: netip.MustParsePrefix("::/0"), ICMPType: 2, ICMPCode: 0},
			{RuleNumber: nacl.DefaultRuleIPv6, Action: nacl.Deny, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("::/0"), ICMPType: -1, ICMPCode: -1},
		}},
		{ID: "PrivateAcl", VPCID: "vpc-0abc"},
		{ID: "aws_network_acl.main", VPCID: "aws_vpc.main.id"},
	}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"AWSTemplateFormatVersion: \"2010-09-09\"\n",
		"  VpcId:\n    Type: AWS::EC2::VPC::Id\n",
		"  # Network ACL acl-0123 (web-server)\n  # This was the VPC's default network ACL",
		"  WebServer:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcId\n      Tags:\n        - Key: Name\n          Value: web-server\n",
		"  # ssh from the office\n  WebServerIngress100:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref WebServer\n      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      Egress: false\n      CidrBlock: 10.0.0.0/8\n      PortRange:\n        From: 22\n        To: 22\n",
		"  WebServerIngress100V6:\n",
		"      Ipv6CidrBlock: ::/0\n      Icmp:\n        Type: 2\n        Code: 0\n",
		"  WebServerEgress200:\n",
		"  WebServerSubnet1Association:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties:\n      SubnetId: subnet-0aa\n      NetworkAclId: !Ref WebServer\n",
		"      SubnetId: !Ref WebServerSubnet2\n",
		"  PrivateAcl:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: vpc-0abc\n",
		"  Main:\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: !Ref VpcIdAwsVpcMainId\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "32768\n") {
		t.Errorf("implicit rule written:\n%s", out)
	}
	got, diags, err := Parse("w.yaml", buf.Bytes())
	if err != nil || len(got) != 3 || len(got[0].Entries) != 3 || got[0].Subnets[1] != "PublicSubnet" || got[2].VPCID != "aws_vpc.main.id" {
		t.Fatalf("re-parse: %v %v %+v", err, diags, got)
	}
}

func TestWriteEscapes(t *testing.T) {
	acls := []*nacl.ACL{{ID: "x", Name: "!Ref evil: {a}\n# not a comment", Entries: []nacl.Entry{
		{RuleNumber: 1, Action: nacl.Allow, Protocol: nacl.ProtoAll, CIDR: netip.MustParsePrefix("0.0.0.0/0"), ICMPType: -1, ICMPCode: -1, Comment: "line one\n\nKey: value"},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, acls); err != nil {
		t.Fatal(err)
	}
	got, _, err := Parse("e.yaml", buf.Bytes())
	if err != nil || len(got) != 1 || got[0].Name != acls[0].Name || len(got[0].Entries) != 1 {
		t.Fatalf("err %v got %+v\n%s", err, got, buf.String())
	}
	// Names and IDs that YAML would read as other types stay strings.
	for _, name := range []string{"true", "123", "null", "~", "0x1F", "1e3", "- x", "a: b"} {
		acls := []*nacl.ACL{{ID: name, Name: name, VPCID: name, Subnets: []string{name}}}
		buf.Reset()
		if err := Write(&buf, acls); err != nil {
			t.Fatal(err)
		}
		got, _, err := Parse("e.yaml", buf.Bytes())
		if err != nil || len(got) != 1 || got[0].Name != name || got[0].VPCID != name || !reflect.DeepEqual(got[0].Subnets, []string{name}) {
			t.Errorf("%q: err %v got %+v\n%s", name, err, got, buf.String())
		}
	}
}
