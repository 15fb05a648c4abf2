// Package nacl models AWS VPC Network ACLs and evaluates packets against
// them with AWS's exact semantics: entries of the packet's direction in
// ascending rule number, first match wins, inbound entries match the source
// and outbound entries the destination address, port ranges match the
// destination port in both directions, IPv4 entries never match IPv6
// traffic, and the implicit default deny rules 32767 (IPv4) and 32768 (IPv6).
//
// The package knows nothing about captures; file formats live in the
// subpackages under nacl/formats and nacl/aclfile.
package nacl

import (
	"fmt"
	"net/netip"
)

// Direction is the side of the subnet boundary a rule applies to.
type Direction uint8

const (
	// Ingress rules judge packets entering the subnet (Egress=false in the API).
	Ingress Direction = iota
	// Egress rules judge packets leaving the subnet (Egress=true in the API).
	Egress
)

// String returns "inbound" or "outbound".
func (d Direction) String() string {
	if d == Egress {
		return "outbound"
	}
	return "inbound"
}

// Action is what a rule does with a matching packet.
type Action uint8

const (
	// Deny drops the packet.
	Deny Action = iota
	// Allow lets the packet through.
	Allow
)

// String returns "allow" or "deny".
func (a Action) String() string {
	if a == Allow {
		return "allow"
	}
	return "deny"
}

// Rule numbers of the implicit default deny rules ("*" in the console).
const (
	DefaultRuleIPv4 = 32767
	DefaultRuleIPv6 = 32768
	// MaxRuleNumber is the largest number a user rule may have.
	MaxRuleNumber = 32766
)

// Protocol numbers with special meaning in NACL entries.
const (
	ProtoAll    = -1
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// PortRange is an inclusive destination port range.
type PortRange struct{ From, To uint16 }

// Contains reports whether port lies in the range.
func (r PortRange) Contains(port uint16) bool { return port >= r.From && port <= r.To }

// String returns "80" or "1024-65535".
func (r PortRange) String() string {
	if r.From == r.To {
		return fmt.Sprint(r.From)
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}

// Pos is where something was read from: a file with a line and column, or
// a JSON path, or both. The zero Pos means "unknown".
type Pos struct {
	File string
	Line int
	Col  int
	// Path is a JSON/YAML path such as "$.NetworkAcls[0].Entries[3]" or a
	// Terraform address such as `aws_network_acl.main.ingress[1]`.
	Path string
}

// String formats the position as FILE:LINE:COL, FILE:LINE, or FILE: PATH.
func (p Pos) String() string {
	s := p.File
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
		if p.Col > 0 {
			s += fmt.Sprintf(":%d", p.Col)
		}
	}
	if p.Path != "" {
		if s != "" {
			s += ": "
		}
		s += p.Path
	}
	return s
}

// Entry is one numbered NACL rule.
type Entry struct {
	// RuleNumber is 1..32766 for user rules; 32767/32768 only for the
	// implicit defaults, which are never stored in ACL.Entries.
	RuleNumber int
	Direction  Direction
	Action     Action
	// Protocol is an IANA protocol number 0-255, or ProtoAll (-1).
	Protocol int
	// CIDR is the IPv4 (CidrBlock) or IPv6 (Ipv6CidrBlock) prefix, canonical.
	CIDR netip.Prefix
	// Ports is the destination port range; meaningful only for TCP and UDP.
	Ports PortRange
	// ICMPType and ICMPCode are -1 for "any"; meaningful only for ICMP (1)
	// and for ICMPv6 (58) with an IPv6 CIDR.
	ICMPType, ICMPCode int
	// Comment is free text carried through formats that allow it.
	Comment string
	// Pos is where the entry was read from (zero for generated entries).
	Pos Pos
}

// IsIPv6 reports whether the entry is an IPv6 (Ipv6CidrBlock) entry.
func (e *Entry) IsIPv6() bool { return e.CIDR.Addr().Is6() }

// ACL is one network ACL.
type ACL struct {
	// ID is the NetworkAclId (or the resource name for IaC formats).
	ID string
	// Name comes from the Name tag, empty when absent.
	Name string
	// VPCID is the VpcId when known.
	VPCID string
	// IsDefault is true for the VPC's default network ACL.
	IsDefault bool
	// Subnets are the associated subnet IDs.
	Subnets []string
	// Entries are the user rules of both directions, never the implicit
	// defaults. Evaluation does not depend on their order here.
	Entries []Entry
	// Pos is where the ACL was defined.
	Pos Pos
}

// Label returns "ID (Name)" or just the ID.
func (a *ACL) Label() string {
	if a.Name != "" && a.Name != a.ID {
		return a.ID + " (" + a.Name + ")"
	}
	return a.ID
}

// Packet is what a NACL looks at: addresses, protocol, destination port
// and ICMP type/code. Src and Dst must be the same family.
type Packet struct {
	Src, Dst netip.Addr
	// Proto is the IP protocol number.
	Proto uint8
	// DstPort is the destination port (TCP/UDP). HasPort is false for a
	// TCP/UDP packet whose ports are unknown (a non-first fragment).
	DstPort uint16
	HasPort bool
	// ICMPType/ICMPCode for ICMP and ICMPv6. HasICMP false when unknown.
	ICMPType, ICMPCode uint8
	HasICMP            bool
	// ProtoUnknown is true when the upper-layer protocol is unknown: the
	// capture cut the packet inside its IPv6 extension-header chain, so
	// Proto is only the last header reached. Entries naming a protocol
	// then do not match, and the decision is uncertain.
	ProtoUnknown bool
}

// Decision is the outcome of evaluating one packet in one direction.
type Decision struct {
	Action Action
	// RuleNumber is the deciding rule (32767/32768 for the default deny).
	RuleNumber int
	// Entry is the index in ACL.Entries of the deciding entry, -1 for the default rule.
	Entry int
	// Uncertain is true when the packet's port, ICMP type or protocol was
	// unknown (a non-first fragment, or a packet the capture cut inside a
	// header) and an entry that depends on it was passed over: AWS does not
	// document how NACLs treat fragments, and a cut packet's missing fields
	// were on the wire but not in the capture.
	Uncertain bool
}

// IsDefault reports whether the implicit default rule decided.
func (d Decision) IsDefault() bool { return d.Entry < 0 }
