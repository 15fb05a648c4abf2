package cfn

import (
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestParseDocExample(t *testing.T) {
	for _, name := range []string{"doc_example.yaml", "doc_example.json"} {
		t.Run(name, func(t *testing.T) {
			acls, diags, err := Parse(name, formattest.ReadTestdata(t, name))
			// The JSON example associates a subnet imported from another
			// stack: named as unresolvable, kept as text.
			wantDiags := 0
			if name == "doc_example.json" {
				wantDiags = 1
				if !formattest.HasDiag(diags, nacl.SevWarning, 39, "SubnetId", "Fn::ImportValue (!ImportValue) is an export of another stack") {
					t.Errorf("no warning about the imported subnet in %v", diags)
				}
			}
			if err != nil || len(diags) != wantDiags {
				t.Fatalf("err %v diags %v", err, diags)
			}
			if len(acls) != 1 || acls[0].ID != "MyNACL" || acls[0].VPCID != "vpc-1122334455aabbccd" {
				t.Fatalf("acls %+v", acls)
			}
			want := []string{"in 100 allow 6 172.16.0.0/24 22-22 -1/-1", "out 100 allow -1 0.0.0.0/0 0-0 -1/-1"}
			if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) {
				t.Errorf("entries %q, want %q", got, want)
			}
			if p := acls[0].Entries[0].Pos; p.File != name || p.Line == 0 || p.Path != "Resources.InboundRule" {
				t.Errorf("pos %+v", p)
			}
		})
	}
	acls, _, _ := Parse("j", formattest.ReadTestdata(t, "doc_example.json"))
	if acls[0].Name != "test-nacl" || !reflect.DeepEqual(acls[0].Subnets, []string{"Fn::ImportValue(shared-private-subnet)"}) {
		t.Errorf("name %q subnets %q", acls[0].Name, acls[0].Subnets)
	}
}

