// Package replay places NACLs on subnets and judges observed packets the
// way the VPC would: which NACL checks a packet meets (source subnet's
// outbound rules, destination subnet's inbound rules), traffic NACLs never
// filter (Amazon DNS, metadata, Time Sync, ...), same-subnet traffic. It
// also accumulates a capture's packets per conversation and direction
// (Recorder), turns them into a per-conversation report with the denied
// checks of each broken conversation (Denials) and fix suggestions
// (Summarize, which rebuilds the per-conversation results on demand so
// that memory stays small on large captures) and compares the verdicts of
// two topologies (CompareTopologies). It returns data only: cmd/flowverify/render prints
// it (tables, JSON, sentences).
package replay

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

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

// Topology is the set of subnets being modelled and the VPC CIDRs (the
// first IPv4 one is the primary CIDR, whose base+2 address is the Amazon
// DNS resolver; see PrimaryVPCCIDR).
type Topology struct {
	Subnets  []Subnet
	VPCCIDRs []netip.Prefix
	// Resolvers are Amazon DNS resolver addresses known otherwise than
	// from VPCCIDRs (inferred from the traffic, see InferResolvers);
	// NACLs never filter them.
	Resolvers []netip.Addr
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
	// Entry is the index of the deciding entry in the ACL's Entries, -1 for
	// the default rule.
	Entry int
	// ACLRef is the ACL that was evaluated (for describing the rule).
	ACLRef *nacl.ACL
}

// Judgement is the verdict for one packet and the checks that produced it
// (source subnet outbound first, then destination subnet inbound).
type Judgement struct {
	Verdict Verdict
	// Reason explains Exempt and NotFiltered ("amazon-dns", "instance-metadata",
	// "time-sync", "windows-activation", "dhcp", "vpc-router",
	// "ecs-task-metadata", "same-subnet", "not-crossing", "link-local", "neighbor-discovery").
	Reason string
	Checks [2]Check
	NCheck int
}

// Uncertain reports whether any check passed over a rule because the
// packet's port or ICMP type was unknown (non-first fragment).
func (j *Judgement) Uncertain() bool {
	for i := 0; i < j.NCheck; i++ {
		if j.Checks[i].Uncertain {
			return true
		}
	}
	return false
}

// CheckList returns the checks as a slice (allocates).
func (j *Judgement) CheckList() []Check { return slices.Clone(j.Checks[:j.NCheck]) }

// compiledSubnet is a Subnet with its ACL compiled.
type compiledSubnet struct {
	id  string
	acl *nacl.ACL
	ev  *nacl.Evaluator
}

// prefixRef maps one subnet CIDR to its subnet.
type prefixRef struct {
	p   netip.Prefix
	idx int
}

// Judge judges packets against a Topology. Safe for concurrent use.
type Judge struct {
	subnets  []compiledSubnet
	prefixes []prefixRef // longest prefix first
	special  []specialAddr
	topo     *Topology
}

// NewJudge compiles the topology's ACLs. It fails when a subnet has no
// ACL or no CIDR, or when two subnets claim the same CIDR.
func NewJudge(t *Topology) (*Judge, error) {
	j := &Judge{topo: t}
	seen := map[netip.Prefix]string{}
	for i, s := range t.Subnets {
		if s.ACL == nil {
			return nil, fmt.Errorf("subnet %s: no network ACL", s.ID)
		}
		if len(s.CIDRs) == 0 {
			return nil, fmt.Errorf("subnet %s: no CIDR block", s.ID)
		}
		j.subnets = append(j.subnets, compiledSubnet{id: s.ID, acl: s.ACL, ev: nacl.Compile(s.ACL)})
		for _, p := range s.CIDRs {
			p = p.Masked()
			if other, dup := seen[p]; dup {
				return nil, fmt.Errorf("subnet %s: CIDR %s is also given for subnet %s", s.ID, p, other)
			}
			seen[p] = s.ID
			j.prefixes = append(j.prefixes, prefixRef{p: p, idx: i})
		}
	}
	slices.SortStableFunc(j.prefixes, func(a, b prefixRef) int { return cmp.Compare(b.p.Bits(), a.p.Bits()) })
	j.special = specialAddrs(t)
	return j, nil
}

// Topology returns the topology the judge was built from.
func (j *Judge) Topology() *Topology { return j.topo }

// lookup returns the subnet index and CIDR containing a, or -1.
func (j *Judge) lookup(a netip.Addr) (int, netip.Prefix) {
	for _, pr := range j.prefixes {
		if pr.p.Contains(a) {
			return pr.idx, pr.p
		}
	}
	return -1, netip.Prefix{}
}

// SubnetOf returns the ID and the CIDR of the modelled subnet that holds
// a (the longest matching CIDR), and false when no subnet does.
func (j *Judge) SubnetOf(a netip.Addr) (id string, cidr netip.Prefix, ok bool) {
	i, p := j.lookup(a)
	if i < 0 {
		return "", netip.Prefix{}, false
	}
	return j.subnets[i].id, p, true
}

// Judge returns the judgement for one packet. It does not allocate.
func (j *Judge) Judge(p *nacl.Packet) Judgement {
	var jd Judgement
	j.judgeInto(p, &jd)
	return jd
}

// judgeInto is Judge writing the judgement into *jd (overwritten whole),
// for callers that keep it in a slice: no copy of the large value.
func (j *Judge) judgeInto(p *nacl.Packet, jd *Judgement) {
	*jd = Judgement{}
	if reason := j.exemptReason(p); reason != "" {
		jd.Verdict, jd.Reason = Exempt, reason
		return
	}
	if isLinkScoped(p.Src) || isLinkScoped(p.Dst) {
		jd.Verdict, jd.Reason = NotFiltered, ReasonLinkLocal
		return
	}
	if p.Proto == nacl.ProtoICMPv6 && p.HasICMP && p.ICMPType >= 133 && p.ICMPType <= 137 {
		jd.Verdict, jd.Reason = NotFiltered, ReasonNDP
		return
	}
	si, sp := j.lookup(p.Src)
	di, dp := j.lookup(p.Dst)
	if si < 0 && di < 0 {
		jd.Verdict, jd.Reason = NotFiltered, ReasonNotCrossing
		return
	}
	if si == di {
		jd.Verdict, jd.Reason = NotFiltered, ReasonSameSubnet
		return
	}
	jd.Verdict = Allow
	if si >= 0 {
		j.checkInto(&jd.Checks[jd.NCheck], si, sp, nacl.Egress, p)
		jd.NCheck++
	}
	if di >= 0 {
		j.checkInto(&jd.Checks[jd.NCheck], di, dp, nacl.Ingress, p)
		jd.NCheck++
	}
	for i := 0; i < jd.NCheck; i++ {
		if jd.Checks[i].Action == nacl.Deny {
			jd.Verdict = Deny
		}
	}
}

// checkInto evaluates p against subnet idx's rules of direction dir into *c.
func (j *Judge) checkInto(c *Check, idx int, pfx netip.Prefix, dir nacl.Direction, p *nacl.Packet) {
	s := &j.subnets[idx]
	d := s.ev.Evaluate(dir, p)
	*c = Check{
		ACL: s.acl.ID, Subnet: pfx, SubnetID: s.id, Direction: dir,
		Rule: d.RuleNumber, Action: d.Action, Uncertain: d.Uncertain, Entry: d.Entry, ACLRef: s.acl,
	}
}
