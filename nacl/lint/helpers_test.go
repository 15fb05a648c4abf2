package lint

import (
	"strconv"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// mkACL builds an ACL from native-format rule lines
// ("in 100 allow tcp 0.0.0.0/0 22"), without the file reader so that these
// tests do not depend on it.
func mkACL(t testing.TB, lines ...string) *nacl.ACL {
	t.Helper()
	acl := &nacl.ACL{ID: "acl-test"}
	for n, l := range lines {
		f := strings.Fields(l)
		if len(f) < 5 {
			t.Fatalf("line %d: %q: too few fields", n+1, l)
		}
		dir, err := nacl.ParseDirection(f[0])
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		num, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		act, err := nacl.ParseAction(f[2])
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		proto, err := nacl.ParseProtocol(f[3])
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		cidr, _, err := nacl.ParseCIDR(f[4])
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		e := nacl.Entry{RuleNumber: num, Direction: dir, Action: act, Protocol: proto, CIDR: cidr, ICMPType: -1, ICMPCode: -1,
			Pos: nacl.Pos{File: "test.acl", Line: n + 1}}
		if len(f) > 5 {
			switch {
			case matchesPorts(proto):
				// Accept "N", "N-M" and, for empty-range tests, reversed ranges.
				a, b, _ := strings.Cut(f[5], "-")
				from, err1 := strconv.Atoi(a)
				to := from
				var err2 error
				if b != "" {
					to, err2 = strconv.Atoi(b)
				}
				if err1 != nil || err2 != nil {
					t.Fatalf("line %d: bad ports %q", n+1, f[5])
				}
				e.Ports = nacl.PortRange{From: uint16(from), To: uint16(to)}
			default:
				a, b, hasCode := strings.Cut(f[5], ":")
				if e.ICMPType, err = strconv.Atoi(a); err != nil {
					t.Fatalf("line %d: %v", n+1, err)
				}
				if hasCode {
					if e.ICMPCode, err = strconv.Atoi(b); err != nil {
						t.Fatalf("line %d: %v", n+1, err)
					}
				}
			}
		} else if matchesPorts(proto) {
			e.Ports = nacl.PortRange{From: 0, To: 65535}
		}
		acl.Entries = append(acl.Entries, e)
	}
	return acl
}

// findings returns the findings with the given code.
func withCode(fs []Finding, code Code) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// findRule returns the finding with code about rule num in dir, or fails.
func findRule(t *testing.T, fs []Finding, code Code, dir nacl.Direction, num int) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Code == code && f.Direction == dir && f.Rule == num {
			return f
		}
	}
	t.Fatalf("no %s finding for %s rule %d in:\n%s", code, dir, num, dump(fs))
	return Finding{}
}

// noRule fails when a finding with code is about rule num in dir.
func noRule(t *testing.T, fs []Finding, code Code, dir nacl.Direction, num int) {
	t.Helper()
	for _, f := range fs {
		if f.Code == code && f.Direction == dir && f.Rule == num {
			t.Fatalf("unexpected %s finding for %s rule %d: %s", code, dir, num, f.Message)
		}
	}
}

// dump renders findings for failure messages.
func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + string(f.Severity) + " " + string(f.Code) + " " + f.Direction.String() + " " + f.Family() +
			" " + strconv.Itoa(f.Rule) + ": " + f.Message + " | fix: " + f.Fix + "\n")
	}
	return b.String()
}

// equalInts compares two int slices.
func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