func TestParseVPCTemplate(t *testing.T) {
	acls, diags, err := Parse("vpc.yaml", formattest.ReadTestdata(t, "vpc_two_nacls.yaml"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if len(acls) != 2 {
		t.Fatalf("%d ACLs", len(acls))
	}
	pub, priv := acls[0], acls[1]
	if pub.ID != "PublicAcl" || pub.Name != "prod-public" || pub.VPCID != "VPC" || !reflect.DeepEqual(pub.Subnets, []string{"PublicSubnet"}) {
		t.Errorf("public %+v", pub)
	}
	wantPub := []string{
		"in 100 allow 6 0.0.0.0/0 443-443 -1/-1",
		"in 110 allow 6 198.51.100.0/24 22-22 -1/-1",
		"in 120 allow 6 0.0.0.0/0 1024-65535 -1/-1",
		"in 130 allow 1 0.0.0.0/0 0-0 3/4",
		"in 140 allow 58 ::/0 0-0 2/-1",
		"out 100 allow -1 0.0.0.0/0 0-0 -1/-1",
	}
	if got := formattest.Shorts(pub); !reflect.DeepEqual(got, wantPub) {
		t.Errorf("public\n got %q\nwant %q", got, wantPub)
	}
	wantPriv := []string{
		"in 90 deny 6 10.20.0.0/16 23-23 -1/-1",
		"in 100 allow -1 10.20.0.0/16 0-0 -1/-1",
		"in 110 allow 6 0.0.0.0/0 32768-60999 -1/-1",
		"out 100 allow 6 0.0.0.0/0 443-443 -1/-1",
		"out 110 allow -1 10.20.0.0/16 0-0 -1/-1",
		"out 120 allow 17 0.0.0.0/0 53-53 -1/-1",
	}
	if got := formattest.Shorts(priv); priv.Name != "prod-private" || !reflect.DeepEqual(got, wantPriv) || !reflect.DeepEqual(priv.Subnets, []string{"PrivateSubnet"}) {
		t.Errorf("private %q %q\n got %q\nwant %q", priv.Name, priv.Subnets, got, wantPriv)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "Parameters:\n  NoDefault:\n    Type: String\nResources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n  Vpc:\n    Type: AWS::EC2::VPC\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n"
	// Line 13 is the first property after NetworkAclId.
	const base = "      RuleNumber: 100\n      RuleAction: allow\n      Protocol: 6\n      PortRange: {From: 80, To: 80}\n"
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"select", head + base + "      CidrBlock: !Select [0, !GetAZs '']\n", 17, "CidrBlock", "Fn::GetAZs (!GetAZs) depends on the account and region: it cannot be resolved from the template"},
		{"import value", head + base + "      CidrBlock: !ImportValue shared-cidr\n", 17, "CidrBlock", "Fn::ImportValue (!ImportValue) is an export of another stack: it cannot be resolved from the template (deploy the stack"},
		{"select out of range", head + base + "      CidrBlock: !Select [2, [10.0.0.0/8]]\n", 17, "CidrBlock", "!Select index 2 outside the list of 1"},
		{"cidr too many", head + base + "      CidrBlock: !Select [0, !Cidr [10.0.0.0/24, 4, 7]]\n", 17, "CidrBlock", "!Cidr: 10.0.0.0/24 holds only 2 subnets of /25, not 4"},
		{"long form if", head + base + "      CidrBlock: {\"Fn::If\": [C, a, b]}\n", 17, "CidrBlock", "no condition C in Conditions"},
		{"param without default", head + base + "      CidrBlock: !Ref NoDefault\n", 17, "CidrBlock", "parameter NoDefault has no Default"},
		{"pseudo param", head + base + "      CidrBlock: !Ref AWS::Region\n", 17, "CidrBlock", "!Ref AWS::Region: the pseudo parameter AWS::Region is only known once the stack is deployed"},
		{"resource attr", head + base + "      CidrBlock: !GetAtt Vpc.CidrBlock\n", 17, "CidrBlock", "refers to resource Vpc"},
		{"protocol name", head + "      RuleNumber: 1\n      RuleAction: allow\n      Protocol: tcp\n      CidrBlock: 10.0.0.0/8\n      PortRange: {From: 1, To: 2}\n", 15, "Protocol", "(tcp is 6)"},
		{"no port range", head + "      RuleNumber: 1\n      RuleAction: allow\n      Protocol: 17\n      CidrBlock: 10.0.0.0/8\n", 9, "PortRange", "required for protocol 17"},
		{"no icmp", head + "      RuleNumber: 1\n      RuleAction: allow\n      Protocol: 1\n      CidrBlock: 10.0.0.0/8\n", 9, "Icmp", "required for protocol 1"},
		{"missing rule number", head + "      RuleAction: allow\n      Protocol: -1\n      CidrBlock: 10.0.0.0/8\n", 9, "RuleNumber", "required property is missing"},
		{"bad port", head + "      RuleNumber: 1\n      RuleAction: allow\n      Protocol: 6\n      CidrBlock: 10.0.0.0/8\n      PortRange: {From: 1, To: 65536}\n", 17, "PortRange.To", "outside 0..65535"},
		{"bad egress", head + base + "      CidrBlock: 10.0.0.0/8\n      Egress: maybe\n", 18, "Egress", "want true or false"},
		{"join to vpc", strings.Replace(head, "!Ref Acl", "!Ref Vpc", 1) + base + "      CidrBlock: 10.0.0.0/8\n", 12, "NetworkAclId", "Vpc is a AWS::EC2::VPC"},
		{"getatt wrong attr", strings.Replace(head, "!Ref Acl", "!GetAtt Acl.Arn", 1) + base + "      CidrBlock: 10.0.0.0/8\n", 12, "NetworkAclId", "want the Id attribute"},
		{"sub resource", head + base + "      CidrBlock: !Sub '${Vpc.CidrBlock}'\n", 17, "CidrBlock", "${Vpc.CidrBlock} is not supported"},
		{"yaml syntax", "Resources:\n  A: [\n", 3, "", "invalid YAML: did not find expected node content"},
		{"json syntax", "{\n  \"Resources\": {,}\n}", 2, "", "invalid JSON"},
		{"no resources", "Parameters: {}\n", 1, "Resources", "no Resources"},
		{"both cidrs", head + base + "      CidrBlock: 10.0.0.0/8\n      Ipv6CidrBlock: ::/0\n", 18, "Ipv6CidrBlock", "only one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			formattest.ExpectError(t, Parse, "t.yaml", "t.yaml", tc.src, tc.line, tc.field, tc.msg)
		})
	}
}

