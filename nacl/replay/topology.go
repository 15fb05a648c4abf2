package replay

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// SubnetsFromCIDRs groups the CIDRs given for simple mode (--subnet) into
// subnets: each CIDR is a subnet of its own, so traffic between two of them
// meets the source subnet's outbound rules and then the destination
// subnet's inbound rules, as in AWS, even though they share one NACL. The
// one exception is exactly one IPv4 and one IPv6 CIDR given together:
// they are taken as one dual-stack subnet. The CIDRs are masked and
// duplicates are dropped; the order of first appearance is kept.
func SubnetsFromCIDRs(cidrs []netip.Prefix) [][]netip.Prefix {
	var uniq []netip.Prefix
	for _, p := range cidrs {
		p = p.Masked()
		if !p.IsValid() || slices.Contains(uniq, p) {
			continue
		}
		uniq = append(uniq, p)
	}
	if len(uniq) == 2 && uniq[0].Addr().Is4() != uniq[1].Addr().Is4() {
		return [][]netip.Prefix{uniq}
	}
	out := make([][]netip.Prefix, len(uniq))
	for i, p := range uniq {
		out[i] = []netip.Prefix{p}
	}
	return out
}

// SimpleTopology puts acl on the given CIDRs, grouped into subnets by
// SubnetsFromCIDRs: a packet from outside to a subnet meets its inbound
// rules, from a subnet to outside its outbound rules, from one subnet to
// another both (outbound, then inbound); inside one subnet it is not
// filtered (same subnet). A subnet's ID is its CIDR text ("10.0.1.0/24",
// or "10.0.1.0/24,2001:db8:1::/64" for a dual-stack subnet).
func SimpleTopology(acl *nacl.ACL, cidrs []netip.Prefix, vpcCIDRs []netip.Prefix) (*Topology, error) {
	if acl == nil {
		return nil, fmt.Errorf("no network ACL given")
	}
	groups := SubnetsFromCIDRs(cidrs)
	if len(groups) == 0 {
		return nil, fmt.Errorf("no subnet CIDR given")
	}
	t := &Topology{VPCCIDRs: vpcCIDRs}
	for _, g := range groups {
		t.Subnets = append(t.Subnets, Subnet{ID: strings.Join(prefixTexts(g), ","), CIDRs: g, ACL: acl})
	}
	return t, nil
}

// CIDRs returns every subnet CIDR of the topology, in subnet order.
func (t *Topology) CIDRs() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range t.Subnets {
		out = append(out, s.CIDRs...)
	}
	return out
}

func prefixTexts(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// VPCTopology associates each subnet with its network ACL: the ACL whose
// Subnets list its ID, else the default ACL of its VPC. Subnets of VPCs
// that have no ACL at all in acls are left out and reported in skipped
// (the ACL file was filtered to other VPCs); a subnet whose VPC has ACLs
// but neither an association nor a default ACL is an error.
func VPCTopology(acls []*nacl.ACL, subnets []SubnetInfo, vpcCIDRs []netip.Prefix) (t *Topology, skipped []string, err error) {
	bySubnet := map[string]*nacl.ACL{}
	defaults := map[string]*nacl.ACL{}
	vpcs := map[string]bool{}
	for _, a := range acls {
		vpcs[a.VPCID] = true
		if a.IsDefault {
			defaults[a.VPCID] = a
		}
		for _, s := range a.Subnets {
			if prev, dup := bySubnet[s]; dup && prev != a {
				return nil, nil, fmt.Errorf("subnet %s is associated with both %s and %s", s, prev.ID, a.ID)
			}
			bySubnet[s] = a
		}
	}
	t = &Topology{VPCCIDRs: vpcCIDRs}
	for _, s := range subnets {
		acl := bySubnet[s.ID]
		if acl == nil {
			acl = defaults[s.VPCID]
		}
		if acl == nil && len(defaults) == 1 && s.VPCID == "" {
			for _, d := range defaults {
				acl = d
			}
		}
		if acl == nil {
			if !vpcs[s.VPCID] {
				skipped = append(skipped, fmt.Sprintf("%s (%s): no ACL of %s in the ACL file", s.ID, s.Path, orUnknown(s.VPCID)))
				continue
			}
			return nil, nil, fmt.Errorf("subnet %s (%s): no network ACL is associated with it and the ACL file has no default ACL for %s", s.ID, s.Path, orUnknown(s.VPCID))
		}
		t.Subnets = append(t.Subnets, Subnet{ID: s.ID, CIDRs: s.CIDRs, ACL: acl})
	}
	if len(t.Subnets) == 0 {
		return nil, skipped, fmt.Errorf("no subnet could be given a network ACL")
	}
	return t, skipped, nil
}

func orUnknown(vpc string) string {
	if vpc == "" {
		return "its VPC (VpcId missing)"
	}
	return vpc
}

// DetectHost returns the address present in the most conversations (ties:
// the lowest address) and in how many. Multicast, broadcast, link-local,
// unspecified and Amazon service addresses are not candidates. ok is false
// when there is no candidate.
func DetectHost(convs []*flows.Conversation) (host netip.Addr, n int, ok bool) {
	count := make(map[netip.Addr]int, len(convs)/4+1)
	for _, c := range convs {
		countHost(count, c.Client.Addr, c.Server.Addr)
	}
	return pickHost(count)
}

// DetectHostIn is DetectHost over the conversations of a recording,
// without building them.
func DetectHostIn(rec *Recording) (host netip.Addr, n int, ok bool) {
	count := map[netip.Addr]int{}
	for id := 1; id <= rec.NumConversations(); id++ {
		_, a, b := rec.endpoints(id)
		countHost(count, a.Addr, b.Addr)
	}
	return pickHost(count)
}

func countHost(count map[netip.Addr]int, a, b netip.Addr) {
	if hostCandidate(a) {
		count[a]++
	}
	if b != a && hostCandidate(b) {
		count[b]++
	}
}

func pickHost(count map[netip.Addr]int) (host netip.Addr, n int, ok bool) {
	if len(count) == 0 {
		return netip.Addr{}, 0, false
	}
	addrs := make([]netip.Addr, 0, len(count))
	for a := range count {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(x, y netip.Addr) int {
		if c := cmp.Compare(count[y], count[x]); c != 0 {
			return c
		}
		return x.Compare(y)
	})
	return addrs[0], count[addrs[0]], true
}

func hostCandidate(a netip.Addr) bool {
	if !a.IsValid() || a.IsMulticast() || isLinkScoped(a) || a.IsLoopback() {
		return false
	}
	for _, s := range fixedSpecial {
		if s.a == a {
			return false
		}
	}
	return true
}

// HostPrefix returns a as a /32 or /128.
func HostPrefix(a netip.Addr) netip.Prefix {
	return netip.PrefixFrom(a, a.BitLen())
}
