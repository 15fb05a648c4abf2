package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/zclconf/go-cty/cty"
)

// heapGrowth runs fn and returns how many bytes it allocated in total.
func heapGrowth(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileInput reads configurations built to exhaust memory or time.
// Each ends in an ordinary error at the offending expression's position
// naming the limit, after allocating a bounded amount (operations and
// bytes are measured, not time).
func TestHostileInput(t *testing.T) {
	for _, tc := range []struct {
		file, pos, msg string
	}{
		{"doubling.tf", "doubling.tf:20:9", "expression too large: more than 1048576 bytes (raise with --max-expr-bytes)"},
		{"for1e9.tf", "for1e9.tf:6:11", "expression too large: more than 1048576 bytes"},
		{"format_width.tf", "format_width.tf:8:18", "expression too large: more than 1048576 bytes"},
		{"elements.tf", "elements.tf:5:11", "expression too large: more than 100000 elements (raise with --max-expr-elements)"},
		{"count.tf", "count.tf:7:20", "count = 1000000000: expression too large: more than 100000 elements"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := formattest.ReadTestdata(t, "hostile/"+tc.file)
			var err error
			var diags []nacl.Diagnostic
			grew := heapGrowth(func() { _, diags, err = Parse(tc.file, data) })
			if err == nil || !strings.Contains(err.Error(), tc.pos) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v\nwant %s ... %s", err, tc.pos, tc.msg)
			}
			if n := countErrors(diags); n != 1 {
				t.Errorf("%d errors, want 1: %v", n, diags)
			}
			if grew > 64<<20 {
				t.Errorf("allocated %d MiB reading %s", grew>>20, tc.file)
			}
		})
	}
}

// TestLimitsCanBeRaised: the doubling file reads past 2^20 bytes with a
// larger limit (and stops at the next one).
func TestLimitsCanBeRaised(t *testing.T) {
	data := formattest.ReadTestdata(t, "hostile/doubling.tf")
	_, _, err := ParseFile("doubling.tf", data, Options{Limits: limits.Limits{Bytes: 4 << 20}})
	if err == nil || !strings.Contains(err.Error(), "doubling.tf:22:9") || !strings.Contains(err.Error(), "more than 4194304 bytes") {
		t.Fatalf("err %v", err)
	}
	// Steps are counted across the whole file; even a tag over budget is
	// an error (a value that cannot be evaluated for other reasons is
	// only a note there).
	_, _, err = ParseFile("for.tf", []byte("locals {\n  l = [for i in [1, 2, 3] : [for j in [1, 2, 3] : i * j]]\n}\nresource \"aws_network_acl\" \"a\" {\n  tags = { Name = tostring(length(flatten(local.l))) }\n}\n"),
		Options{Limits: limits.Limits{Steps: 5}})
	if err == nil || !strings.Contains(err.Error(), "for.tf:2:7: aws_network_acl.a: tags.Name: expression too complex: more than 5 evaluation steps (raise with --max-expr-steps)") {
		t.Fatalf("a tag over the step budget: %v", err)
	}
}

// TestEstimateIsAnUpperBound evaluates ordinary expressions and checks
// that the estimate is never below what evaluation produced.
func TestEstimateIsAnUpperBound(t *testing.T) {
	src := `locals {
  ports = { ssh = 22, http = 80, https = 443 }
  cidrs = ["10.0.0.0/8", "192.168.0.0/16"]
  rules = flatten([for name, p in local.ports : [for c in local.cidrs : { name = name, port = p, cidr = c }]])
  names = join(", ", [for r in local.rules : format("%s-%05d-%s", r.name, r.port, upper(r.cidr))])
  sub   = [for i, c in local.cidrs : cidrsubnet(c, 8, i)]
  pick  = length(local.cidrs) > 1 ? merge({ a = "x" }, { b = "y" }) : {}
  tmpl  = "%{ for c in local.cidrs }${c};%{ endfor }"
}
`
	r := newReader(limits.Limits{})
	s, _ := r.module([]file{{"e.tf", []byte(src)}}, "", "", nil, true)
	if len(r.c.Diags) != 0 {
		t.Fatalf("diags %v", r.c.Diags)
	}
	for name, l := range s.locals {
		v, prob := s.eval(l.expr, nil)
		if prob != nil {
			t.Fatalf("local.%s: %s", name, prob.msg)
		}
		got := measure(v, 1e18, 1e18)
		if got.bytes == 0 && got.elems == 0 {
			t.Fatalf("local.%s: empty value", name)
		}
		est := s.estimate(l.expr, nil)
		if est.bytes < got.bytes || est.elems < got.elems {
			t.Errorf("local.%s: estimate %+v below the value's size %+v", name, est, got)
		}
	}
}

func countErrors(ds []nacl.Diagnostic) int {
	n := 0
	for _, d := range ds {
		if d.Severity == nacl.SevError {
			n++
		}
	}
	return n
}

