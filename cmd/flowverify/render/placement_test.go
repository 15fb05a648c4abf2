package render

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/nacl/replay"
)

// TestPlacement checks the lines of each placement fact and their order.
func TestPlacement(t *testing.T) {
	vpc := replay.Placement{VPCMode: true, LeftOut: []string{"subnet-a (x)", "subnet-b (y)"}, NoVPCCIDR: true}
	if got, want := PlacementStderr(&vpc), []string{"warning: subnet subnet-a (x): left out", "warning: subnet subnet-b (y): left out"}; !slices.Equal(got, want) {
		t.Errorf("VPC stderr = %q, want %q", got, want)
	}
	if got := PlacementNotes(&vpc); len(got) != 1 || got[0] != "no --vpc-cidr given: describe-subnets does not hold the VPC CIDR, so the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)" {
		t.Errorf("VPC notes = %q", got)
	}
	host := replay.Placement{Host: netip.MustParseAddr("10.0.1.10"), HostConvs: 3, Convs: 4, HostPrefix: netip.MustParsePrefix("10.0.1.10/32"), NoVPCCIDR: true}
	if got := PlacementStderr(&host); len(got) != 1 || got[0] != "notice: no --subnet given: using the capture host 10.0.1.10 (in 3 of 4 conversations) as 10.0.1.10/32; override with --subnet CIDR or --subnets FILE" {
		t.Errorf("host stderr = %q", got)
	}
	if got, want := PlacementNotes(&host), []string{"subnet 10.0.1.10/32 is the detected capture host (no --subnet given)",
		"no --vpc-cidr given: the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)"}; !slices.Equal(got, want) {
		t.Errorf("host notes = %q, want %q", got, want)
	}
	if got := SynthPlacementStderr(&host); len(got) != 2 || got[0] != "notice: no --subnet given: using the capture host 10.0.1.10 (in 3 of 4 conversations) as 10.0.1.10/32" {
		t.Errorf("synth stderr = %q", got)
	}
	var given replay.Placement
	if len(PlacementStderr(&given))+len(PlacementNotes(&given))+len(SynthPlacementStderr(&given)) != 0 {
		t.Error("nothing to say when subnets and VPC CIDR are given")
	}
}
