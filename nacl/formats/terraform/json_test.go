package terraform

import (
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestParseJSONState(t *testing.T) {
	acls, diags, err := ParseJSON("state.json", formattest.ReadTestdata(t, "state.json"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if len(acls) != 3 {
		t.Fatalf("%d ACLs", len(acls))
	}
	def, pub, db := acls[0], acls[1], acls[2]
	if def.ID != "acl-0d0e0f1011121314a" || !def.IsDefault || def.VPCID != "vpc-0a1b2c3d4e5f60718" {
		t.Errorf("default ACL %+v", def)
	}
	if pub.ID != "acl-0a1b2c3d4e5f60718" || pub.Name != "shop-prod-public" || !reflect.DeepEqual(pub.Subnets, []string{"subnet-0a0b0c0d0e0f10111", "subnet-0b1c2d3e4f5a6b7c8"}) {
		t.Errorf("public ACL %+v", pub)
	}
	wantPub := []string{
		"in 120 allow 6 0.0.0.0/0 1024-65535 -1/-1",
		"in 130 allow 1 0.0.0.0/0 0-0 3/4",
		"in 100 allow 6 0.0.0.0/0 443-443 -1/-1",
		"in 110 allow 6 198.51.100.0/24 22-22 -1/-1",
		"in 140 allow 58 ::/0 0-0 2/-1",
		"out 101 allow -1 ::/0 0-0 -1/-1",
		"out 100 allow -1 0.0.0.0/0 0-0 -1/-1",
	}
	if got := formattest.Shorts(pub); !reflect.DeepEqual(got, wantPub) {
		t.Errorf("public entries\n got %q\nwant %q", got, wantPub)
	}
	// Rules of a child module join their ACL by network_acl_id; the data
	// source is ignored.
	wantDB := []string{"in 100 allow 6 10.40.1.0/24 5432-5432 -1/-1", "out 100 allow 6 10.40.0.0/16 32768-60999 -1/-1"}
	if got := formattest.Shorts(db); db.Name != "shop-prod-db" || !reflect.DeepEqual(got, wantDB) {
		t.Errorf("db %q entries %q", db.Name, got)
	}
	if want := []string{"subnet-0c1d2e3f4a5b6c7d8", "subnet-0d2e3f4a5b6c7d8e9"}; !reflect.DeepEqual(db.Subnets, want) {
		t.Errorf("db subnets %q, want %q (subnet_ids plus aws_network_acl_association)", db.Subnets, want)
	}
	if p := pub.Entries[3].Pos; p.Line != 50 || p.Path != "values.root_module.resources[1].values.ingress[3]" {
		t.Errorf("pos %+v", p)
	}
}

func TestParseJSONPlan(t *testing.T) {
	acls, diags, err := ParseJSON("plan.json", formattest.ReadTestdata(t, "plan.json"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	// The ACL id is unknown before apply: the ACL is named by its address
	// and the rules join it through the configuration's references.
	if len(acls) != 1 || acls[0].ID != "aws_network_acl.app" || acls[0].Name != "app" {
		t.Fatalf("acls %+v", acls)
	}
	want := []string{"in 100 allow 6 0.0.0.0/0 443-443 -1/-1", "out 100 allow 6 0.0.0.0/0 1024-65535 -1/-1"}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q", got)
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"syntax", "{\n  \"values\": {\n    \"root_module\": [}\n}", 3, "", "invalid JSON"},
		{"not object", "[1]", 1, "", "want a JSON object"},
		{"no values", `{"foo": 1}`, 1, "values", "not terraform show -json output"},
		{"resources not list", `{"values": {"root_module": {"resources": {}}}}`, 1, "resources", "want a list"},
		{"bad rule", `{"values": {"root_module": {"resources": [
  {"address": "aws_network_acl.a", "mode": "managed", "type": "aws_network_acl", "name": "a",
   "values": {"id": "acl-1", "ingress": [{"action": "allow", "cidr_block": "10.0.0.0/8", "from_port": "x", "protocol": "6", "rule_no": 1, "to_port": 2}]}}]}}}`, 3, "from_port", "want an integer"},
		{"unjoinable rule", `{"planned_values": {"root_module": {"resources": [
  {"address": "aws_network_acl_rule.r", "mode": "managed", "type": "aws_network_acl_rule", "name": "r",
   "values": {"rule_number": 1, "protocol": "-1", "rule_action": "allow", "cidr_block": "0.0.0.0/0"}}]}}}`, 3, "network_acl_id", "network_acl_id is unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			formattest.ExpectError(t, ParseJSON, "s.json", "s.json", tc.src, tc.line, tc.field, tc.msg)
		})
	}
}

func TestParseJSONEmptyState(t *testing.T) {
	acls, diags, err := ParseJSON("empty.json", []byte(`{"format_version": "1.0"}`))
	if err != nil || len(acls) != 0 || len(diags) != 0 {
		t.Errorf("acls %v diags %v err %v", acls, diags, err)
	}
}

func TestParseJSONPlanChildModule(t *testing.T) {
	src := `{"format_version": "1.2",
 "planned_values": {"root_module": {"child_modules": [{"address": "module.net[0]", "resources": [
   {"address": "module.net[0].aws_network_acl.this[\"a\"]", "mode": "managed", "type": "aws_network_acl", "name": "this", "index": "a",
    "values": {"vpc_id": "vpc-1", "tags": {"Name": "net-a"}}},
   {"address": "module.net[0].aws_network_acl_rule.in", "mode": "managed", "type": "aws_network_acl_rule", "name": "in",
    "values": {"rule_number": 10, "egress": false, "protocol": "udp", "rule_action": "deny", "cidr_block": "192.0.2.0/24", "from_port": 53, "to_port": 53}},
   {"address": "module.net[0].aws_network_acl_association.a", "mode": "managed", "type": "aws_network_acl_association", "name": "a",
    "values": {"subnet_id": "subnet-9"}}]}]}},
 "configuration": {"root_module": {"module_calls": {"net": {"module": {"resources": [
   {"address": "aws_network_acl_rule.in", "type": "aws_network_acl_rule", "expressions": {"network_acl_id": {"references": ["aws_network_acl.this[\"a\"].id", "aws_network_acl.this[\"a\"]", "aws_network_acl.this"]}}},
   {"address": "aws_network_acl_association.a", "type": "aws_network_acl_association", "expressions": {"network_acl_id": {"references": ["aws_network_acl.this[\"a\"].id", "aws_network_acl.this"]}}}
 ]}}}}}}`
	acls, diags, err := ParseJSON("plan.json", []byte(src))
	if err != nil || len(diags) != 0 || len(acls) != 1 {
		t.Fatalf("err %v diags %v acls %+v", err, diags, acls)
	}
	a := acls[0]
	if a.ID != `module.net[0].aws_network_acl.this["a"]` || a.Name != "net-a" || !reflect.DeepEqual(a.Subnets, []string{"subnet-9"}) {
		t.Errorf("acl %+v", a)
	}
	if got := formattest.Shorts(a); !reflect.DeepEqual(got, []string{"in 10 deny 17 192.0.2.0/24 53-53 -1/-1"}) {
		t.Errorf("entries %q", got)
	}
}

// TestParseJSONEscapes reads terraform show -json output with \/ escapes
// (a YAML parser rejects them).
func TestParseJSONEscapes(t *testing.T) {
	src := `{"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "aws_network_acl.a", "type": "aws_network_acl", "name": "a",
  "values": {"id": "acl-1", "vpc_id": "vpc-1", "tags": {"Name": "a\/b"}, "egress": [], "ingress": [{"rule_no": 100, "action": "allow", "protocol": "6", "cidr_block": "10.0.0.0\/8", "from_port": 22, "to_port": 22, "icmp_type": 0, "icmp_code": 0, "ipv6_cidr_block": ""}]}}]}}}`
	acls, diags, err := ParseJSON("s.json", []byte(src))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	if len(acls) != 1 || acls[0].Name != "a/b" {
		t.Fatalf("acls %+v", acls)
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, []string{"in 100 allow 6 10.0.0.0/8 22-22 -1/-1"}) {
		t.Errorf("entries %q", got)
	}
}

// TestParseJSONConfig reads a configuration in JSON syntax (.tf.json):
// templates in strings, dynamic blocks, count, and positions in the file.
func TestParseJSONConfig(t *testing.T) {
	src := `{
  "variable": {"ports": {"default": [22, 443]}},
  "resource": {
    "aws_network_acl": {"a": {"vpc_id": "vpc-1", "tags": {"Name": "web\/${var.ports[0]}"},
      "dynamic": {"ingress": {"for_each": "${var.ports}", "content": {
        "rule_no": "${100 + ingress.key}", "action": "allow", "protocol": "tcp",
        "cidr_block": "0.0.0.0/0", "from_port": "${ingress.value}", "to_port": "${ingress.value}"}}}}},
    "aws_network_acl_rule": {"r": {"count": 2, "network_acl_id": "${aws_network_acl.a.id}",
      "rule_number": "${200 + count.index}", "egress": true, "protocol": "-1", "rule_action": "allow",
      "cidr_block": "${data.aws_vpc.x.cidr_block}"}}
  }
}`
	acls, diags, err := ParseFile("n.tf.json", []byte(src), Options{Detached: true})
	if err == nil || len(acls) != 1 || acls[0].Name != "web/22" {
		t.Fatalf("err %v acls %+v", err, acls)
	}
	want := []string{"in 100 allow 6 0.0.0.0/0 22-22 -1/-1", "in 101 allow 6 0.0.0.0/0 443-443 -1/-1"}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	// Both rule instances fail on the data source, at its position in the
	// JSON string.
	if !formattest.HasDiag(diags, "error", 10, "cidr_block", "data.aws_vpc.x.cidr_block is a data source") || countErrors(diags) != 2 {
		t.Errorf("diags %v", diags)
	}
	if !strings.Contains(err.Error(), "n.tf.json:10:24: aws_network_acl_rule.r[0]: cidr_block:") {
		t.Errorf("err %v", err)
	}
}

// TestParseJSONPlanModuleOutput reads the plan terraform 1.11 made of
// nacl/aclfile/testdata/cases/tfmodule/root (terraform show -json): the
// root's association names its ACL through the child module's output
// (module.web_nacl.acl_id -> aws_network_acl.this), which is followed.
func TestParseJSONPlanModuleOutput(t *testing.T) {
	acls, diags, err := ParseJSON("plan.json", formattest.ReadTestdata(t, "plan_module_output.json"))
	if err != nil || len(diags) != 0 {
		t.Fatalf("err %v diags %v", err, diags)
	}
	var web *nacl.ACL
	for _, a := range acls {
		if a.Name == "prod-web-server" {
			web = a
		}
	}
	if web == nil || web.ID != "module.web_nacl.aws_network_acl.this" || !reflect.DeepEqual(web.Subnets, []string{"subnet-web", "subnet-web-b"}) {
		t.Fatalf("web ACL %+v", web)
	}
	if len(web.Entries) != 8 {
		t.Errorf("%d entries", len(web.Entries))
	}
}
