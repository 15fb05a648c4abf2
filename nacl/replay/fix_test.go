package replay

import (
	"reflect"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/pcaps"
)

func TestPickRuleNumber(t *testing.T) {
	acl := webACL(t) // inbound 100, 110, 120, 130
	used := map[usedKey]map[int]bool{}
	if n, why := pickRuleNumber(acl, nacl.Ingress, 130, nil, used); n != 125 || why.Kind != 0 {
		t.Errorf("below 130: %d %+v, want 125", n, why)
	}
	if n, _ := pickRuleNumber(acl, nacl.Ingress, 130, nil, used); n != 124 {
		t.Errorf("second fix below 130: %d, want 124 (125 taken: the next free number downward)", n)
	}
	if n, _ := pickRuleNumber(acl, nacl.Ingress, nacl.DefaultRuleIPv4, nil, used); n != 140 {
		t.Errorf("below the default rule: %d, want 140", n)
	}
	tight := &nacl.ACL{ID: "t", Entries: []nacl.Entry{ent(t, "in", 1, nacl.Allow, 6, "0.0.0.0/0", 1, 1), ent(t, "in", 2, nacl.Deny, 6, "0.0.0.0/0", 1, 2)}}
	if n, why := pickRuleNumber(tight, nacl.Ingress, 2, nil, map[usedKey]map[int]bool{}); n != 0 || why.Kind != NoteNoRuleNumber {
		t.Errorf("no room: %d %+v, want 0 and a reason", n, why)
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
		if n, why := pickRuleNumber(acl, nacl.Egress, 100, nil, used); n != want || why.Kind != 0 {
			t.Errorf("fix below 100: %d %+v, want %d", n, why, want)
		}
	}
	if n, why := pickRuleNumber(acl, nacl.Egress, 100, nil, used); n != 0 || why.Kind != NoteNoRuleNumber || why.Below != 96 || why.Blocking != 100 {
		t.Errorf("fourth fix below 100: %d %+v, want 0 and no number between 96 and 100", n, why)
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
		lo, hi, name, ok := clientRange(c.ports)
		if !ok || lo != c.lo || hi != c.hi || name != c.name {
			t.Errorf("%v: %d-%d %s, want %d-%d %s", c.ports, lo, hi, name, c.lo, c.hi, c.name)
		}
	}
	if _, _, _, ok := clientRange([]uint16{80}); ok {
		t.Error("port 80 fits an ephemeral profile")
	}
}

// TestFixerSnapshot: a snapshot of a fixer taken part way holds what a
// fixer fed only the conversations up to then holds, however many more
// the first is fed afterwards, and builds the same change sets (the
// held-out check learns from such a snapshot).
func TestFixerSnapshot(t *testing.T) {
	strict := &nacl.ACL{ID: "acl-strict", Entries: []nacl.Entry{ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 22, 22),
		ent(t, "out", 100, nacl.Allow, 6, "0.0.0.0/0", 1024, 65535)}}
	fed := 0
	for _, s := range pcaps.Samples {
		j := mustJudge(t, simple(t, strict, "10.0.1.0/24", "2001:db8:10:1::/64"))
		rep := BuildReport(j, recordSample(t, s.File))
		var denied []*ConvResult
		for _, cr := range rep.Conversations {
			if cr.Request.Denied > 0 || cr.Response.Denied > 0 {
				denied = append(denied, cr)
			}
		}
		if len(denied) < 2 {
			continue
		}
		cut := len(denied) / 2
		fx, ref := newFixer(j), newFixer(j)
		var snap *fixer
		for i, cr := range denied {
			if i == cut {
				snap = fx.snapshot()
			}
			fx.add(cr)
			if i < cut {
				ref.add(cr)
			}
			fed++
		}
		if !reflect.DeepEqual(snap.groups, ref.groups) || !reflect.DeepEqual(snap.order, ref.order) {
			t.Fatalf("%s: the snapshot's groups differ from a fixer fed the first %d conversations", s.File, cut)
		}
		if len(fx.order) == len(snap.order) && reflect.DeepEqual(fx.groups, snap.groups) {
			t.Logf("%s: the later conversations added nothing new", s.File)
		}
		snap.build()
		ref.build()
		if !reflect.DeepEqual(snap.fixes, ref.fixes) || !reflect.DeepEqual(snap.sets, ref.sets) {
			t.Errorf("%s: the snapshot builds other fixes: %+v, want %+v", s.File, snap.fixes, ref.fixes)
		}
	}
	if fed == 0 {
		t.Fatal("no sample has denied conversations under the strict ACL")
	}
}