func TestParseErrorNamesResource(t *testing.T) {
	src := "Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAcl\n  WebIn:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n      RuleNumber: 100\n      RuleAction: allow\n      Protocol: -1\n      CidrBlock: !Select [0, !Split [',', !ImportValue x]]\n"
	acls, _, err := Parse("t.yaml", []byte(src))
	want := "t.yaml:11:43: Resources.WebIn.Properties: CidrBlock: resource WebIn: Fn::ImportValue (!ImportValue) is an export of another stack"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err %v\nwant %s", err, want)
	}
	if len(acls) != 1 || acls[0].ID != "Acl" {
		t.Errorf("the ACL read before the error is lost: %+v", acls)
	}
}

func TestParseWarnings(t *testing.T) {
	src := `Resources:
  Acl:
    Type: AWS::EC2::NetworkAcl
    Condition: IsProd
  Old:
    Type: AWS::EC2::NetworkAcl
    Condition: IsDev
  Ping:
    Type: AWS::EC2::NetworkAclEntry
    Properties:
      NetworkAclId: acl-0abc
      RuleNumber: 100
      RuleAction: allow
      Protocol: 1
      CidrBlock: 10.1.2.3/8
      Icmp: {Type: 8}
      Colour: blue
`
	src = "Parameters:\n  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\n" + src
	acls, diags, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(acls) != 2 || acls[1].ID != "acl-0abc" || !reflect.DeepEqual(formattest.Shorts(acls[1]), []string{"in 100 allow 1 10.0.0.0/8 0-0 8/-1"}) {
		t.Fatalf("acls %+v", acls)
	}
	for _, w := range []struct {
		line        int
		field, text string
	}{
		{16, "NetworkAclId", "not defined in this template"},
		{20, "CidrBlock", "not canonical; AWS stores 10.0.0.0/8"},
		{21, "Icmp.Code", "UNCONFIRMED"},
		{22, "Colour", "unknown property"},
	} {
		if !formattest.HasDiag(diags, nacl.SevWarning, w.line, w.field, w.text) {
			t.Errorf("no warning at %d %s %q in %v", w.line, w.field, w.text, diags)
		}
	}
	if !formattest.HasDiag(diags, nacl.SevInfo, 12, "Condition", "resource Old is not created: condition IsDev is false") {
		t.Errorf("no note on the skipped resource in %v", diags)
	}
	acls, _, err = ParseWith("w.yaml", []byte(src), Options{Parameters: []string{"Env=dev"}})
	if err != nil || len(acls) != 2 || acls[0].ID != "Old" {
		t.Fatalf("with Env=dev: err %v acls %+v", err, acls)
	}
	if _, _, err = ParseWith("w.yaml", []byte(src), Options{Parameters: []string{"Env=test"}}); err == nil || !strings.Contains(err.Error(), `parameter Env: "test" is not one of the AllowedValues prod, dev`) {
		t.Fatalf("Env=test: %v", err)
	}
}

// TestParseJSONEscapes reads a JSON template with the valid escapes \/ and
// \u, which a YAML parser rejects, and keeps positions.
func TestParseJSONEscapes(t *testing.T) {
	src := `{"Resources": {
  "Acl": {"Type": "AWS::EC2::NetworkAcl", "Properties": {"VpcId": "vpc-1", "Tags": [{"Key": "Name", "Value": "web\/prod \u00e9"}]}},
  "In": {"Type": "AWS::EC2::NetworkAclEntry", "Properties": {"NetworkAclId": {"Ref": "Acl"}, "RuleNumber": 100,
    "Protocol": 6, "RuleAction": "allow", "CidrBlock": "10.0.0.0\/8", "PortRange": {"From": 443, "To": 443}}}}}`
	acls, diags, err := Parse("t.json", []byte(src))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if len(acls) != 1 || acls[0].Name != "web/prod é" {
		t.Fatalf("acls %+v", acls)
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, []string{"in 100 allow 6 10.0.0.0/8 443-443 -1/-1"}) {
		t.Errorf("entries %q", got)
	}
	if p := acls[0].Entries[0].Pos; p.Line != 3 || p.Col != 3 {
		t.Errorf("entry position %d:%d, want 3:3", p.Line, p.Col)
	}
}

