package replay

import (
	"errors"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// ErrNoHost is returned by Place when no subnet is given and no capture
// host can be detected.
var ErrNoHost = errors.New("no --subnet given and no capture host could be detected (no unicast conversation): give --subnet CIDR")

// PlaceOptions say where the ACLs sit: VPC mode (Subnets from
// describe-subnets, each with its associated ACL among ACLs) or simple
// mode (ACL on the CIDRs, or on the capture host detected in Rec).
type PlaceOptions struct {
	// VPC mode: Subnets is not nil.
	Subnets []SubnetInfo
	ACLs    []*nacl.ACL
	// Simple mode: ACL on CIDRs (none: the capture host of Rec).
	ACL   *nacl.ACL
	CIDRs []netip.Prefix
	// VPCCIDRs are the VPC CIDRs given; VPCs (describe-vpcs, may be nil)
	// add those of the subnets' VPCs (all of them in simple mode).
	VPCCIDRs []netip.Prefix
	VPCs     []VPCInfo
	// Rec, when not nil, is the traffic: the capture host is detected in
	// it, and without a VPC CIDR the Amazon DNS resolvers are inferred
	// from it.
	Rec *Recording
}

// Placement is what placing the ACLs had to say, as data: the caller
// decides where it goes.
type Placement struct {
	// VPCMode: the subnets came from describe-subnets.
	VPCMode bool
	// LeftOut are the describe-subnets subnets left out of the topology
	// (as VPCTopology names them).
	LeftOut []string
	// NoVPCCIDR: no VPC CIDR is known and no resolver was inferred, so
	// the Amazon DNS resolver at VPC base+2 is not exempted.
	NoVPCCIDR bool
	// Host is the detected capture host (no CIDR given), seen in
	// HostConvs of Convs conversations and placed as HostPrefix; invalid
	// when CIDRs were given.
	Host       netip.Addr
	HostConvs  int
	Convs      int
	HostPrefix netip.Prefix
	// Resolvers are the Amazon DNS resolvers inferred from Rec (added to
	// the topology's resolvers).
	Resolvers []InferredResolver
}

// Place builds the topology o describes and says what placing it found.
func Place(o PlaceOptions) (*Topology, *Placement, error) {
	topo, pl, err := place(o)
	if err != nil {
		return nil, nil, err
	}
	if len(topo.VPCCIDRs) == 0 && o.Rec != nil {
		pl.Resolvers = InferResolvers(o.Rec, topo)
		for _, r := range pl.Resolvers {
			topo.Resolvers = append(topo.Resolvers, r.Addr)
		}
		if len(topo.Resolvers) > 0 {
			pl.NoVPCCIDR = false
		}
	}
	return topo, pl, nil
}

func place(o PlaceOptions) (*Topology, *Placement, error) {
	pl := &Placement{}
	vpc := o.VPCCIDRs
	if o.Subnets != nil {
		ids := map[string]bool{}
		for _, s := range o.Subnets {
			ids[s.VPCID] = true
		}
		vpc = append(vpc, VPCCIDRs(o.VPCs, ids)...)
		topo, skipped, err := VPCTopology(o.ACLs, o.Subnets, vpc)
		if err != nil {
			return nil, nil, err
		}
		topo.Resolvers = append(topo.Resolvers, VPCResolvers(o.VPCs, ids)...)
		pl.VPCMode, pl.LeftOut, pl.NoVPCCIDR = true, skipped, len(vpc) == 0
		return topo, pl, nil
	}
	cidrs := o.CIDRs
	if len(cidrs) == 0 {
		if o.Rec == nil {
			return nil, nil, ErrNoHost
		}
		host, n, ok := DetectHostIn(o.Rec)
		if !ok {
			return nil, nil, ErrNoHost
		}
		pl.Host, pl.HostConvs, pl.Convs, pl.HostPrefix = host, n, o.Rec.NumConversations(), HostPrefix(host)
		cidrs = []netip.Prefix{pl.HostPrefix}
	}
	vpc = append(vpc, VPCCIDRs(o.VPCs, nil)...)
	pl.NoVPCCIDR = len(vpc) == 0
	topo, err := SimpleTopology(o.ACL, cidrs, vpc)
	if err == nil {
		topo.Resolvers = append(topo.Resolvers, VPCResolvers(o.VPCs, nil)...)
	}
	return topo, pl, err
}
