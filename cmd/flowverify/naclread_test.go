package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/pcaps"
)

// TestNACLFromStdin: `aws ec2 describe-network-acls | flowverify lint --nacl -`.
func TestNACLFromStdin(t *testing.T) {
	data, err := os.ReadFile("../../nacl/aclfile/testdata/cases/describe/acls.json")
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, data, "lint", "--nacl", "-")
	if code != exitOK || !strings.Contains(out, "acl-0a1b2c3d4e5f60001 (web-server)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

// TestCaptureAsNACL: a pcap given as --nacl is one line naming it.
func TestCaptureAsNACL(t *testing.T) {
	p := pcaps.Path("webserver.pcap")
	_, errs, code := runCLI(t, nil, "lint", "--nacl", p)
	want := "flowverify lint: " + p + " looks like a packet capture (pcap), not a NACL file\n"
	if code != exitError || errs != want {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, errs, want)
	}
}

// TestReaderErrorsOnceCountRight: every error is printed once, and the
// closing line counts them all.
func TestReaderErrorsOnceCountRight(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.nacl")
	if err := os.WriteFile(p, []byte("in 0 allow all 0.0.0.0/0\nin 100 allow tcp 10.0.0.0/8\nout 100 allow udp 300.0.0.0/8 53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runCLI(t, nil, "lint", "--nacl", p)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != exitError || len(lines) < 2 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	seen := map[string]bool{}
	nerr := 0
	for _, l := range lines[:len(lines)-1] {
		if seen[l] {
			t.Errorf("printed twice: %s", l)
		}
		seen[l] = true
		if strings.Contains(l, ": error: ") {
			nerr++
		}
	}
	last := lines[len(lines)-1]
	if want := p + ": " + fmt.Sprintf("%d errors", nerr) + " in the NACL file (listed above); nothing was evaluated"; !strings.HasSuffix(last, want) || nerr < 2 {
		t.Errorf("last line %q, want ...%q (%d errors listed)", last, want, nerr)
	}
	for _, l := range lines[:len(lines)-1] {
		if strings.Contains(last, strings.TrimPrefix(l, "flowverify lint: error: ")) {
			t.Errorf("the closing line repeats %q", l)
		}
	}
}

// TestDuplicateNumbersLintFindingCheckRefuses: lint reports duplicate
// rule numbers as an error-level finding (exit 1); check refuses the ACL
// because AWS would reject it (exit 2, saying so).
func TestDuplicateNumbersLintFindingCheckRefuses(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dup.nacl")
	if err := os.WriteFile(p, []byte("in 100 allow tcp 0.0.0.0/0 22\nin 100 allow tcp 0.0.0.0/0 80\nout 100 allow all 0.0.0.0/0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, nil, "lint", "--nacl", p)
	if code != exitFindings || !strings.Contains(out, "duplicate-rule-number") || strings.Contains(errs, "error") {
		t.Fatalf("lint: exit %d\n%s\n%s", code, out, errs)
	}
	_, errs, code = runCLI(t, nil, "check", "--nacl", p, "--subnet", "10.0.1.0/24", pcaps.Path("webserver.pcap"))
	if code != exitError || !strings.Contains(errs, "AWS would reject this ACL, so it is not evaluated") || !strings.Contains(errs, "duplicate inbound rule number 100") {
		t.Fatalf("check: exit %d\n%s", code, errs)
	}
}

// TestSubnetsGivenACIDR: --subnets takes a file; a CIDR there gets a
// "did you mean --subnet".
func TestSubnetsGivenACIDR(t *testing.T) {
	_, errs, code := runCLI(t, nil, "check", "--nacl", pcaps.Path("webserver.nacl"), "--subnets", "10.20.10.0/24", pcaps.Path("webserver.pcap"))
	if code != exitError || !strings.Contains(errs, "did you mean --subnet 10.20.10.0/24?") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	_, errs, code = runCLI(t, nil, "lint", "--nacl", "10.20.10.0/24")
	if code != exitError || !strings.Contains(errs, "(10.20.10.0/24 is a CIDR: --nacl takes a NACL file)") {
		t.Fatalf("--nacl CIDR: exit %d\n%s", code, errs)
	}
}

// TestTerraformFlags: --nacl DIR with --var and --parameter reaching the
// readers, and a module directory given to check.
func TestTerraformFlags(t *testing.T) {
	dir := "../../nacl/aclfile/testdata/cases/tfmodule/root"
	out, errs, code := runCLI(t, nil, "lint", "--nacl", dir, "--var", "env=stage", "--acl", "stage-web-server")
	if code != exitOK || !strings.Contains(out, "module.web_nacl.aws_network_acl.this (stage-web-server)") {
		t.Fatalf("lint --var: exit %d\n%s\n%s", code, out, errs)
	}
	_, errs, code = runCLI(t, nil, "lint", "--nacl", dir, "--var", "nope=1")
	if code != exitError || !strings.Contains(errs, `--var nope: no variable "nope" is declared in the root module`) {
		t.Fatalf("lint --var nope: exit %d\n%s", code, errs)
	}
	out, errs, code = runCLI(t, nil, "check", "--nacl", "../../nacl/aclfile/testdata/cases/cfn/web.yaml", "--parameter", "Env=dev", "--subnet", "10.0.1.0/24", "--vpc-cidr", "10.0.0.0/16", pcaps.Path("webserver.pcap"))
	if code != exitFindings || !strings.Contains(out, "2 of 15 conversations affected") {
		t.Fatalf("check --parameter Env=dev: exit %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = runCLI(t, nil, "explain", "--nacl", "../../nacl/aclfile/testdata/cases/cfn/web.yaml", "--parameter", "Env=dev", "--subnet", "10.0.1.0/24", "tcp 192.0.2.80:80 > 10.0.1.10:50382")
	if code != exitOK || !strings.Contains(out, "ALLOW by inbound rule 90") {
		t.Fatalf("explain --parameter Env=dev: exit %d\n%s\n%s", code, out, errs)
	}
	_, errs, code = runCLI(t, nil, "lint", "--nacl", "../../nacl/formats/terraform/testdata/hostile/doubling.tf")
	if code != exitError || !strings.Contains(errs, "doubling.tf:20:9: aws_network_acl.a.ingress[0]: cidr_block: expression too large: more than 1048576 bytes (raise with --max-expr-bytes)") {
		t.Fatalf("hostile: exit %d\n%s", code, errs)
	}
	_, errs, code = runCLI(t, nil, "lint", "--nacl", "../../nacl/formats/terraform/testdata/hostile/doubling.tf", "--max-expr-bytes", "4194304")
	if code != exitError || !strings.Contains(errs, "doubling.tf:22:9") {
		t.Fatalf("raised limit: exit %d\n%s", code, errs)
	}
}
