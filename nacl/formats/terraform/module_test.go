package terraform

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

// writeTree writes files (path -> contents) below a temporary directory
// and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, src := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestModuleArguments: optional() attributes take their defaults, a
// required variable the module block does not set is named with the
// block, and a module with for_each gets one ACL per key.
func TestModuleArguments(t *testing.T) {
	root := writeTree(t, map[string]string{
		"root/main.tf": `module "acl" {
  source   = "../m"
  for_each = { web = 443, db = 5432 }
  port     = each.value
  rules    = [{ number = 100 }]
}

module "broken" {
  source = "../m"
}
`,
		"m/main.tf": `variable "port" { type = number }
variable "rules" {
  type    = list(object({ number = number, cidr = optional(string, "10.0.0.0/8") }))
  default = []
}

resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
  dynamic "ingress" {
    for_each = var.rules
    content {
      rule_no    = ingress.value.number
      action     = "allow"
      protocol   = "tcp"
      cidr_block = ingress.value.cidr
      from_port  = var.port
      to_port    = var.port
    }
  }
}
`,
	})
	acls, diags, err := ReadDir(filepath.Join(root, "root"), Options{})
	if err == nil {
		t.Fatal("want an error for module.broken")
	}
	var ids []string
	for _, a := range acls {
		ids = append(ids, a.ID)
	}
	want := []string{`module.acl["db"].aws_network_acl.a`, `module.acl["web"].aws_network_acl.a`, "module.broken.aws_network_acl.a"}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("ACLs %q, want %q", ids, want)
	}
	if got := formattest.Shorts(acls[0]); !reflect.DeepEqual(got, []string{"in 100 allow 6 10.0.0.0/8 5432-5432 -1/-1"}) {
		t.Errorf("db entries %q", got)
	}
	if !formattest.HasDiag(diags, "error", 8, "port", "module module.broken: required argument(s) port not set (the variables have no default)") || countErrors(diags) != 1 {
		t.Errorf("diags %v", diags)
	}
	if !strings.Contains(err.Error(), "main.tf:8:1: module.broken: port:") {
		t.Errorf("err %v", err)
	}
}