// TestModuleTreeDoubling: modules that each call the next one twice, 24
// levels deep (16 million module instances), end in a step-budget error
// naming a module block, after reading a bounded number of them.
func TestModuleTreeDoubling(t *testing.T) {
	root := t.TempDir()
	const depth = 24
	for i := 0; i <= depth; i++ {
		dir := filepath.Join(root, fmt.Sprintf("m%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "resource \"aws_network_acl\" \"a\" {\n  vpc_id = \"vpc-1\"\n}\n"
		if i < depth {
			src += fmt.Sprintf("module \"a\" {\n  source = \"../m%d\"\n}\nmodule \"b\" {\n  source = \"../m%d\"\n}\n", i+1, i+1)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var acls []*nacl.ACL
	var err error
	grew := heapGrowth(func() { acls, _, err = ReadDir(filepath.Join(root, "m0"), Options{}) })
	if err == nil || !strings.Contains(err.Error(), "expression too complex: more than 10000000 evaluation steps") || !strings.Contains(err.Error(), "the module is not read") {
		t.Fatalf("err %v", err)
	}
	t.Logf("%d ACLs, %d MiB allocated", len(acls), grew>>20)
	if len(acls) > 20000 || len(acls) < 1000 {
		t.Errorf("%d ACLs read before the budget ran out", len(acls))
	}
	if grew > 1<<30 {
		t.Errorf("allocated %d MiB", grew>>20)
	}
}

// TestDeepNesting: nesting that would overflow the HCL parser's stack (a
// fatal error, not a panic) is refused before parsing, in code, in a
// template interpolation and in a .tf.json string; brackets in strings,
// comments and heredocs do not count.
func TestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	for _, tc := range []struct{ name, src, pos string }{
		{"code.tf", "locals {\n  a = " + deep + "\n}\n", "code.tf:2:262:"},
		{"interp.tf", "locals {\n  a = \"x ${" + deep + "}\"\n}\n", "interp.tf:2:"},
		{"hidden.tf", "locals {\n  a = [\"]\", [\"]\", " + strings.Repeat("[\"]\", ", 300) + "]]\n}\n", "hidden.tf:2:"},
		{"n.tf.json", `{"locals": {"a": "${` + deep + `}"}}`, "n.tf.json:1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseFile(tc.name, []byte(tc.src), Options{Detached: true})
			if err == nil || !strings.Contains(err.Error(), "nested deeper than 256 levels") || !strings.Contains(err.Error(), tc.pos) {
				t.Fatalf("err %v", err)
			}
		})
	}
	ok := "# ((((((((\n/* [[[[[[[ */\nlocals {\n  a = \"" + strings.Repeat("(", 400) + "\"\n  b = <<-EOT\n    " + strings.Repeat("{", 400) + "\n    EOT\n  c = [[[1]]]\n}\n"
	if _, _, err := ParseFile("ok.tf", []byte(ok), Options{Detached: true}); err != nil {
		t.Fatalf("brackets in comments, strings and heredocs: %v", err)
	}
	if d := checkNesting([]byte(ok), "ok.tf", false); d != nil {
		t.Fatal(d)
	}
}

// TestFunctionsWithinTheEstimate evaluates every supported function on
// small arguments and checks that the estimate bounds the result.
func TestFunctionsWithinTheEstimate(t *testing.T) {
	src := `locals {
  s     = "  a,b,,c  "
  l     = ["b", "a", "", "c"]
  m     = { x = 1, y = 2 }
  split = split(",", local.s)
  trim  = [trimspace(local.s), trim(local.s, " "), trimprefix(local.s, "  a"), trimsuffix(local.s, "c  "), substr(local.s, 2, 3)]
  lists = [compact(local.l), coalescelist([], local.l), reverse(local.l), sort(local.l), slice(local.l, 1, 3)]
  sets  = [setunion(local.l, ["d"]), setintersection(local.l, ["a"]), setsubtract(local.l, ["a"])]
  nums  = [min(3, 1, 2), max(3, 1, 2), abs(-4)]
  try   = [try(local.m.z, "none"), can(local.m.z), try(local.m.x, 0)]
  maps  = [keys(local.m), values(local.m), zipmap(local.l, local.l), tomap(local.m), contains(local.l, "a"), distinct(local.l)]
  fmt   = format("%s-%s", join("+", local.l), upper(lower(local.s)))
  cidr  = [cidrsubnet("10.0.0.0/8", 8, 2), cidrhost("10.0.0.0/8", 5)]
}
`
	r := newReader(limits.Limits{})
	s, _ := r.module([]file{{"f.tf", []byte(src)}}, "", "", nil, true)
	if len(r.c.Diags) != 0 {
		t.Fatalf("diags %v", r.c.Diags)
	}
	vals := map[string]cty.Value{}
	for name, l := range s.locals {
		v, prob := s.eval(l.expr, nil)
		if prob != nil {
			t.Fatalf("local.%s: %s", name, prob.msg)
		}
		vals[name] = v
		got := measure(v, 1e18, 1e18)
		if got.bytes == 0 && got.elems == 0 {
			t.Fatalf("local.%s: empty value", name)
		}
		if est := s.estimate(l.expr, nil); est.bytes < got.bytes || est.elems < got.elems {
			t.Errorf("local.%s: estimate %+v below the value's size %+v", name, est, got)
		}
	}
	if v := vals["try"].AsValueSlice(); v[0].AsString() != "none" || v[1].True() {
		t.Errorf("try/can: %#v", v)
	}
}
