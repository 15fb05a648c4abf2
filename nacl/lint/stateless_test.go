package lint

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestReturnPath(t *testing.T) {
	in, out := nacl.Ingress, nacl.Egress
	tests := []struct {
		name  string
		lines []string
		check func(t *testing.T, fs []Finding)
	}{
		{"inbound service without any outbound reply rule", []string{
			"in 100 allow tcp 0.0.0.0/0 22",
			"in 110 allow tcp 0.0.0.0/0 443",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeNoReturnPath, in, 100)
			if f.Severity != nacl.SevWarning || !equalInts(f.Related, []int{110}) ||
				!strings.Contains(f.Message, "denied by rule *") || !strings.Contains(f.Fix, "`out 100 allow tcp 0.0.0.0/0 1024-65535`") {
				t.Errorf("%s %v %q %q", f.Severity, f.Related, f.Message, f.Fix)
			}
			if n := len(withCode(fs, CodeNoReturnPath)); n != 1 {
				t.Errorf("%d no-return-path findings, want 1 (grouped by protocol and CIDR)", n)
			}
		}},
		{"outbound requests without inbound replies, a deny in the way", []string{
			"out 100 allow udp 0.0.0.0/0 53",
			"in 50 deny udp 0.0.0.0/0 0-65535",
			"in 100 allow udp 0.0.0.0/0 1024-65535",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeNoReturnPath, out, 100)
			if !strings.Contains(f.Message, "denied by rule 50") || !strings.Contains(f.Fix, "below inbound rule 50") {
				t.Errorf("%q %q", f.Message, f.Fix)
			}
		}},
		{"narrow reply range names the profiles", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 130 allow tcp 0.0.0.0/0 32768-60999",
		}, func(t *testing.T, fs []Finding) {
			noRule(t, fs, CodeNoReturnPath, in, 100)
			f := findRule(t, fs, CodeNarrowEphem, out, 130)
			for _, want := range []string{
				"fully covered: linux (32768-60999)",
				"windows (49152-65535): ports 61000-65535 denied by rule *",
				"not at all: windows-2003 (1025-5000)",
			} {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message lacks %q: %s", want, f.Message)
				}
			}
			if f.Severity != nacl.SevWarning {
				t.Errorf("severity %s, want warning (Windows clients are cut off)", f.Severity)
			}
		}},
		{"32768-65535 covers Linux and Windows: info only", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 130 allow tcp 0.0.0.0/0 32768-65535",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeNarrowEphem, out, 130)
			if f.Severity != nacl.SevInfo || !strings.Contains(f.Message, "windows-2003") {
				t.Errorf("%s %q", f.Severity, f.Message)
			}
		}},
		{"1024-65535 covers everyone", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 130 allow tcp 0.0.0.0/0 1024-65535",
		}, func(t *testing.T, fs []Finding) {
			if got := append(withCode(fs, CodeNarrowEphem), withCode(fs, CodeNoReturnPath)...); len(got) != 0 {
				t.Errorf("unexpected:\n%s", dump(got))
			}
		}},
		{"replies allowed only to part of the clients' addresses", []string{
			"in 100 allow tcp 0.0.0.0/0 80",
			"out 130 allow tcp 10.0.0.0/8 1024-65535",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeNarrowEphem, out, 130)
			if !strings.Contains(f.Message, "to all but 10.0.0.0/8") {
				t.Errorf("%q", f.Message)
			}
		}},
		{"ephemeral-looking inbound ranges are not services", []string{
			"in 100 allow tcp 0.0.0.0/0 1024-65535",
			"in 110 allow tcp 0.0.0.0/0 0-65535",
		}, func(t *testing.T, fs []Finding) {
			if got := withCode(fs, CodeNoReturnPath); len(got) != 0 {
				t.Errorf("unexpected:\n%s", dump(got))
			}
		}},
		{"known service port above 1024", []string{
			"in 100 allow tcp 10.0.0.0/8 5432",
		}, func(t *testing.T, fs []Finding) {
			findRule(t, fs, CodeNoReturnPath, in, 100)
		}},
		{"IPv6 service needs IPv6 replies", []string{
			"in 100 allow tcp ::/0 443",
			"out 100 allow all 0.0.0.0/0",
		}, func(t *testing.T, fs []Finding) {
			f := findRule(t, fs, CodeNoReturnPath, in, 100)
			if !f.IPv6 || !strings.Contains(f.Fix, "::/0") {
				t.Errorf("v6 %v fix %q", f.IPv6, f.Fix)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, Lint(mkACL(t, tc.lines...), Options{}))
		})
	}
}

func TestPMTUD(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  map[bool]nacl.Severity // by IPv6; absent = no finding
	}{
		{"no inbound TCP, nothing to say", []string{"in 100 allow udp 0.0.0.0/0 53"}, nil},
		{"TCP allowed, ICMP 3:4 missing", []string{"in 100 allow tcp 0.0.0.0/0 443"}, map[bool]nacl.Severity{false: nacl.SevWarning}},
		{"ICMP 3:4 allowed", []string{"in 90 allow icmp 0.0.0.0/0 3:4", "in 100 allow tcp 0.0.0.0/0 443"}, nil},
		{"all ICMP types allowed", []string{"in 90 allow icmp 0.0.0.0/0 -1", "in 100 allow tcp 0.0.0.0/0 443"}, nil},
		{"allowed only from part of the space", []string{"in 90 allow icmp 10.0.0.0/8 3:4", "in 100 allow tcp 0.0.0.0/0 443"},
			map[bool]nacl.Severity{false: nacl.SevInfo}},
		{"IPv6 checked when the ACL has IPv6 entries", []string{
			"in 90 allow icmp 0.0.0.0/0 3:4", "in 100 allow tcp 0.0.0.0/0 443", "in 110 allow tcp ::/0 443"},
			map[bool]nacl.Severity{true: nacl.SevWarning}},
		{"ICMPv6 type 2 allowed", []string{
			"in 90 allow icmp 0.0.0.0/0 3:4", "in 95 allow icmpv6 ::/0 2", "in 110 allow tcp ::/0 443"}, nil},
		{"ICMPv6 with an IPv4 CIDR is not ICMPv6 for IPv6", []string{
			"in 90 allow icmpv6 0.0.0.0/0", "in 100 allow tcp 0.0.0.0/0 443"}, map[bool]nacl.Severity{false: nacl.SevWarning}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := withCode(Lint(mkACL(t, tc.lines...), Options{}), CodeNoPMTUD)
			got := map[bool]nacl.Severity{}
			for _, f := range fs {
				got[f.IPv6] = f.Severity
				if f.Direction != nacl.Ingress || f.Fix == "" {
					t.Errorf("bad finding %+v", f)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v want %v:\n%s", got, tc.want, dump(fs))
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("IPv6=%v: severity %s, want %s", k, got[k], v)
				}
			}
		})
	}
}
