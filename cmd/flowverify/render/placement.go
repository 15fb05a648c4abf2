package render

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl/replay"
)

// PlacementStderr returns the warnings and notices of placing the ACLs
// for standard error, one line each, in a fixed order.
func PlacementStderr(p *replay.Placement) []string {
	var out []string
	for _, s := range p.LeftOut {
		out = append(out, "warning: subnet "+s+": left out")
	}
	if p.Host.IsValid() {
		out = append(out, fmt.Sprintf("notice: no --subnet given: using the capture host %s (in %d of %d conversations) as %s; override with --subnet CIDR or --subnets FILE",
			p.Host, p.HostConvs, p.Convs, p.HostPrefix))
	}
	return out
}

// PlacementNotes returns the notes of placing the ACLs for the report.
func PlacementNotes(p *replay.Placement) []string {
	var out []string
	if p.Host.IsValid() {
		out = append(out, fmt.Sprintf("subnet %s is the detected capture host (no --subnet given)", p.HostPrefix))
	}
	switch {
	case p.NoVPCCIDR && p.VPCMode:
		out = append(out, "no --vpc-cidr given: describe-subnets does not hold the VPC CIDR, so the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)")
	case p.NoVPCCIDR:
		out = append(out, "no --vpc-cidr given: the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)")
	}
	return out
}

// SynthPlacementStderr returns synth's notices for standard error: the
// detected capture host and the missing VPC CIDR.
func SynthPlacementStderr(p *replay.Placement) []string {
	var out []string
	if p.Host.IsValid() {
		out = append(out, fmt.Sprintf("notice: no --subnet given: using the capture host %s (in %d of %d conversations) as %s", p.Host, p.HostConvs, p.Convs, p.HostPrefix))
	}
	if p.NoVPCCIDR {
		out = append(out, "notice: no --vpc-cidr given: the Amazon DNS resolver at VPC base+2 is not recognised as exempt (169.254.169.253 still is)")
	}
	return out
}
