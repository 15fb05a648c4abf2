package lint

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestUnreachableAndRedundant(t *testing.T) {
	in, out := nacl.Ingress, nacl.Egress
	tests := []struct {
		name  string
		lines []string
		check func(t *testing.T, fs []Finding)
	}{
		{"union shadowing reports the smallest set", []string{
			"in 100 allow tcp 10.0.0.0/9 80",
			"in 110 allow tcp 10.0.0.0/16 80-81", // overlaps, not needed
			"in 120 allow tcp 192.0.2.0/24 80",   // does not intersect 300
			"in 200 allow tcp 10.128.0.0/9 80",
			"in 300 allow tcp 10.0.0.0/8 80",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeUnreachable, in, 300)
			if !equalInts(f.Related, []int{100, 200}) {
				t.Errorf("hiding set = %v, want [100 200]", f.Related)
			}
			if f.Severity != nacl.SevWarning || !strings.Contains(f.Message, "no smaller set") {
				t.Errorf("severity %s message %q", f.Severity, f.Message)
			}
			noRule(t, fs, CodeUnreachable, in, 100)
			noRule(t, fs, CodeUnreachable, in, 200)
			noRule(t, fs, CodeUnreachable, in, 110)
		}},
		{"exhaustive search beats greedy", []string{
			// 300 covers ports 0-5; 100 (0-3) is the biggest but {200, 250} covers alone.
			"in 100 allow tcp 0.0.0.0/0 1-4",
			"in 200 allow tcp 0.0.0.0/0 0-2",
			"in 250 allow tcp 0.0.0.0/0 3-5",
			"in 300 allow tcp 0.0.0.0/0 0-5",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeUnreachable, in, 300)
			if !equalInts(f.Related, []int{200, 250}) {
				t.Errorf("hiding set = %v, want [200 250]", f.Related)
			}
		}},
		{"IPv6 rules are never hidden by IPv4 rules", []string{
			"in 100 allow all 0.0.0.0/0",
			"in 200 allow tcp ::/0 443",
			"in 300 deny all ::/0",
		}, func(t *testing.T, fs []Finding) {
			noRule(t, fs, CodeUnreachable, in, 200)
			noRule(t, fs, CodeUnreachable, in, 300)
			f := findRule(t, fs, CodeRedundant, in, 300)
			if f.Family() != "IPv6" || !equalInts(f.Related, []int{nacl.DefaultRuleIPv6}) {
				t.Errorf("family %s related %v", f.Family(), f.Related)
			}
		}},
		{"protocol -1 covers tcp, opposite action is an error", []string{
			"in 100 deny all 10.0.0.0/8",
			"in 200 allow tcp 10.1.0.0/16 443",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeUnreachable, in, 200)
			if f.Severity != nacl.SevError || !equalInts(f.Related, []int{100}) {
				t.Errorf("severity %s related %v", f.Severity, f.Related)
			}
		}},
		{"tcp does not cover protocol -1", []string{
			"in 100 allow tcp 0.0.0.0/0 0-65535",
			"in 200 allow all 0.0.0.0/0",
		}, func(t *testing.T, fs []Finding) {
			noRule(t, fs, CodeUnreachable, in, 200)
			f := findRule(t, fs, CodeRedundant, in, 100)
			if !equalInts(f.Related, []int{200}) {
				t.Errorf("related %v", f.Related)
			}
		}},
		{"ICMPv6 with an IPv4 CIDR matches every type", []string{
			"in 100 allow icmpv6 0.0.0.0/0 2",
			"in 200 allow icmpv6 0.0.0.0/0 135",
			"in 300 allow icmpv6 ::/0 2",
			"in 400 allow icmpv6 ::/0 135",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeUnreachable, in, 200)
			if !equalInts(f.Related, []int{100}) {
				t.Errorf("related %v", f.Related)
			}
			f = findRule(t, fs, CodeIgnoredICMP, in, 100)
			if !strings.Contains(f.Message, "matches every type") || !strings.Contains(f.Message, "only matches IPv4 packets carrying protocol 58") {
				t.Errorf("ignored-icmp-fields message %q", f.Message)
			}
			noRule(t, fs, CodeUnreachable, in, 400)
		}},
		{"ICMP type and code", []string{
			"in 100 allow icmp 0.0.0.0/0 3",
			"in 200 allow icmp 0.0.0.0/0 3:4",
			"in 300 allow icmp 0.0.0.0/0 11:0",
			"in 400 allow icmp 0.0.0.0/0 -1",
		}, func(t *testing.T, fs []Finding) {
			findRule(t, fs, CodeUnreachable, in, 200)
			noRule(t, fs, CodeUnreachable, in, 300)
			noRule(t, fs, CodeUnreachable, in, 400)
		}},
		{"empty match", []string{
			"in 100 allow tcp 0.0.0.0/0 2000-1000",
			"in 200 allow tcp 0.0.0.0/0 1000-2000",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeEmptyMatch, in, 100)
			if f.Severity != nacl.SevError || f.Pos.Line != 1 {
				t.Errorf("severity %s pos %v", f.Severity, f.Pos)
			}
			noRule(t, fs, CodeUnreachable, in, 200)
		}},
		{"directions are separate", []string{
			"in 100 allow all 0.0.0.0/0",
			"out 200 allow tcp 0.0.0.0/0 80",
		}, func(t *testing.T, fs []Finding) {
			noRule(t, fs, CodeUnreachable, out, 200)
		}},
		{"allow inside a later broader allow is redundant", []string{
			"in 100 allow tcp 10.0.0.0/8 80",
			"in 200 allow tcp 0.0.0.0/0 80",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeRedundant, in, 100)
			if f.Severity != nacl.SevInfo || !equalInts(f.Related, []int{200}) {
				t.Errorf("severity %s related %v", f.Severity, f.Related)
			}
		}},
		{"a deny between keeps the allow", []string{
			"in 100 allow tcp 10.0.0.0/16 80",
			"in 150 deny tcp 10.0.0.0/8 80",
			"in 200 allow tcp 0.0.0.0/0 80",
		}, func(t *testing.T, fs []Finding) {
			noRule(t, fs, CodeRedundant, in, 100)
			noRule(t, fs, CodeRedundant, in, 150)
		}},
		{"explicit deny-all duplicates the default", []string{
			"out 100 allow tcp 0.0.0.0/0 443",
			"out 32000 deny all 0.0.0.0/0",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeRedundant, out, 32000)
			if !equalInts(f.Related, []int{nacl.DefaultRuleIPv4}) || !strings.Contains(f.Message, "default rule *") {
				t.Errorf("related %v message %q", f.Related, f.Message)
			}
		}},
		{"duplicates: the later one is unreachable, the first stays", []string{
			"in 100 allow tcp 0.0.0.0/0 22",
			"in 200 allow tcp 0.0.0.0/0 22",
		}, func(t *testing.T, fs []Finding) {
			findRule(t, fs, CodeUnreachable, in, 200)
			noRule(t, fs, CodeRedundant, in, 100)
		}},
		{"redundancy is cumulative", []string{
			"in 100 allow tcp 10.0.0.0/8 80",
			"in 200 allow tcp 10.0.0.0/8 80-81",
			"in 300 allow tcp 0.0.0.0/0 80-81",
		}, func(t *testing.T, fs []Finding) {
			findRule(t, fs, CodeRedundant, in, 100)
			f := findRule(t, fs, CodeRedundant, in, 200)
			if !equalInts(f.Related, []int{300}) {
				t.Errorf("related %v", f.Related)
			}
			noRule(t, fs, CodeRedundant, in, 300)
		}},
		{"redundant only once another redundant rule is gone", []string{
			"out 71 deny udp 10.1.2.3/32 1024-65535",
			"out 451 allow udp 10.1.2.3/32 443-60999",
			"out 531 allow udp 10.1.2.3/32 80-1023",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeRedundant, out, 451)
			if strings.Contains(f.Message, "once the other") || !equalInts(f.Related, []int{531}) {
				t.Errorf("451: %q %v", f.Message, f.Related)
			}
			g := findRule(t, fs, CodeRedundant, out, 71)
			if !strings.Contains(g.Message, "once the other rules reported redundant are deleted") {
				t.Errorf("71: %q", g.Message)
			}
		}},
		{"duplicate rule numbers", []string{
			"in 100 allow tcp 0.0.0.0/0 22",
			"in 100 allow tcp 0.0.0.0/0 80",
		}, func(t *testing.T, fs []Finding) {
			findRule(t, fs, CodeDuplicateRule, in, 100)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Lint(mkACL(t, tc.lines...), Options{})
			tc.check(t, fs)
		})
	}
}

