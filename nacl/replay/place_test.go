package replay

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// TestPlace covers simple mode: given CIDRs, a missing VPC CIDR, the
// capture host detected in the traffic, and no traffic to detect it in.
func TestPlace(t *testing.T) {
	acl := &nacl.ACL{ID: "acl-1"}
	cidr := netip.MustParsePrefix("10.0.1.0/24")

	topo, pl, err := Place(PlaceOptions{ACL: acl, CIDRs: []netip.Prefix{cidr}})
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Subnets) != 1 || pl.VPCMode || pl.Host.IsValid() || !pl.NoVPCCIDR {
		t.Errorf("given CIDR: %d subnets, placement %+v", len(topo.Subnets), pl)
	}
	if _, pl, _ := Place(PlaceOptions{ACL: acl, CIDRs: []netip.Prefix{cidr}, VPCCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}); pl.NoVPCCIDR {
		t.Error("a VPC CIDR was given, yet NoVPCCIDR")
	}
	if _, _, err := Place(PlaceOptions{ACL: acl}); !errors.Is(err, ErrNoHost) {
		t.Errorf("no CIDR, no traffic: err %v, want ErrNoHost", err)
	}

	g := newConvGen()
	g.tcp("ok", "198.51.100.7", 40000, "10.0.1.10", 443)
	g.tcp("ok", "198.51.100.8", 40001, "10.0.1.10", 22)
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	for i := range g.ps {
		rec.Add(&g.ps[i])
	}
	topo, pl, err = Place(PlaceOptions{ACL: acl, Rec: rec.Classify()})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Host != netip.MustParseAddr("10.0.1.10") || pl.HostConvs != 2 || pl.Convs != 2 || pl.HostPrefix != netip.MustParsePrefix("10.0.1.10/32") {
		t.Errorf("detected host: %+v", pl)
	}
	if len(topo.Subnets) != 1 {
		t.Errorf("detected host: %d subnets, want 1", len(topo.Subnets))
	}
}
