package replay

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

func TestPickRuleNumber(t *testing.T) {
	acl := webACL(t) // inbound 100, 110, 120, 130
	used := map[usedKey]map[int]bool{}
	if n, why := pickRuleNumber(acl, nacl.Ingress, 130, nil, used); n != 125 || why != "" {
		t.Errorf("below 130: %d %q, want 125", n, why)
	}
	if n, _ := pickRuleNumber(acl, nacl.Ingress, 130, nil, used); n != 124 {
		t.Errorf("second fix below 130: %d, want 124 (125 taken: the next free number downward)", n)
	}
	if n, _ := pickRuleNumber(acl, nacl.Ingress, nacl.DefaultRuleIPv4, nil, used); n != 140 {
		t.Errorf("below the default rule: %d, want 140", n)
	}
	tight := &nacl.ACL{ID: "t", Entries: []nacl.Entry{ent(t, "in", 1, nacl.Allow, 6, "0.0.0.0/0", 1, 1), ent(t, "in", 2, nacl.Deny, 6, "0.0.0.0/0", 1, 2)}}
	if n, why := pickRuleNumber(tight, nacl.Ingress, 2, nil, map[usedKey]map[int]bool{}); n != 0 || why == "" {
		t.Errorf("no room: %d %q, want 0 and a reason", n, why)
	}
}

// Numbers given to earlier fixes must not shrink the room below the
// blocking rule: with rules 96 and 100 (blocking), fixes get 99, 98, 97,
// and only then is there no room.
func TestPickRuleNumberSeveralFixes(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-t", Entries: []nacl.Entry{
		ent(t, "out", 96, nacl.Allow, 6, "0.0.0.0/0", 22, 22),
		ent(t, "out", 100, nacl.Deny, 6, "192.0.2.0/24", 0, 1000),
		ent(t, "out", 110, nacl.Allow, 6, "0.0.0.0/0", 80, 80),
	}}
	used := map[usedKey]map[int]bool{}
	for _, want := range []int{99, 98, 97} {
		if n, why := pickRuleNumber(acl, nacl.Egress, 100, nil, used); n != want || why != "" {
			t.Errorf("fix below 100: %d %q, want %d", n, why, want)
		}
	}
	if n, why := pickRuleNumber(acl, nacl.Egress, 100, nil, used); n != 0 || !strings.Contains(why, "between 96 and the blocking rule 100") {
		t.Errorf("fourth fix below 100: %d %q, want 0 and a reason", n, why)
	}
	// With room for blocking-5, fixes go downward from it, then above it.
	acl = &nacl.ACL{ID: "acl-u", Entries: []nacl.Entry{
		ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 22, 22),
		ent(t, "in", 104, nacl.Deny, 6, "0.0.0.0/0", 0, 1000), // blocks nothing here; only its number matters
		ent(t, "in", 110, nacl.Deny, 6, "0.0.0.0/0", 1024, 65535),
	}}
	used = map[usedKey]map[int]bool{}
	for _, want := range []int{105, 106, 107, 108, 109, 0} {
		if n, _ := pickRuleNumber(acl, nacl.Ingress, 110, nil, used); n != want {
			t.Errorf("fix below 110: %d, want %d", n, want)
		}
	}
}

func TestClientRange(t *testing.T) {
	cases := []struct {
		ports  []uint16
		lo, hi uint16
		name   string
	}{
		{[]uint16{34372, 40000}, 32768, 60999, "linux"},
		{[]uint16{50382, 57644}, 32768, 65535, "linux+windows"},
		{[]uint16{65478}, 49152, 65535, "windows"},
		{[]uint16{1500, 4000}, 1025, 5000, "windows-2003"},
	}
	for _, c := range cases {
		lo, hi, name, _, ok := clientRange(c.ports)
		if !ok || lo != c.lo || hi != c.hi || name != c.name {
			t.Errorf("%v: %d-%d %s, want %d-%d %s", c.ports, lo, hi, name, c.lo, c.hi, c.name)
		}
	}
	if _, _, _, _, ok := clientRange([]uint16{80}); ok {
		t.Error("port 80 fits an ephemeral profile")
	}
}
