package lint

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

// fixLine matches a rule line quoted in a fix: `out 140 allow tcp 10.0.0.0/8 1024-65535`.
var fixLine = regexp.MustCompile("`((?:in|out) [^`]+)`")

// applyFix applies the rule lines quoted in a narrow-ephemeral or
// no-return-path fix to a copy of acl: a line replaces the entry of the
// same direction and number, or is added. The fix is a list of clauses
// separated by "; "; a clause offering alternatives separates them by
// ", or ", and alt picks which one (the last when alt is larger). It
// fails the test when the fix quotes no rule line or one it cannot apply,
// and returns nil when the picked change needs rules renumbered first.
func applyFix(t *testing.T, acl *nacl.ACL, fix string, alt int) *nacl.ACL {
	t.Helper()
	out := &nacl.ACL{ID: acl.ID, Entries: append([]nacl.Entry(nil), acl.Entries...)}
	n := 0
	for _, clause := range strings.Split(fix, "; ") {
		alts := strings.Split(clause, ", or ")
		pick := alts[min(alt, len(alts)-1)]
		if strings.Contains(pick, " more") {
			t.Fatalf("fix lists rules only in part: %q", fix)
		}
		if strings.Contains(pick, "no number is free") {
			return nil // the fix asks for renumbering first: nothing to apply mechanically
		}
		for _, m := range fixLine.FindAllStringSubmatch(pick, -1) {
			n++
			e := mkACL(t, m[1]).Entries[0]
			replaced := false
			for i := range out.Entries {
				if o := &out.Entries[i]; o.Direction == e.Direction && o.RuleNumber == e.RuleNumber {
					*o = e
					replaced = true
				}
			}
			if !replaced {
				out.Entries = append(out.Entries, e)
			}
		}
	}
	if n == 0 {
		t.Fatalf("fix quotes no rule line: %q", fix)
	}
	return out
}

// replyKey identifies the service a narrow-ephemeral finding is about.
var replyKey = regexp.MustCompile(`the replies to (.*) only on ports`)

// serviceOf returns the service text of a narrow-ephemeral finding.
func serviceOf(t *testing.T, f Finding) string {
	t.Helper()
	m := replyKey.FindStringSubmatch(f.Message)
	if m == nil {
		t.Fatalf("no service in %q", f.Message)
	}
	return m[1]
}

// checkFixRemoves applies every alternative of f's fix and checks that
// re-linting reports no narrow-ephemeral or no-return-path finding for the
// same service any more.
func checkFixRemoves(t *testing.T, acl *nacl.ACL, f Finding, opts Options) {
	t.Helper()
	svc := serviceOf(t, f)
	alts := 1
	for _, clause := range strings.Split(f.Fix, "; ") {
		alts = max(alts, len(strings.Split(clause, ", or ")))
	}
	for alt := range alts {
		fixed := applyFix(t, acl, f.Fix, alt)
		if fixed == nil {
			continue
		}
		for _, g := range Lint(fixed, opts) {
			if (g.Code == CodeNarrowEphem || g.Code == CodeNoReturnPath) && g.IPv6 == f.IPv6 && strings.Contains(g.Message, svc) {
				t.Fatalf("fix %q (alternative %d) leaves:\n%s\nACL before:\n%sACL after:\n%s", f.Fix, alt, dump([]Finding{g}), entriesText(acl), entriesText(fixed))
			}
		}
	}
}