func TestPartialOverride(t *testing.T) {
	fs := Lint(mkACL(t,
		"in 100 deny tcp 10.0.0.0/8 22",
		"in 200 allow tcp 0.0.0.0/0 0-1023",
		"out 100 allow tcp 0.0.0.0/0 80",
		"out 200 deny all 192.0.2.0/24",
		"out 300 deny udp 198.51.100.0/24 53",
		"out 400 allow all 0.0.0.0/0",
	), Options{})
	f := findRule(t, fs, CodePartial, nacl.Ingress, 200)
	if f.Severity != nacl.SevInfo || !equalInts(f.Related, []int{100}) || !strings.Contains(f.Message, "rule 100 denies tcp port 22 from 10.0.0.0/8") {
		t.Errorf("inbound: %s %v %q", f.Severity, f.Related, f.Message)
	}
	g := findRule(t, fs, CodePartial, nacl.Egress, 200)
	if g.Severity != nacl.SevWarning || !strings.Contains(g.Message, "rule 100 allows tcp port 80 to 192.0.2.0/24") ||
		!strings.Contains(g.Fix, "below rule 100") {
		t.Errorf("outbound: %s %q %q", g.Severity, g.Message, g.Fix)
	}
	noRule(t, fs, CodePartial, nacl.Egress, 300) // no overlap with rule 100
}

