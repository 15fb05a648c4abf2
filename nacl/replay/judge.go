// Package replay places NACLs on subnets and judges observed packets the
// way the VPC would: which NACL checks a packet meets (source subnet's
// outbound rules, destination subnet's inbound rules), traffic NACLs never
// filter (Amazon DNS, metadata, Time Sync, ...), same-subnet traffic.
//
// STUB: the replay owner replaces this file (API below is the contract).
package replay

import (
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// Verdict is the outcome for one packet.
type Verdict string

// Verdicts.
const (
	Allow       Verdict = "allow"
	Deny        Verdict = "deny"
	Exempt      Verdict = "exempt"       // traffic NACLs never filter (Reason says which)
	NotFiltered Verdict = "not-filtered" // same subnet, or not crossing any modelled subnet boundary
)

// Subnet is one subnet behind a NACL.
type Subnet struct {
	// ID is the subnet id ("subnet-..."), or the CIDR text in simple mode.
	ID    string
	CIDRs []netip.Prefix
	ACL   *nacl.ACL
}

// Topology is the set of subnets being modelled and the VPC CIDRs (whose
// base+2 address is the Amazon DNS resolver).
type Topology struct {
	Subnets  []Subnet
	VPCCIDRs []netip.Prefix
}

// Check is one NACL evaluation a packet met.
type Check struct {
	ACL       string // ACL id
	Subnet    netip.Prefix
	SubnetID  string
	Direction nacl.Direction
	Rule      int
	Action    nacl.Action
	// Uncertain: see nacl.Decision.Uncertain.
	Uncertain bool
}

// Judgement is the verdict for one packet and the checks that produced it
// (source subnet outbound first, then destination subnet inbound).
type Judgement struct {
	Verdict Verdict
	// Reason explains Exempt and NotFiltered ("amazon-dns", "instance-metadata",
	// "time-sync", "windows-activation", "dhcp", "same-subnet", "not-crossing").
	Reason string
	Checks [2]Check
	NCheck int
}

// Judge judges packets against a Topology. Safe for concurrent use.
type Judge struct{}

// NewJudge compiles the topology's ACLs.
func NewJudge(t *Topology) (*Judge, error) { return &Judge{}, nil }

// Judge returns the judgement for one packet. It does not allocate.
func (j *Judge) Judge(p *nacl.Packet) Judgement { return Judgement{} }
