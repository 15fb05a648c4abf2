package ephemeral

import (
	"slices"
	"testing"
)

func TestNarrowest(t *testing.T) {
	cases := []struct {
		ports []uint16
		want  string
		ok    bool
	}{
		{[]uint16{36488, 57644}, "linux", true},
		{[]uint16{60999}, "windows", true}, // also inside 49152-65535, the narrower range
		{[]uint16{32768, 60999}, "linux", true},
		{[]uint16{40000, 61000}, "aws-doc-linux", true},
		{[]uint16{49152, 65535}, "windows", true},
		{[]uint16{52904}, "windows", true}, // windows (16384 ports) is narrower than linux
		{[]uint16{36488, 65478}, "freebsd", true},
		{[]uint16{1025, 5000}, "windows-2003", true},
		{[]uint16{4000, 40000}, "aws-managed", true},
		{[]uint16{1024}, "aws-managed", true},
		{[]uint16{80}, "", false},
		{nil, "", false},
	}
	for _, c := range cases {
		p, ok := Narrowest(c.ports)
		if ok != c.ok || p.Name != c.want {
			t.Errorf("Narrowest(%v) = %q, %v; want %q, %v", c.ports, p.Name, ok, c.want, c.ok)
		}
	}
}

func TestProfilesOrderedByWidth(t *testing.T) {
	for i := 1; i < len(Profiles); i++ {
		if Profiles[i].Width() < Profiles[i-1].Width() {
			t.Errorf("%s (%d ports) listed after the wider %s", Profiles[i].Name, Profiles[i].Width(), Profiles[i-1].Name)
		}
	}
}

func TestMatchingAndAliases(t *testing.T) {
	if got := Matching(33000); !slices.Equal(got, []string{"linux", "aws-doc-linux", "freebsd", "aws-managed"}) {
		t.Errorf("Matching(33000) = %v", got)
	}
	if got := Matching(443); len(got) != 0 {
		t.Errorf("Matching(443) = %v, want none", got)
	}
	w, ok := ByName("iana")
	if !ok || w.Name != "windows" || w.From != 49152 || w.To != 65535 {
		t.Errorf("ByName(iana) = %+v, %v", w, ok)
	}
	if _, ok := ByName("solaris"); ok {
		t.Error("unknown profile found")
	}
	if !InAny(1024) || InAny(1023) {
		t.Error("InAny boundaries wrong: 1024 is aws-managed, 1023 is in no profile")
	}
}