func TestQuota(t *testing.T) {
	mk := func(n int, v6 bool) []Finding {
		var lines []string
		cidr := "10.0.0.0/8"
		if v6 {
			cidr = "2001:db8::/32"
		}
		for i := 1; i <= n; i++ {
			lines = append(lines, "in "+itoa(i)+" allow tcp "+cidr+" "+itoa(1000+i))
		}
		return Lint(mkACL(t, lines...), Options{})
	}
	for _, tc := range []struct {
		n    int
		v6   bool
		want Code
	}{{19, false, ""}, {20, false, CodeQuota}, {39, false, CodeQuota}, {40, true, CodeQuotaHard}, {20, true, CodeQuota}} {
		fs := mk(tc.n, tc.v6)
		got := append(withCode(fs, CodeQuota), withCode(fs, CodeQuotaHard)...)
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("%d rules: unexpected %s", tc.n, got[0].Message)
			}
			continue
		}
		if len(got) != 1 || got[0].Code != tc.want || got[0].IPv6 != tc.v6 || got[0].Direction != nacl.Ingress {
			t.Errorf("%d rules v6=%v: got %s", tc.n, tc.v6, dump(got))
			continue
		}
		if tc.want == CodeQuota && (got[0].Severity != nacl.SevWarning || !strings.Contains(got[0].Fix, "L-2AEEBF1A")) {
			t.Errorf("%d rules: %s %q", tc.n, got[0].Severity, got[0].Fix)
		}
		if tc.want == CodeQuotaHard && got[0].Severity != nacl.SevError {
			t.Errorf("%d rules: severity %s", tc.n, got[0].Severity)
		}
	}
}

// itoa formats an int.
func itoa(i int) string { return strconv.Itoa(i) }