// TestIntrinsicValues checks the values the supported intrinsics compute,
// as CloudFormation documents them.
func TestIntrinsicValues(t *testing.T) {
	src := `Parameters:
  Cidrs: {Type: CommaDelimitedList, Default: "10.1.0.0/16, 10.2.0.0/16"}
  Env: {Type: String, Default: prod}
Mappings:
  Ports: {prod: {https: 443}, dev: {https: 8443}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Either: !Or [!Condition IsProd, !Equals [a, b]]
  Both: !And [!Condition IsProd, !Not [!Equals [!Join ["-", [a, b]], a-c]]]
Resources:
  Acl: {Type: AWS::EC2::NetworkAcl}
  A: {Type: AWS::EC2::NetworkAclEntry, Properties: {NetworkAclId: !Ref Acl, RuleNumber: 1, Protocol: 6, RuleAction: allow,
      CidrBlock: !Select [3, !Cidr [10.0.0.0/16, 4, 8]], PortRange: {From: !FindInMap [Ports, !Ref Env, https], To: !FindInMap [Ports, !Ref Env, https]}}}
  B: {Type: AWS::EC2::NetworkAclEntry, Condition: Both, Properties: {NetworkAclId: !Ref Acl, RuleNumber: 2, Protocol: -1, RuleAction: deny,
      Ipv6CidrBlock: !Select [1, !Cidr ["2001:db8::/56", 2, 64]]}}
  C: {Type: AWS::EC2::NetworkAclEntry, Condition: Either, Properties: {NetworkAclId: !Ref Acl, RuleNumber: 3, Protocol: -1, RuleAction: allow, Egress: true,
      CidrBlock: !Select [1, !Ref Cidrs], PortRange: !If [IsProd, !Ref AWS::NoValue, {From: 1, To: 2}]}}
  D: {Type: AWS::EC2::NetworkAclEntry, Properties: {NetworkAclId: !Ref Acl, RuleNumber: !Select [2, !Split [",", "7,8,9"]], Protocol: -1, RuleAction: allow, Egress: true,
      CidrBlock: !Sub ["${Net}.0.0.0/8", {Net: !Select [0, !Split [".", !Select [0, !Ref Cidrs]]]}]}}
`
	acls, diags, err := Parse("v.yaml", []byte(src))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	want := []string{
		"in 1 allow 6 10.0.3.0/24 443-443 -1/-1",
		"in 2 deny -1 2001:db8:0:1::/64 0-0 -1/-1",
		"out 3 allow -1 10.2.0.0/16 0-0 -1/-1",
		"out 9 allow -1 10.0.0.0/8 0-0 -1/-1",
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("entries\n got %q\nwant %q", got, want)
	}
	acls, _, err = ParseWith("v.yaml", []byte(src), Options{Parameters: []string{"Env=dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := formattest.Shorts(acls[0]); len(got) != 2 || got[0] != "in 1 allow 6 10.0.3.0/24 8443-8443 -1/-1" {
		t.Errorf("with Env=dev: %q", got)
	}
}

// TestReferenceToAResourceNotCreated: an entry whose ACL has a false
// Condition is an error (CloudFormation refuses it), not a silent drop.
func TestReferenceToAResourceNotCreated(t *testing.T) {
	src := "Conditions:\n  No: !Equals [a, b]\nResources:\n  Acl: {Type: AWS::EC2::NetworkAcl, Condition: No}\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties: {NetworkAclId: !Ref Acl, RuleNumber: 1, Protocol: -1, RuleAction: allow, CidrBlock: 0.0.0.0/0}\n"
	_, _, err := Parse("c.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:7:32: Resources.E.Properties: NetworkAclId: resource E refers to Acl, which is not created (see its Condition)") {
		t.Fatalf("err %v", err)
	}
}

// TestTransformIsNamed: macros are not applied, and the reader says so.
func TestTransformIsNamed(t *testing.T) {
	src := "Transform: AWS::Serverless-2016-10-31\nResources:\n  Acl: {Type: AWS::EC2::NetworkAcl}\n"
	_, diags, err := Parse("s.yaml", []byte(src))
	if err != nil || !formattest.HasDiag(diags, nacl.SevWarning, 1, "Transform", "they are not applied, so ACLs or entries they would create are not read") {
		t.Fatalf("err %v diags %v", err, diags)
	}
}