// TestNarrowEphemeralFix checks that the fix names the rules whose ports
// fall short (never one that is already wide enough), reports address gaps
// as such, and that every suggested change removes the finding.
func TestNarrowEphemeralFix(t *testing.T) {
	out := nacl.Egress
	tests := []struct {
		name     string
		lines    []string
		rule     int
		msg      []string // message must contain
		fix      []string // fix must contain
		notInFix []string
	}{
		{"address gap: the reply rule has the ports but not the clients' CIDR", []string{
			"in 100 allow tcp 10.0.0.0/8 80",
			"in 110 allow tcp 10.0.0.0/8 443",
			"out 140 allow tcp 10.1.0.0/16 1024-65535",
		}, 140,
			[]string{"address gap", "10.0.0.0/8 outside 10.1.0.0/16"},
			[]string{"change the CIDR of outbound rule 140 to 10.0.0.0/8: `out 140 allow tcp 10.0.0.0/8 1024-65535`",
				"or add `out 150 allow tcp 10.0.0.0/8 1024-65535`"},
			[]string{"widen"}},
		{"per-client /32 reply rules: each short rule with its missing ports", []string{
			"in 100 allow tcp 198.51.100.23/32 443",
			"in 110 allow tcp 203.0.113.14/32 443",
			"in 120 allow tcp 203.0.113.200/32 443",
			"out 300 allow tcp 198.51.100.23/32 32768-60999",
			"out 500 allow tcp 203.0.113.14/32 32768-65535",
			"out 600 allow tcp 203.0.113.200/32 49152-65535",
		}, 300,
			[]string{"rule 300 misses 1024-32767 and 61000-65535 (has 32768-60999), rule 500 misses 1024-32767 (has 32768-65535), rule 600 misses 1024-49151 (has 49152-65535)"},
			[]string{"widen outbound rule 300 to ports 1024-65535: `out 300 allow tcp 198.51.100.23/32 1024-65535`",
				"widen outbound rule 500 to ports 1024-65535: `out 500 allow tcp 203.0.113.14/32 1024-65535`",
				"widen outbound rule 600 to ports 1024-65535: `out 600 allow tcp 203.0.113.200/32 1024-65535`"},
			[]string{"32768-65535 (", "to ports 32768-65535"}},
		{"the widest reply rule is short, not a narrower service rule", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 100 allow tcp 0.0.0.0/0 5432",
			"out 120 allow tcp 0.0.0.0/0 32768-65535",
		}, 120,
			[]string{"port range too narrow: rule 120 misses 1024-5431 and 5433-32767 (has 32768-65535)"},
			[]string{"widen outbound rule 120 to ports 1024-65535: `out 120 allow tcp 0.0.0.0/0 1024-65535`"},
			[]string{"rule 100"}},
		{"a deny ahead of the reply rule: add an allow below it", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 50 deny tcp 0.0.0.0/0 1024-2000",
			"out 120 allow tcp 0.0.0.0/0 1024-65535",
		}, 120,
			[]string{"before any reply rule: ports 1024-2000 denied by rule 50"},
			[]string{"add `out 40 allow tcp 0.0.0.0/0 1024-65535` (numbered below outbound rule 50, which denies them now)"},
			[]string{"widen"}},
		{"short rule and address gap together", []string{
			"in 100 allow tcp 10.0.0.0/8 22",
			"out 100 allow tcp 10.1.0.0/16 32768-60999",
			"out 200 deny tcp 10.2.0.0/16 0-65535",
		}, 100,
			[]string{"rule 100 misses 1024-32767 and 61000-65535 (has 32768-60999)", "address gap"},
			[]string{"widen outbound rule 100 to ports 1024-65535: `out 100 allow tcp 10.1.0.0/16 1024-65535`",
				"change the CIDR of outbound rule 100 to 10.0.0.0/8: `out 100 allow tcp 10.0.0.0/8 1024-65535`",
				"or add `out 190 allow tcp 10.0.0.0/8 1024-65535` (numbered below outbound rule 200, which denies them now)"},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acl := mkACL(t, tc.lines...)
			fs := Lint(acl, Options{})
			f := findRule(t, fs, CodeNarrowEphem, out, tc.rule)
			for _, want := range tc.msg {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message lacks %q:\n%s", want, f.Message)
				}
			}
			for _, want := range tc.fix {
				if !strings.Contains(f.Fix, want) {
					t.Errorf("fix lacks %q:\n%s", want, f.Fix)
				}
			}
			for _, bad := range tc.notInFix {
				if strings.Contains(f.Fix, bad) {
					t.Errorf("fix has %q:\n%s", bad, f.Fix)
				}
			}
			checkFixRemoves(t, acl, f, Options{})
		})
	}
}

// TestNarrowEphemeralFixProperty applies the fix of every narrow-ephemeral
// finding of random ACLs and checks that the finding is gone.
func TestNarrowEphemeralFixProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	seen := 0
	for range 3000 {
		acl := randomACL(r, 10)
		// Sometimes check only some client profiles (other port bounds).
		var opts Options
		for _, p := range ephemeral.Profiles {
			if r.IntN(4) == 0 {
				opts.Profiles = append(opts.Profiles, p)
			}
		}
		for _, f := range Lint(acl, opts) {
			if f.Code != CodeNarrowEphem {
				continue
			}
			seen++
			checkFixRemoves(t, acl, f, opts)
		}
	}
	if seen < 50 {
		t.Fatalf("only %d narrow-ephemeral findings exercised", seen)
	}
	t.Logf("%d narrow-ephemeral fixes checked", seen)
}
