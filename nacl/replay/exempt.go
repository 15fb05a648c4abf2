package replay

import (
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// Exemption reasons (Judgement.Reason for Exempt verdicts).
const (
	ReasonAmazonDNS         = "amazon-dns"
	ReasonMetadata          = "instance-metadata"
	ReasonTimeSync          = "time-sync"
	ReasonWindowsActivation = "windows-activation"
	ReasonDHCP              = "dhcp"
	ReasonVPCRouter         = "vpc-router"
	// ReasonECSMetadata is exempt because AWS lists "Amazon ECS task metadata
	// endpoints" among the traffic NACLs do not filter; the address
	// 169.254.170.2 itself is not confirmed by an AWS page (see Unconfirmed).
	ReasonECSMetadata = "ecs-task-metadata"
)

// Not-filtered reasons (Judgement.Reason for NotFiltered verdicts).
const (
	ReasonSameSubnet  = "same-subnet"
	ReasonNotCrossing = "not-crossing"
	ReasonLinkLocal   = "link-local"
	// ReasonNDP is IPv6 neighbour discovery (ICMPv6 133-137), which is
	// link-scoped (hop limit 255) and never crosses a subnet boundary.
	ReasonNDP = "neighbor-discovery"
)

// Unconfirmed reports whether the exemption reason rests on a basis
// weaker than an AWS statement (reports say so next to its counts): the
// ECS task metadata address 169.254.170.2, which no AWS page confirms.
func Unconfirmed(reason string) bool { return reason == ReasonECSMetadata }

// specialAddr is one address NACLs never filter.
type specialAddr struct {
	a      netip.Addr
	reason string
}

// fixedSpecial are the link-local service addresses of every VPC.
var fixedSpecial = []specialAddr{
	{netip.MustParseAddr("169.254.169.253"), ReasonAmazonDNS},
	{netip.MustParseAddr("fd00:ec2::253"), ReasonAmazonDNS},
	{netip.MustParseAddr("169.254.169.254"), ReasonMetadata},
	{netip.MustParseAddr("fd00:ec2::254"), ReasonMetadata},
	{netip.MustParseAddr("169.254.169.123"), ReasonTimeSync},
	{netip.MustParseAddr("fd00:ec2::123"), ReasonTimeSync},
	{netip.MustParseAddr("169.254.169.250"), ReasonWindowsActivation},
	{netip.MustParseAddr("169.254.169.251"), ReasonWindowsActivation},
	{netip.MustParseAddr("169.254.170.2"), ReasonECSMetadata},
}

// specialAddrs lists the fixed service addresses plus, for the topology,
// the Amazon DNS resolver at the primary IPv4 VPC CIDR's base+2 (see
// PrimaryVPCCIDR) and the VPC router at each subnet CIDR's base+1 (IPv4
// /28 or larger, IPv6 /120 or larger; a /32 or /128 host has no router
// address). AWS reserves the first four addresses of every subnet CIDR;
// base+1 is the VPC router.
func specialAddrs(t *Topology) []specialAddr {
	out := append([]specialAddr(nil), fixedSpecial...)
	if p, ok := PrimaryVPCCIDR(t.VPCCIDRs); ok {
		if a, ok := baseOffset(p, 2); ok {
			out = append(out, specialAddr{a, ReasonAmazonDNS})
		}
	}
	for _, a := range t.Resolvers {
		out = append(out, specialAddr{a, ReasonAmazonDNS})
	}
	for _, s := range t.Subnets {
		for _, p := range s.CIDRs {
			if (p.Addr().Is4() && p.Bits() <= 28) || (p.Addr().Is6() && p.Bits() <= 120) {
				if a, ok := baseOffset(p, 1); ok {
					out = append(out, specialAddr{a, ReasonVPCRouter})
				}
			}
		}
	}
	return out
}

// PrimaryVPCCIDR returns the CIDR whose base+2 is the Amazon DNS
// resolver: the first IPv4 CIDR of vpcCIDRs, taken as the VPC's primary
// CIDR. AWS places the resolver only at the primary IPv4 CIDR plus two
// ("for VPCs with multiple CIDR blocks, the IP address of the DNS server is
// located in the primary CIDR"), and at 169.254.169.253 and fd00:ec2::253
// (fixed addresses); an IPv6 VPC CIDR's base+2 is an ordinary address.
func PrimaryVPCCIDR(vpcCIDRs []netip.Prefix) (netip.Prefix, bool) {
	for _, p := range vpcCIDRs {
		if p.Addr().Is4() {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// baseOffset returns the prefix's network address plus n.
func baseOffset(p netip.Prefix, n int) (netip.Addr, bool) {
	if p.Bits() > p.Addr().BitLen()-2 {
		return netip.Addr{}, false
	}
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a, true
}

// exemptReason returns why NACLs never filter p, or "".
func (j *Judge) exemptReason(p *nacl.Packet) string {
	if j.isAmazonDHCP(p) {
		return ReasonDHCP
	}
	for i := range j.special {
		if j.special[i].a == p.Src || j.special[i].a == p.Dst {
			return j.special[i].reason
		}
	}
	return ""
}

// isAmazonDHCP reports whether p is DHCP (UDP to 67/68) or DHCPv6 (UDP to
// 546/547) exchanged with Amazon's DHCP service, which NACLs do not filter.
// AWS exempts only Amazon DHCP, so one end must be where that service
// answers or where a client asks it: the limited broadcast
// 255.255.255.255, the unspecified address (a client without a lease),
// a link-local address, link-local multicast (ff02::1:2,
// All_DHCP_Relay_Agents_and_Servers), or the VPC router at a modelled
// subnet's base+1. DHCP between unicast addresses elsewhere (a relay
// agent, a DHCP server on premises or in another subnet) is filtered
// like any other traffic.
func (j *Judge) isAmazonDHCP(p *nacl.Packet) bool {
	if p.Proto != nacl.ProtoUDP || !p.HasPort {
		return false
	}
	switch {
	case p.Dst.Is4() && (p.DstPort == 67 || p.DstPort == 68):
	case p.Dst.Is6() && (p.DstPort == 546 || p.DstPort == 547):
	default:
		return false
	}
	return j.dhcpServiceEnd(p.Src) || j.dhcpServiceEnd(p.Dst)
}

// dhcpServiceEnd reports whether a is an address Amazon DHCP traffic uses
// (see isAmazonDHCP).
func (j *Judge) dhcpServiceEnd(a netip.Addr) bool {
	if a.Is4In6() {
		return false // an IPv6 address, though it spells an IPv4 one
	}
	if a == broadcast4 || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
		return true
	}
	for i := range j.special {
		if j.special[i].reason == ReasonVPCRouter && j.special[i].a == a {
			return true
		}
	}
	return false
}

// isLinkScoped reports whether a never leaves its link: IPv4/IPv6
// link-local unicast and multicast, IPv4 limited broadcast, unspecified.
// Such packets never cross a subnet boundary, so no NACL sees them. An
// IPv4-mapped IPv6 address (::ffff:169.254.1.1) is an IPv6 address outside
// fe80::/10, so it is not link-scoped (netip's predicates unmap it first).
func isLinkScoped(a netip.Addr) bool {
	if a.Is4() {
		// Judge asks for both ends of every key: IPv4 is tested on its
		// four bytes (169.254/16, 224.0.0/24, 0.0.0.0, 255.255.255.255),
		// the same answer as netip's predicates below give.
		b := a.As4()
		return (b[0] == 169 && b[1] == 254) || (b[0] == 224 && b[1] == 0 && b[2] == 0) || b == [4]byte{} || b == [4]byte{255, 255, 255, 255}
	}
	if a.Is4In6() {
		return false
	}
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsUnspecified()
}

var broadcast4 = netip.MustParseAddr("255.255.255.255")

// IsExemptReason reports whether reason is one of the exemption reasons.
func IsExemptReason(reason string) bool {
	switch reason {
	case ReasonAmazonDNS, ReasonMetadata, ReasonTimeSync, ReasonWindowsActivation, ReasonDHCP, ReasonVPCRouter, ReasonECSMetadata:
		return true
	}
	return false
}
