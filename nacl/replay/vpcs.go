package replay

import (
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// VPCInfo is one VPC read from `aws ec2 describe-vpcs` output.
type VPCInfo struct {
	ID string
	// CIDRs are the primary CidrBlock first, then the other associated
	// IPv4 blocks and the associated IPv6 blocks, canonical.
	CIDRs []netip.Prefix
	// Path is the JSON path of the VPC object, e.g. "$.Vpcs[0]".
	Path string
}

type rawVPC struct {
	VpcID                   *string `json:"VpcId"`
	CidrBlock               *string `json:"CidrBlock"`
	CidrBlockAssociationSet []struct {
		CidrBlock      *string `json:"CidrBlock"`
		CidrBlockState *struct {
			State string `json:"State"`
		} `json:"CidrBlockState"`
	} `json:"CidrBlockAssociationSet"`
	Ipv6CidrBlockAssociationSet []ipv6Association `json:"Ipv6CidrBlockAssociationSet"`
}

// ReadVPCs reads a describe-vpcs JSON file.
func ReadVPCs(path string) ([]VPCInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading VPCs: %w", err)
	}
	return ParseVPCs(path, data)
}

// ParseVPCs parses `aws ec2 describe-vpcs` output ({"Vpcs": [...]}), a
// single {"Vpc": {...}} (create-vpc output) or a bare array of VPC
// objects. Blocks whose association state is disassociating,
// disassociated, failing or failed are skipped. Errors name the file, the
// line and column or JSON path, and the field.
func ParseVPCs(name string, data []byte) ([]VPCInfo, error) {
	return parseAWSObjects(name, data, "Vpcs", "Vpc", "describe-vpcs", "VpcId",
		func(path string, r *rawVPC) (VPCInfo, string, error) {
			v, err := convertVPC(name, path, r)
			return v, v.ID, err
		})
}

// inactiveBlock reports whether an association state means the block is
// not (or no longer) part of the VPC.
func inactiveBlock(state string) bool {
	switch state {
	case "disassociating", "disassociated", "failing", "failed":
		return true
	}
	return false
}

func convertVPC(name, path string, r *rawVPC) (VPCInfo, error) {
	v := VPCInfo{Path: path}
	if r.VpcID == nil || *r.VpcID == "" {
		return v, fmt.Errorf("%s: %s.VpcId: missing", name, path)
	}
	v.ID = *r.VpcID
	add := func(field, s string, want6 bool) error {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Is6() != want6 || p.Addr().Is4In6() {
			fam := "IPv4"
			if want6 {
				fam = "IPv6"
			}
			return fmt.Errorf("%s: %s.%s: %q is not an %s CIDR", name, path, field, s, fam)
		}
		if p = p.Masked(); !slices.Contains(v.CIDRs, p) {
			v.CIDRs = append(v.CIDRs, p)
		}
		return nil
	}
	if r.CidrBlock != nil && *r.CidrBlock != "" {
		if err := add("CidrBlock", *r.CidrBlock, false); err != nil {
			return v, err
		}
	}
	for k, a := range r.CidrBlockAssociationSet {
		if a.CidrBlockState != nil && inactiveBlock(a.CidrBlockState.State) {
			continue
		}
		field := fmt.Sprintf("CidrBlockAssociationSet[%d].CidrBlock", k)
		if a.CidrBlock == nil {
			return v, fmt.Errorf("%s: %s.%s: missing", name, path, field)
		}
		if err := add(field, *a.CidrBlock, false); err != nil {
			return v, err
		}
	}
	for k, a := range r.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState != nil && inactiveBlock(a.Ipv6CidrBlockState.State) {
			continue
		}
		field := fmt.Sprintf("Ipv6CidrBlockAssociationSet[%d].Ipv6CidrBlock", k)
		if a.Ipv6CidrBlock == nil {
			return v, fmt.Errorf("%s: %s.%s: missing", name, path, field)
		}
		if err := add(field, *a.Ipv6CidrBlock, true); err != nil {
			return v, err
		}
	}
	if len(v.CIDRs) == 0 {
		return v, fmt.Errorf("%s: %s: VPC %s has no CIDR block", name, path, v.ID)
	}
	return v, nil
}

// VPCCIDRs returns the CIDRs of the VPCs whose ID is in ids (every VPC
// when ids is empty), in file order.
func VPCCIDRs(vpcs []VPCInfo, ids map[string]bool) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range vpcs {
		if len(ids) == 0 || ids[v.ID] {
			out = append(out, v.CIDRs...)
		}
	}
	return out
}

// VPCResolvers returns the Amazon DNS resolver of each VPC whose ID is in
// ids (every VPC when ids is empty): base+2 of its primary (first IPv4)
// CIDR, the only block AWS puts it in.
func VPCResolvers(vpcs []VPCInfo, ids map[string]bool) []netip.Addr {
	var out []netip.Addr
	for _, v := range vpcs {
		if len(ids) > 0 && !ids[v.ID] {
			continue
		}
		if p, ok := PrimaryVPCCIDR(v.CIDRs); ok {
			if a, ok := baseOffset(p, 2); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// InferredResolver is an Amazon DNS resolver address inferred from the
// traffic when no VPC CIDR is known.
type InferredResolver struct {
	Addr netip.Addr
	// Subnet is the modelled subnet CIDR Addr was matched against;
	// Widest and Narrowest bound the VPC CIDRs (between /16 and /28, as
	// AWS allows) containing it whose base+2 is Addr.
	Subnet            netip.Prefix
	Widest, Narrowest netip.Prefix
	// Conversations counts the DNS conversations (UDP/TCP port 53) to Addr.
	Conversations int
}

// InferResolvers finds the DNS servers of the capture (servers of UDP or
// TCP port 53) that sit at base+2 of a possible VPC CIDR (/16 to /28)
// containing a modelled IPv4 subnet: the address AWS reserves for the
// Amazon DNS resolver. Addresses already exempt are left out.
func InferResolvers(rec *Recording, t *Topology) []InferredResolver {
	known := map[netip.Addr]bool{}
	for _, s := range specialAddrs(t) {
		known[s.a] = true
	}
	count := map[netip.Addr]int{}
	for id := 1; id <= rec.NumConversations(); id++ {
		proto, a, b := rec.endpoints(id)
		if proto != nacl.ProtoTCP && proto != nacl.ProtoUDP {
			continue
		}
		sv := b
		if rec.clientSide(id) == flows.SideB {
			sv = a
		}
		if sv.Port == 53 && sv.Addr.Is4() && !known[sv.Addr] {
			count[sv.Addr]++
		}
	}
	var out []InferredResolver
	for _, a := range slices.SortedFunc(maps.Keys(count), netip.Addr.Compare) {
		for _, p := range t.CIDRs() {
			if !p.Addr().Is4() {
				continue
			}
			r := InferredResolver{Addr: a, Subnet: p, Conversations: count[a]}
			for bits := 16; bits <= min(p.Bits(), 28); bits++ {
				v, _ := p.Addr().Prefix(bits)
				if b2, ok := baseOffset(v, 2); ok && b2 == a {
					if !r.Widest.IsValid() {
						r.Widest = v
					}
					r.Narrowest = v
				}
			}
			if r.Widest.IsValid() {
				out = append(out, r)
				break
			}
		}
	}
	return out
}
