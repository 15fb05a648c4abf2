package terraform

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestParseDocNetworkACL(t *testing.T) {
	acls, diags, err := Parse("doc.tf", formattest.ReadTestdata(t, "doc_network_acl.tf"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if len(acls) != 1 {
		t.Fatalf("%d ACLs", len(acls))
	}
	a := acls[0]
	if a.ID != "aws_network_acl.main" || a.Name != "main" || a.VPCID != "aws_vpc.main.id" || a.IsDefault {
		t.Errorf("ACL %+v", a)
	}
	want := []string{"out 200 allow 6 10.3.0.0/18 443-443 -1/-1", "in 100 allow 6 10.3.0.0/18 80-80 -1/-1"}
	if got := formattest.Shorts(a); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if p := a.Entries[1].Pos; p.File != "doc.tf" || p.Line != 14 || p.Col != 3 || p.Path != "aws_network_acl.main.ingress[0]" {
		t.Errorf("entry pos %+v", p)
	}
}

func TestParseDocNetworkACLRule(t *testing.T) {
	// The doc example takes cidr_block from aws_vpc.foo.cidr_block, which
	// cannot be known from configuration: a clear error at 14:20.
	acls, diags, err := Parse("rule.tf", formattest.ReadTestdata(t, "doc_network_acl_rule.tf"))
	if err == nil || !strings.Contains(err.Error(), "rule.tf:14:20: aws_network_acl_rule.bar: cidr_block: unsupported reference aws_vpc.foo.cidr_block") {
		t.Fatalf("err = %v", err)
	}
	if len(acls) != 1 || acls[0].ID != "aws_network_acl.bar" || len(acls[0].Entries) != 0 {
		t.Errorf("ACLs %+v", acls)
	}
	if n := len(diags); n != 1 {
		t.Errorf("want exactly one diagnostic (no follow-on 'missing' error), got %v", diags)
	}
	// With a literal CIDR the rule joins the ACL through network_acl_id.
	fixed := strings.Replace(string(formattest.ReadTestdata(t, "doc_network_acl_rule.tf")), "aws_vpc.foo.cidr_block", `"10.0.0.0/16"`, 1)
	acls, _, err = Parse("rule.tf", []byte(fixed))
	if err != nil || len(acls) != 1 {
		t.Fatalf("err %v acls %v", err, acls)
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, []string{"in 200 allow 6 10.0.0.0/16 22-22 -1/-1"}) {
		t.Errorf("entries %q", got)
	}
	if acls[0].Entries[0].Pos.Path != "aws_network_acl_rule.bar" {
		t.Errorf("pos %+v", acls[0].Entries[0].Pos)
	}
}

func TestParseDocDefaultNetworkACL(t *testing.T) {
	acls, _, err := Parse("deny.tf", formattest.ReadTestdata(t, "doc_default_network_acl_deny.tf"))
	if err != nil || len(acls) != 1 || !acls[0].IsDefault || len(acls[0].Entries) != 0 || acls[0].ID != "aws_default_network_acl.default" {
		t.Fatalf("err %v acls %+v", err, acls)
	}
	acls, _, err = Parse("allow.tf", formattest.ReadTestdata(t, "doc_default_network_acl.tf"))
	if err == nil || !strings.Contains(err.Error(), "allow.tf:14:18") || !strings.Contains(err.Error(), "aws_vpc.mainvpc.cidr_block") {
		t.Fatalf("err = %v", err)
	}
	// The egress rule that could be read is kept.
	if len(acls) != 1 || !reflect.DeepEqual(formattest.Shorts(acls[0]), []string{"out 100 allow -1 0.0.0.0/0 0-0 -1/-1"}) {
		t.Errorf("acls %+v", acls)
	}
}

func TestParseModule(t *testing.T) {
	acls, diags, err := Parse("module.tf", formattest.ReadTestdata(t, "module.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		t.Errorf("unexpected diagnostic %v", d)
	}
	if len(acls) != 3 {
		t.Fatalf("%d ACLs", len(acls))
	}
	pub, priv, db := acls[0], acls[1], acls[2]
	if pub.Name != "shop-prod-public" || pub.VPCID != "var.vpc_id" || !reflect.DeepEqual(pub.Subnets, []string{"aws_subnet.public_a.id", "subnet-0b1c2d3e4f5a6b7c8"}) {
		t.Errorf("public %+v", pub)
	}
	wantPub := []string{
		"in 100 allow 6 0.0.0.0/0 443-443 -1/-1",
		"in 110 allow 6 198.51.100.0/24 22-22 -1/-1",
		"in 120 allow 6 0.0.0.0/0 1024-65535 -1/-1",
		"in 130 allow 1 0.0.0.0/0 0-0 3/4",
		"in 140 allow 58 ::/0 0-0 2/-1",
		"out 100 allow -1 0.0.0.0/0 0-0 -1/-1",
		"out 101 allow -1 ::/0 0-0 -1/-1",
	}
	if got := formattest.Shorts(pub); !reflect.DeepEqual(got, wantPub) {
		t.Errorf("public entries\n got %q\nwant %q", got, wantPub)
	}
	if priv.Name != "shop-prod-private" || !reflect.DeepEqual(priv.Subnets, []string{"subnet-0c1d2e3f4a5b6c7d8"}) {
		t.Errorf("private name %q (tags via merge()), subnets %q (aws_network_acl_association)", priv.Name, priv.Subnets)
	}
	wantPriv := []string{
		"in 90 deny 6 10.40.0.0/16 23-23 -1/-1",
		"in 100 allow -1 10.40.0.0/16 0-0 -1/-1",
		"in 110 allow 17 0.0.0.0/0 32768-60999 -1/-1",
		"out 100 allow -1 0.0.0.0/0 0-0 -1/-1",
	}
	if got := formattest.Shorts(priv); !reflect.DeepEqual(got, wantPriv) {
		t.Errorf("private entries\n got %q\nwant %q", got, wantPriv)
	}
	wantDB := []string{
		"out 100 allow 6 10.40.0.0/16 1024-65535 -1/-1",
		"in 100 allow 6 10.40.1.0/24 5432-5432 -1/-1",
		"in 110 allow 6 10.40.2.0/24 5432-5432 -1/-1",
	}
	if got := formattest.Shorts(db); !reflect.DeepEqual(got, wantDB) {
		t.Errorf("db entries\n got %q\nwant %q", got, wantDB)
	}
	if p := db.Entries[2].Pos.Path; p != "aws_network_acl.db.dynamic.ingress[1]" {
		t.Errorf("dynamic entry path %q", p)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "variable \"nodef\" {}\nvariable \"v\" {\n  default = \"10.0.0.0/8\"\n}\n"
	rule := func(body string) string {
		return head + "resource \"aws_network_acl\" \"a\" {\n  vpc_id = \"vpc-1\"\n  ingress {\n" + body + "\n  }\n}\n"
	}
	base := "    rule_no = 100\n    action = \"allow\"\n    protocol = \"tcp\"\n    from_port = 80\n    to_port = 80\n"
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"data source", rule(base + "    cidr_block = data.aws_vpc.x.cidr_block"), 13, "cidr_block", "data.aws_vpc.x.cidr_block is a data source, read by terraform at plan time: it cannot be evaluated from configuration (run `terraform plan"},
		{"function", rule(base + "    cidr_block = file(\"x\")"), 13, "cidr_block", "function call file(...) is not supported"},
		{"var without default", rule(base + "    cidr_block = var.nodef"), 13, "cidr_block", "var.nodef has no value: give it a default, set it in terraform.tfvars or *.auto.tfvars, or pass --var nodef=VALUE"},
		{"undeclared var", rule(base + "    cidr_block = var.nope"), 13, "cidr_block", "undeclared variable var.nope"},
		{"missing", rule("    rule_no = 100\n    action = \"allow\"\n    protocol = \"tcp\"\n    cidr_block = var.v\n    to_port = 80"), 7, "from_port", "required attribute is missing"},
		{"wrong type", rule(base + "    cidr_block = [\"10.0.0.0/8\"]"), 13, "cidr_block", "want a string, number or bool, got tuple"},
		{"bad protocol", rule("    rule_no = 100\n    action = \"allow\"\n    protocol = \"tcpp\"\n    cidr_block = var.v\n    from_port = 1\n    to_port = 2"), 10, "protocol", "unknown protocol"},
		{"bad action", rule("    rule_no = 100\n    action = \"permit\"\n    protocol = \"-1\"\n    cidr_block = var.v\n    from_port = 0\n    to_port = 0"), 9, "action", "unknown rule action"},
		{"both cidrs", rule(base + "    cidr_block = var.v\n    ipv6_cidr_block = \"::/0\""), 14, "ipv6_cidr_block", "only one of"},
		{"v6 in v4 field", rule(base + "    cidr_block = \"::/0\""), 13, "cidr_block", "must be an IPv4 CIDR block"},
		{"port range", rule("    rule_no = 100\n    action = \"allow\"\n    protocol = \"udp\"\n    cidr_block = var.v\n    from_port = 1\n    to_port = 70000"), 13, "to_port", "outside 0..65535"},
		{"count", head + "resource \"aws_network_acl\" \"a\" {\n  count = -1\n}\n", 6, "count", "count must be a non-negative whole number, got -1"},
		{"for_each list", head + "resource \"aws_network_acl\" \"a\" {\n  for_each = [\"x\"]\n}\n", 6, "for_each", "for_each must be a map or a set of strings, got tuple (use toset(...)"},
		{"remote module", head + "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n", 6, "source", "is not a local path (./ or ../): flowverify reads local modules only, so the ACLs this module may create are not read (run `terraform plan"},
		{"syntax", "resource \"aws_network_acl\" \"a\" {\n  vpc_id = \n}\n", 2, "", ""},
		{"local cycle", "locals {\n  a = local.b\n  b = local.a\n}\n" + rule(base+"    cidr_block = local.a"), 17, "cidr_block", "refers to itself"},
		{"rule without acl id", "resource \"aws_network_acl_rule\" \"r\" {\n  rule_number = 1\n}\n", 1, "network_acl_id", "required attribute is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			formattest.ExpectError(t, Parse, "e.tf", "e.tf:", tc.src, tc.line, tc.field, tc.msg)
		})
	}
}

func TestParseWarnings(t *testing.T) {
	src := `resource "aws_network_acl" "a" {
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "icmp"
    cidr_block = "10.1.2.3/8"
    from_port  = 0
    to_port    = 0
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    cidr_block = "0.0.0.0/0"
    from_port  = 80
    to_port    = 80
  }
}
resource "aws_network_acl_rule" "r" {
  network_acl_id = aws_network_acl.a.id
  rule_number    = 200
  protocol       = "udp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 53
  to_port        = 53
}
resource "aws_network_acl_rule" "elsewhere" {
  network_acl_id = "acl-0123"
  rule_number    = 10
  protocol       = "all"
  rule_action    = "deny"
  cidr_block     = "192.0.2.0/24"
}
`
	acls, diags, err := Parse("w.tf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(acls) != 2 || acls[1].ID != "acl-0123" {
		t.Fatalf("acls %+v", acls)
	}
	want := []string{"in 100 allow 1 10.0.0.0/8 0-0 0/0", "out 100 allow -1 0.0.0.0/0 0-0 -1/-1", "in 200 allow 17 0.0.0.0/0 53-53 -1/-1"}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	for _, w := range []struct {
		line        int
		field, text string
	}{
		{2, "icmp_type", "defaults to 0 (echo reply), not -1"},
		{6, "cidr_block", "10.1.2.3/8 is not canonical; AWS stores 10.0.0.0/8"},
		{15, "from_port", "protocol -1 (all) ignores ports"},
		{1, "", "cannot be used together"},
		{29, "network_acl_id", "not defined in this configuration"},
	} {
		if !formattest.HasDiag(diags, nacl.SevWarning, w.line, w.field, w.text) {
			t.Errorf("no warning at %d %s %q in %v", w.line, w.field, w.text, diags)
		}
	}
}

func TestParseFunctions(t *testing.T) {
	src := `variable "vpc_cidr" {
  default = "10.8.0.0/16"
}
locals {
  tags = { Team = "net" }
}
resource "aws_network_acl" "a" {
  tags = merge(local.tags, { Name = upper("edge") })
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = cidrsubnet(var.vpc_cidr, 8, 3)
    from_port  = 443
    to_port    = 443
  }
  ingress {
    rule_no         = 110
    action          = "deny"
    protocol        = "tcp"
    ipv6_cidr_block = cidrsubnet("2001:db8::/32", 16, 258)
    from_port       = 22
    to_port         = 22
  }
  ingress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "${cidrhost(var.vpc_cidr, -2)}/32"
    from_port  = 25
    to_port    = 25
  }
}
`
	acls, diags, err := Parse("f.tf", []byte(src))
	if err != nil {
		t.Fatalf("%v %v", err, diags)
	}
	want := []string{"in 100 allow 6 10.8.3.0/24 443-443 -1/-1", "in 110 deny 6 2001:db8:102::/48 22-22 -1/-1", "in 120 allow 6 10.8.255.254/32 25-25 -1/-1"}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) || acls[0].Name != "EDGE" {
		t.Errorf("entries %q name %q, want %q", got, acls[0].Name, want)
	}
}

func TestReadModuleSplitFiles(t *testing.T) {
	// Alone, main.tf cannot resolve var.office_cidr...
	_, _, err := Parse("main.tf", formattest.ReadTestdata(t, filepath.Join("split", "main.tf")))
	if err == nil || !strings.Contains(err.Error(), "main.tf:8:18") || !strings.Contains(err.Error(), "undeclared variable var.office_cidr") {
		t.Fatalf("err = %v", err)
	}
	// ...read with its module it can.
	acls, diags, err := ReadModule(filepath.Join("testdata", "split"))
	if err != nil || len(diags) != 0 || len(acls) != 1 {
		t.Fatalf("err %v diags %v acls %v", err, diags, acls)
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, []string{"in 100 allow 6 203.0.113.0/24 22-22 -1/-1"}) {
		t.Errorf("entries %q", got)
	}
	if f := acls[0].Entries[0].Pos.File; f != filepath.Join("testdata", "split", "main.tf") {
		t.Errorf("entry file %q", f)
	}
	if _, _, err := ReadModule(t.TempDir()); err == nil {
		t.Error("empty directory: no error")
	}
}
