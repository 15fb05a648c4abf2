package replay

import "net/netip"

// SpecialAddr is one address NACLs never filter, and why (an exemption
// reason such as ReasonAmazonDNS or ReasonVPCRouter).
type SpecialAddr struct {
	Addr   netip.Addr
	Reason string
}

// SpecialAddrs returns the addresses the judge exempts, in the order it
// checks them: the fixed link-local service addresses, the Amazon DNS
// resolver at each VPC CIDR's base+2 and the VPC router at each subnet
// CIDR's base+1. For generators of the same semantics in other languages
// (nacl/sqlgen).
func (j *Judge) SpecialAddrs() []SpecialAddr {
	out := make([]SpecialAddr, len(j.special))
	for i, s := range j.special {
		out[i] = SpecialAddr{Addr: s.a, Reason: s.reason}
	}
	return out
}
