package replay

import (
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// TestCompareTopologies: closing port 22 of an ACL that allowed SSH and
// HTTPS newly denies the SSH conversation only; the same ACL on both
// sides changes nothing.
func TestCompareTopologies(t *testing.T) {
	g := newConvGen()
	g.tcp("ok", "198.51.100.7", 40000, "10.0.1.10", 443)
	g.tcp("ok", "198.51.100.8", 40001, "10.0.1.10", 22)
	r := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		r.Add(&g.ps[i])
	}
	rec := r.Classify()
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}
	topo := func(entries ...nacl.Entry) *Topology {
		tp, err := SimpleTopology(&nacl.ACL{ID: "acl-1", Entries: entries}, cidrs, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	out := ent(t, "out", 100, nacl.Allow, 6, "0.0.0.0/0", 1024, 65535)
	old := topo(ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 443, 443), ent(t, "in", 110, nacl.Allow, 6, "0.0.0.0/0", 22, 22), out)
	tight := topo(ent(t, "in", 100, nacl.Allow, 6, "0.0.0.0/0", 443, 443), out)

	d, err := CompareTopologies(old, tight, rec)
	if err != nil {
		t.Fatal(err)
	}
	if d.New.Denied == 0 || d.Old.Denied != 0 || d.New.Conversations != 2 {
		t.Fatalf("summaries: old %+v, new %+v", d.Old, d.New)
	}
	if len(d.Changes) == 0 || d.PacketsNewlyDenied == 0 || d.PacketsNewlyAllowed != 0 {
		t.Fatalf("diff = %+v, want SSH newly denied", d)
	}
	for _, ch := range d.Changes {
		if ch.Conv.Server.Port != 22 {
			t.Errorf("change %+v: only the SSH conversation should change", ch)
		}
	}
	same, err := CompareTopologies(old, old, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(same.Changes) != 0 {
		t.Errorf("same ACL: %d changes", len(same.Changes))
	}
}
