package render

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl/replay"
)

// Placement is what placing the ACLs on subnets (from the flags) had to
// say: subnets left out, a detected capture host, a missing VPC CIDR.
// Stderr and Notes write it; the command decides where each goes.
type Placement struct {
	// VPCMode: the subnets come from describe-subnets (--subnets).
	VPCMode bool
	// LeftOut are the describe-subnets subnets left out of the topology.
	LeftOut []string
	// NoVPCCIDR: no VPC CIDR is known and no resolver was inferred, so
	// the Amazon DNS resolver at VPC base+2 is not exempted.
	NoVPCCIDR bool
	// Host is the detected capture host (no --subnet given), seen in
	// HostConvs of Convs conversations and placed as HostPrefix; invalid
	// when the subnets were given.
	Host       netip.Addr
	HostConvs  int
	Convs      int
	HostPrefix netip.Prefix
	// Resolvers are the Amazon DNS resolvers inferred from the traffic,
	// which the check report prints first.
	Resolvers []replay.InferredResolver
}

// Stderr returns the warnings and notices for standard error, one line
// each, in a fixed order.
func (p *Placement) Stderr() []string {
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

// Notes returns the notes for the report.
func (p *Placement) Notes() []string {
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

// SynthStderr returns synth's notices for standard error: the detected
// capture host and the missing VPC CIDR.
func (p *Placement) SynthStderr() []string {
	var out []string
	if p.Host.IsValid() {
		out = append(out, fmt.Sprintf("notice: no --subnet given: using the capture host %s (in %d of %d conversations) as %s", p.Host, p.HostConvs, p.Convs, p.HostPrefix))
	}
	if p.NoVPCCIDR {
		out = append(out, "notice: no --vpc-cidr given: the Amazon DNS resolver at VPC base+2 is not recognised as exempt (169.254.169.253 still is)")
	}
	return out
}