func TestFindingsSorted(t *testing.T) {
	fs := Lint(mkACL(t,
		"out 300 allow tcp 0.0.0.0/0 22",
		"out 200 allow tcp 0.0.0.0/0 22",
		"in 300 allow tcp ::/0 22",
		"in 200 allow tcp ::/0 22",
		"in 300 allow tcp 0.0.0.0/0 22",
		"in 200 allow tcp 0.0.0.0/0 22",
	), Options{})
	var keys []string
	for _, f := range fs {
		keys = append(keys, f.Direction.String()+" "+f.Family()+" "+itoa(f.Rule)+" "+string(f.Code))
	}
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if a.Direction > b.Direction || (a.Direction == b.Direction && compareBool(a.IPv6, b.IPv6) > 0) ||
			(a.Direction == b.Direction && a.IPv6 == b.IPv6 && (a.Rule > b.Rule || (a.Rule == b.Rule && a.Code > b.Code))) {
			t.Fatalf("not sorted at %d: %v", i, keys)
		}
	}
	// Run twice: identical output.
	fs2 := Lint(mkACL(t,
		"out 300 allow tcp 0.0.0.0/0 22",
		"out 200 allow tcp 0.0.0.0/0 22",
		"in 300 allow tcp ::/0 22",
		"in 200 allow tcp ::/0 22",
		"in 300 allow tcp 0.0.0.0/0 22",
		"in 200 allow tcp 0.0.0.0/0 22",
	), Options{})
	if dump(fs) != dump(fs2) {
		t.Errorf("output differs between runs")
	}
	if len(withCode(fs, CodeUnreachable)) != 3 {
		t.Errorf("want 3 unreachable rules:\n%s", dump(fs))
	}
}

func TestMappedPrefixIsIPv6(t *testing.T) {
	// The file readers accept IPv4-mapped prefixes with a warning (AWS's
	// acceptance is UNCONFIRMED). An IPv6 packet with IPv4-mapped addresses is an
	// IPv6 packet, so such a prefix matches (as the evaluator says) and
	// overrides part of a later ::/0 rule.
	acl := mkACL(t, "in 200 allow all ::/0")
	acl.Entries = append(acl.Entries, nacl.Entry{RuleNumber: 100, Direction: nacl.Ingress, Action: nacl.Deny, Protocol: -1,
		CIDR: netip.MustParsePrefix("::ffff:0:0/96"), ICMPType: -1, ICMPCode: -1})
	fs := Lint(acl, Options{})
	noRule(t, fs, CodeEmptyMatch, nacl.Ingress, 100)
	f := findRule(t, fs, CodePartial, nacl.Ingress, 200)
	if !strings.Contains(f.Message, "::ffff:0.0.0.0/96") {
		t.Errorf("message %q", f.Message)
	}
	d := nacl.Compile(acl).Evaluate(nacl.Ingress, &nacl.Packet{Src: netip.MustParseAddr("::ffff:203.0.113.9"), Dst: netip.MustParseAddr("2001:db8::1"), Proto: 6, DstPort: 80, HasPort: true})
	if d.RuleNumber != 100 {
		t.Errorf("evaluator: rule %d, want 100", d.RuleNumber)
	}
}

func TestGreedyFallbackIsIrreducible(t *testing.T) {
	// 39 overlapping port windows over one CIDR hide rule 1000; the
	// exhaustive search cannot finish within 50 checks.
	var lines []string
	for i := range 39 {
		lines = append(lines, "in "+itoa(10+i)+" allow tcp 10.0.0.0/8 "+itoa(i*1700)+"-"+itoa(min(65535, i*1700+3400)))
	}
	lines = append(lines, "in 1000 allow tcp 10.0.0.0/8 0-65535")
	acl := mkACL(t, lines...)
	f := findRule(t, Lint(acl, Options{MaxCoverChecks: 50}), CodeUnreachable, nacl.Ingress, 1000)
	if !strings.Contains(f.Message, "search limit reached") {
		t.Errorf("message %q", f.Message)
	}
	target, _, _ := entryBox(&acl.Entries[len(acl.Entries)-1])
	boxes := func(skip int) []box {
		var bs []box
		for _, n := range f.Related {
			if n != skip {
				b, _, _ := entryBox(&acl.Entries[n-10])
				bs = append(bs, b)
			}
		}
		return bs
	}
	if ok, _ := covered(target, boxes(-1)); !ok {
		t.Fatalf("reported set %v does not cover rule 1000", f.Related)
	}
	for _, n := range f.Related {
		if ok, _ := covered(target, boxes(n)); ok {
			t.Errorf("set %v still covers without rule %d: not irreducible", f.Related, n)
		}
	}
	// With the default limit the same ACL is still analysed.
	g := findRule(t, Lint(acl, Options{}), CodeUnreachable, nacl.Ingress, 1000)
	if len(g.Related) != 20 {
		t.Errorf("default limit: %d rules, want 20", len(g.Related))
	}
}

