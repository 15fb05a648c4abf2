package aclfile_test

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

// webCases are the web server's NACL (pcaps/webserver.nacl) as people keep
// it: a Terraform module tree (tfvars, for_each, count, dynamic, a child
// module with arguments and an output), a .tf.json file, and a
// CloudFormation template with Parameters, Conditions, !Select, !Cidr,
// !Split, !FindInMap and !If. Each must give the same verdicts on
// webserver.pcap as the describe-network-acls JSON.
var webCases = []struct {
	name, path, acl string
	opts            aclfile.Options
}{
	{"describe-network-acls", "testdata/cases/describe/acls.json", "web-server", aclfile.Options{}},
	{"terraform module", "testdata/cases/tfmodule/root", "prod-web-server", aclfile.Options{}},
	{"terraform json", "testdata/cases/tfjson/nacl.tf.json", "web-server", aclfile.Options{}},
	{"cloudformation", "testdata/cases/cfn/web.yaml", "web-server", aclfile.Options{}},
}

// verdicts replays webserver.pcap against acl on the web subnet and
// returns one line per conversation: client, server, status and the
// deciding rule of each leg.
func verdicts(t *testing.T, acl *nacl.ACL) []string {
	t.Helper()
	topo, err := replay.SimpleTopology(acl, []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	rec := replay.NewRecorder(flows.DefaultConfig(), replay.Window{})
	s, err := capture.Open([]string{pcaps.Path("webserver.pcap")}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var p capture.Packet
	for s.Next(&p) == nil {
		rec.Add(&p)
	}
	var out []string
	leg := func(l *replay.Leg) string {
		var rules []string
		for _, c := range l.Checks {
			rules = append(rules, fmt.Sprintf("%s#%d:%s", c.Direction, c.Rule, c.Action))
		}
		return fmt.Sprintf("%s %d/%d %v", l.Verdict, l.Allowed, l.Denied, rules)
	}
	err = replay.Summarize(j, rec.Classify()).EachConversation(func(cr *replay.ConvResult) error {
		out = append(out, fmt.Sprintf("%v -> %v %s | req %s | resp %s", cr.Conv.Client, cr.Conv.Server, cr.Status, leg(&cr.Request), leg(&cr.Response)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWebCasesGiveTheSameVerdicts(t *testing.T) {
	var want []string
	for i, tc := range webCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := aclfile.ReadWith(tc.path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Diagnostics {
				if d.Severity == nacl.SevError {
					t.Errorf("error diagnostic %v", d)
				}
			}
			acl, err := f.Select(tc.acl)
			if err != nil {
				t.Fatal(err)
			}
			got := verdicts(t, acl)
			if i == 0 {
				want = got
				// The reference itself: the mirror's replies are denied by
				// inbound rule 130, as pcaps/README.md says.
				if !strings.Contains(strings.Join(got, "\n"), "resp deny 0/24 [inbound#130:deny]") {
					t.Fatalf("reference verdicts do not show rule 130 denying:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("verdicts differ from describe-network-acls:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			if !reflect.DeepEqual(acl.Subnets[:1], []string{"subnet-web"}) {
				t.Errorf("subnets %q, want subnet-web first", acl.Subnets)
			}
		})
	}
}

// TestTerraformModuleDetails checks what the module case reads besides the
// rules: addresses with the module prefix and instance keys, positions in
// the child module, the association from the root (an *.auto.tfvars value
// through a module output), the default ACL built by dynamic blocks, and
// --var overriding terraform.tfvars.
func TestTerraformModuleDetails(t *testing.T) {
	f, err := aclfile.ReadWith("testdata/cases/tfmodule/root", aclfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.ACLs) != 2 {
		t.Fatalf("%d ACLs", len(f.ACLs))
	}
	web, def := f.ACLs[0], f.ACLs[1]
	if web.ID != "module.web_nacl.aws_network_acl.this" || web.VPCID != "vpc-0a1b2c3d4e5f60001" ||
		!reflect.DeepEqual(web.Subnets, []string{"subnet-web", "subnet-web-b"}) {
		t.Errorf("web ACL %+v", web)
	}
	var paths []string
	for _, e := range web.Entries {
		paths = append(paths, e.Pos.Path)
	}
	wantPaths := []string{
		`module.web_nacl.aws_network_acl_rule.service_in["http"]`,
		`module.web_nacl.aws_network_acl_rule.service_in["https"]`,
		`module.web_nacl.aws_network_acl_rule.service_in["ssh"]`,
		`module.web_nacl.aws_network_acl_rule.deny_ephemeral_in[0]`,
		`module.web_nacl.aws_network_acl_rule.out["100"]`,
		`module.web_nacl.aws_network_acl_rule.out["110"]`,
		`module.web_nacl.aws_network_acl_rule.out["120"]`,
		`module.web_nacl.aws_network_acl_rule.out["130"]`,
	}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Errorf("paths\n got %q\nwant %q", paths, wantPaths)
	}
	if p := web.Entries[0].Pos; filepath.Base(p.File) != "main.tf" || !strings.Contains(p.File, "web_nacl") || p.Line != 16 {
		t.Errorf("position %+v", p)
	}
	if !def.IsDefault || def.Name != "prod-web-server-default" || len(def.Entries) != 2 || def.Entries[0].CIDR.String() != "10.0.0.0/16" {
		t.Errorf("default ACL %+v", def)
	}
	// --var wins over terraform.tfvars: without the ephemeral deny the
	// mirror's replies get through.
	f, err = aclfile.ReadWith("testdata/cases/tfmodule/root", aclfile.Options{Vars: []string{"deny_ephemeral_inbound=false", "env=dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.ACLs[0].Name != "dev-web-server" || len(f.ACLs[0].Entries) != 7 {
		t.Errorf("with --var: %s, %d entries", f.ACLs[0].Name, len(f.ACLs[0].Entries))
	}
	// A --var-file is read after the tfvars files.
	vf := filepath.Join(t.TempDir(), "ci.tfvars")
	if err := os.WriteFile(vf, []byte("env = \"ci\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = aclfile.ReadWith("testdata/cases/tfmodule/root", aclfile.Options{VarFiles: []string{vf}})
	if err != nil || f.ACLs[0].Name != "ci-web-server" {
		t.Fatalf("with --var-file: %v %v", err, f)
	}
}

// TestTerraformModuleProblemsAreNamed: a remote module and a missing local
// module are errors naming their position, and the rest is still read.
func TestTerraformModuleProblemsAreNamed(t *testing.T) {
	dir := t.TempDir()
	main := `module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
}

module "gone" {
  source = "./nowhere"
}

resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := aclfile.ReadWith(dir, aclfile.Options{})
	if err == nil || f == nil {
		t.Fatalf("want an error, got %v", err)
	}
	var errs []string
	for _, d := range f.Diagnostics {
		if d.Severity == nacl.SevError {
			errs = append(errs, d.Error())
		}
	}
	if len(errs) != 2 || !strings.Contains(errs[0], "main.tf:2:12: module.vpc: source: module module.vpc: source \"terraform-aws-modules/vpc/aws\" is not a local path") ||
		!strings.Contains(errs[0], "terraform show -json") || !strings.Contains(errs[1], "main.tf:6:12: module.gone: source:") {
		t.Errorf("errors %q", errs)
	}
	if len(f.ACLs) != 1 || len(f.ACLs[0].Entries) != 1 {
		t.Errorf("the readable ACL was lost: %+v", f.ACLs)
	}
	if !strings.Contains(err.Error(), "(and 1 more errors)") {
		t.Errorf("error %q", err)
	}
}

// providerOverride lets terraform plan run offline: the provider makes no
// API call for resources that are only to be created.
const providerOverride = `provider "aws" {
  region                      = "us-east-1"
  access_key                  = "mock"
  secret_key                  = "mock"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
`

// TestTerraformValidateAndPlan runs terraform validate and plan on the
// Terraform cases when terraform and a local AWS provider mirror are
// available (FLOWVERIFY_TF_PLUGINS, default /opt/tf-plugins, as
// nacl/synth's tests find them; skipped otherwise), then reads the plan
// (terraform show -json) and checks that flowverify's evaluation of the
// configuration gives every ACL the same entries and subnets as
// terraform's own.
func TestTerraformValidateAndPlan(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not installed")
	}
	mirror := os.Getenv("FLOWVERIFY_TF_PLUGINS")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if _, err := os.Stat(mirror); err != nil {
		t.Skipf("no local provider mirror at %s (set FLOWVERIFY_TF_PLUGINS)", mirror)
	}
	for _, tc := range []struct{ name, src, root string }{
		{"module", "testdata/cases/tfmodule", "root"},
		{"json", "testdata/cases/tfjson", "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(tc.src)); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(dir, tc.root)
			ours, err := aclfile.ReadWith(root, aclfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "provider_override.tf"), []byte(providerOverride), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) []byte {
				cmd := exec.Command(tf, args...)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
				out, err := cmd.Output()
				if err != nil {
					var stderr []byte
					if ee, ok := err.(*exec.ExitError); ok {
						stderr = ee.Stderr
					}
					t.Fatalf("terraform %s: %v\n%s%s", args[0], err, out, stderr)
				}
				return out
			}
			run("init", "-backend=false", "-input=false", "-plugin-dir="+mirror)
			run("validate", "-no-color")
			run("plan", "-input=false", "-refresh=false", "-lock=false", "-no-color", "-out=tfplan")
			plan := run("show", "-json", "tfplan")
			theirs, err := aclfile.Parse("plan.json", plan, aclfile.FormatTerraformJSON)
			if err != nil {
				t.Fatal(err)
			}
			if len(theirs.ACLs) != len(ours.ACLs) {
				t.Fatalf("terraform plans %d ACLs, flowverify reads %d", len(theirs.ACLs), len(ours.ACLs))
			}
			for _, a := range ours.ACLs {
				b, err := theirs.Select(a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := entrySet(a), entrySet(b); !reflect.DeepEqual(got, want) || a.Name != b.Name || !reflect.DeepEqual(a.Subnets, b.Subnets) {
					t.Errorf("%s: flowverify reads %s %q %q,\nterraform plans %s %q %q", a.ID, a.Name, a.Subnets, got, b.Name, b.Subnets, want)
				}
			}
		})
	}
}

// entrySet lists an ACL's entries without positions, sorted.
func entrySet(a *nacl.ACL) []string {
	var out []string
	for _, e := range a.Entries {
		out = append(out, fmt.Sprintf("%s %d %s %d %s %d-%d %d/%d", e.Direction, e.RuleNumber, e.Action, e.Protocol, e.CIDR, e.Ports.From, e.Ports.To, e.ICMPType, e.ICMPCode))
	}
	slices.Sort(out)
	return out
}

// TestOneFileOfAModule: `--nacl root/main.tf` reads that file alone and
// says that the module has more files; the variables declared in them are
// errors with the same hint, never a silent gap.
func TestOneFileOfAModule(t *testing.T) {
	f, err := aclfile.ReadWith("testdata/cases/tfmodule/root/main.tf", aclfile.Options{})
	if err == nil || f == nil {
		t.Fatalf("want an error, got %v", err)
	}
	var note, hint bool
	for _, d := range f.Diagnostics {
		note = note || (d.Severity == nacl.SevInfo && strings.Contains(d.Msg, "main.tf is read on its own, but its directory holds 1 more file(s) of the same module (variables.tf)"))
		hint = hint || (d.Severity == nacl.SevError && strings.Contains(d.Msg, "give the directory: --nacl DIR"))
	}
	if !note || !hint {
		t.Errorf("note %v hint %v in %v", note, hint, f.Diagnostics)
	}
}