func TestWorkLimitReportsIncomplete(t *testing.T) {
	defer func(old int) { maxPieces = old }(maxPieces)
	maxPieces = 3
	fs := Lint(mkACL(t,
		"in 100 allow tcp 10.0.0.0/8 80",
		"in 200 deny udp 10.1.0.0/16 53",
		"in 300 allow all 0.0.0.0/0",
		"out 100 allow all 0.0.0.0/0",
	), Options{})
	f := findRule(t, fs, CodeIncomplete, nacl.Ingress, 0)
	if f.Severity != nacl.SevInfo || f.IPv6 {
		t.Errorf("%+v", f)
	}
	for _, c := range []Code{CodeUnreachable, CodeRedundant, CodePartial} {
		for _, g := range withCode(fs, c) {
			if g.Direction == nacl.Ingress && !g.IPv6 {
				t.Errorf("claim despite incomplete analysis: %s", g.Message)
			}
		}
	}
}

// TestUnreachableWording checks that a rule hidden by one earlier rule is
// told plainly what that rule does, and that several hiders keep the union
// wording.
func TestUnreachableWording(t *testing.T) {
	in := nacl.Ingress
	for _, tc := range []struct {
		name  string
		lines []string
		rule  int
		want  string
		not   []string
	}{
		{"one deny hides an allow", []string{
			"in 130 deny tcp 10.0.0.0/8 0-65535",
			"in 140 allow tcp 10.1.0.0/16 443",
		}, 140, "never applies: rule 130 denies every packet it matches", []string{"takes", "not all of them"}},
		{"one allow hides an allow", []string{
			"in 130 allow tcp 10.0.0.0/8 0-65535",
			"in 140 allow tcp 10.1.0.0/16 443",
		}, 140, "never applies: rule 130 allows every packet it matches", []string{"takes", "not all of them"}},
		{"one allow hides a deny", []string{
			"in 130 allow all 0.0.0.0/0",
			"in 140 deny tcp 10.1.0.0/16 22",
		}, 140, "never applies: rule 130 allows every packet it matches", []string{"takes", "not all of them"}},
		{"several hiders of mixed actions", []string{
			"in 100 deny tcp 10.0.0.0/9 443",
			"in 110 allow tcp 10.128.0.0/9 443",
			"in 140 allow tcp 10.0.0.0/8 443",
		}, 140, "never applies: rules 100 and 110 together take every packet it matches (no smaller set of earlier rules does), and not all of them allow", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := findRule(t, Lint(mkACL(t, tc.lines...), Options{}), CodeUnreachable, in, tc.rule)
			if !strings.Contains(f.Message, tc.want) {
				t.Errorf("message lacks %q:\n%s", tc.want, f.Message)
			}
			for _, bad := range tc.not {
				if strings.Contains(f.Message, bad) {
					t.Errorf("message has %q:\n%s", bad, f.Message)
				}
			}
		})
	}
}

// TestCrossFamilyDuplicateNumber: an IPv4 and an IPv6 entry with one
// number in one direction is a duplicate-rule-number error (AWS documents
// numbers as unique per direction; the message says what is UNCONFIRMED);
// the same number in the other direction is fine.
func TestCrossFamilyDuplicateNumber(t *testing.T) {
	acl := mkACL(t, "in 100 allow tcp 0.0.0.0/0 443", "in 100 allow tcp ::/0 443", "out 100 allow all 0.0.0.0/0")
	var dups []Finding
	for _, f := range Lint(acl, Options{}) {
		if f.Code == CodeDuplicateRule {
			dups = append(dups, f)
		}
	}
	if len(dups) != 1 || dups[0].Direction != nacl.Ingress || dups[0].Rule != 100 || dups[0].Severity != nacl.SevError ||
		!strings.Contains(dups[0].Message, "UNCONFIRMED") || dups[0].Pos != acl.Entries[1].Pos {
		t.Fatalf("duplicate findings %+v", dups)
	}
}
