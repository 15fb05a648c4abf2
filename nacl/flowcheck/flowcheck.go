// Package flowcheck judges VPC Flow Log records against network ACLs: for
// each record the NACL verdict with the deciding ACL and rule, and, against
// the action the record logged, an attribution: a REJECT the NACL explains
// (nacl, with the rule), a REJECT it does not (not-nacl: a security group
// or another control), or an ACCEPT the ACL would deny (only possible with
// a different ACL than the one in force: the what-if of diff). It also
// counts hits per rule (records, packets, bytes, first and last seen).
//
// A record is logged at one network interface, so the NACL check that
// decided its fate is the one of that interface's subnet in the record's
// direction: outbound for a record the interface sent, inbound for one it
// received. Placement (which subnet the interface is in) comes from the
// record's subnet-id (version 3+), from describe-network-interfaces
// output, or from the addresses (simple mode, --subnet). The package
// returns data only.
package flowcheck

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Attribution says what the NACL has to do with a record's logged action.
type Attribution string

// Attributions.
const (
	// AttrNone: an ACCEPT the NACL allows or does not filter.
	AttrNone Attribution = ""
	// AttrNACL: a REJECT the NACL explains (Result.Deciding names the rule).
	AttrNACL Attribution = "nacl"
	// AttrNotNACL: a REJECT the NACL does not explain: it allows the
	// packet, or never filters it (same subnet, Amazon DNS, ...), so a
	// security group, VPC Block Public Access, encryption controls or a
	// packet after the connection closed rejected it.
	AttrNotNACL Attribution = "not-nacl"
	// AttrAcceptWouldDeny: an ACCEPT the ACL would deny: the ACL judged is
	// not the one that was in force (a what-if), or the placement is wrong.
	AttrAcceptWouldDeny Attribution = "accept-would-deny"
)

// Placement says how the logging interface's subnet was found.
type Placement string

// Placements.
const (
	// PlacedBySubnetID: the record's subnet-id field names a modelled subnet.
	PlacedBySubnetID Placement = "subnet-id"
	// PlacedByInterfaces: describe-network-interfaces names the interface's subnet.
	PlacedByInterfaces Placement = "interfaces"
	// PlacedByAddress: the interface's address (dstaddr for ingress,
	// srcaddr for egress, or the only address inside a modelled subnet)
	// lies in a modelled subnet.
	PlacedByAddress Placement = "address"
	// PlacedUnknown: the interface's side could not be told (both ends in
	// modelled subnets and no flow-direction, subnet-id or interface
	// file): every check the packet meets is considered, and the result
	// is marked uncertain.
	PlacedUnknown Placement = "unknown"
	// PlacedOutside: the interface is not in any modelled subnet, or the
	// packet is not filtered at all.
	PlacedOutside Placement = "outside"
)

// Result is the judgement of one record.
type Result struct {
	// Packet is what the NACL looks at: pkt-srcaddr/pkt-dstaddr when
	// logged (the real packet addresses, e.g. through a NAT gateway),
	// else srcaddr/dstaddr; ports for TCP and UDP; ICMP type and code are
	// never logged, so rules naming an ICMP type do not match and the
	// verdict is uncertain when one was passed over.
	Packet nacl.Packet
	// Judgement holds every check the packet meets on its way (source
	// subnet outbound, destination subnet inbound), as for captures.
	Judgement replay.Judgement
	// Local is the index in Judgement.Checks of the check at the logging
	// interface, -1 when unknown or when no check applies.
	Local     int
	Placement Placement
	// Deciding is the index of the check behind Verdict and Attribution
	// (the local check, else the first denying one, else -1).
	Deciding int
	// Verdict is the NACL's verdict at the logging interface: allow,
	// deny, exempt or not-filtered.
	Verdict     replay.Verdict
	Attribution Attribution
	// Uncertain: the placement is unknown, the interface is outside the
	// modelled subnets although the packet crosses one (its own subnet's
	// NACL is not known), or an evaluation passed over a rule naming an
	// ICMP type (flow logs do not carry it).
	Uncertain bool
}

// Check returns the deciding check, or nil.
func (r *Result) Check() *replay.Check {
	if r.Deciding < 0 {
		return nil
	}
	return &r.Judgement.Checks[r.Deciding]
}

// HitKey identifies one rule of one ACL.
type HitKey struct {
	ACL       string
	Direction nacl.Direction
	// Rule is the rule number (32767/32768 for the default rules).
	Rule int
}

// hitKey is HitKey with the ACL by identity.
type hitKey struct {
	acl  *nacl.ACL
	dir  nacl.Direction
	rule int
}

// Hit counts the records a rule decided (at the logging interface).
type Hit struct {
	HitKey
	Action          nacl.Action
	Records         int64
	Packets, Bytes  int64
	Accepted        int64 // records logged ACCEPT
	Rejected        int64 // records logged REJECT
	First, Last     int64 // earliest start, latest end (Unix seconds)
	AttributedNACL  int64 // REJECT records attributed to this rule
	AcceptWouldDeny int64
}

// Totals counts records by verdict and attribution.
type Totals struct {
	Records                          int64
	Allow, Deny, Exempt, NotFiltered int64
	NACL, NotNACL, AcceptWouldDeny   int64
	Uncertain                        int64
	ByPlacement                      map[Placement]int64
	RejectedNotNACLExempt            int64 // not-nacl REJECTs of traffic NACLs never filter
}

// Checker judges records. It is not safe for concurrent use (it counts hits).
type Checker struct {
	j       *replay.Judge
	subnets map[string]bool
	ifaces  map[string]*replay.InterfaceInfo
	// hits is keyed by the ACL's identity (hashing a pointer, not the ID
	// string, on every record).
	hits   map[hitKey]*Hit
	totals Totals
}

// New returns a Checker for the judge's topology. ifaces (from
// describe-network-interfaces, may be nil) place interfaces whose records
// lack subnet-id.
func New(j *replay.Judge, ifaces []replay.InterfaceInfo) *Checker {
	c := &Checker{j: j, subnets: map[string]bool{}, ifaces: map[string]*replay.InterfaceInfo{}, hits: map[hitKey]*Hit{},
		totals: Totals{ByPlacement: map[Placement]int64{}}}
	for _, s := range j.Topology().Subnets {
		c.subnets[s.ID] = true
	}
	for i := range ifaces {
		c.ifaces[ifaces[i].ID] = &ifaces[i]
	}
	return c
}

// PacketOf returns the packet a NACL sees for r.
func PacketOf(r *flowlog.Record) nacl.Packet {
	p := nacl.Packet{Src: r.Src, Dst: r.Dst, Proto: r.Proto}
	if r.PktSrc.IsValid() && r.PktDst.IsValid() && r.PktSrc.Is4() == r.PktDst.Is4() {
		p.Src, p.Dst = r.PktSrc, r.PktDst
	}
	if r.HasPorts() {
		p.DstPort, p.HasPort = r.DstPort, true
	}
	return p
}

// Check judges one record and counts it.
func (c *Checker) Check(r *flowlog.Record) Result {
	res := Result{Packet: PacketOf(r), Local: -1, Deciding: -1}
	res.Judgement = c.j.Judge(&res.Packet)
	jd := &res.Judgement
	res.Verdict = jd.Verdict
	if jd.NCheck == 0 {
		res.Placement = PlacedOutside
	} else {
		res.Local, res.Placement = c.locate(r, jd)
		switch {
		case res.Local >= 0:
			res.Deciding = res.Local
			res.Verdict = replay.Allow
			if jd.Checks[res.Local].Action == nacl.Deny {
				res.Verdict = replay.Deny
			}
		case res.Placement == PlacedUnknown:
			res.Uncertain = true
			for i := 0; i < jd.NCheck; i++ {
				if jd.Checks[i].Action == nacl.Deny {
					res.Deciding = i
					break
				}
			}
			if res.Deciding < 0 {
				res.Deciding = 0
			}
		default: // interface outside the checks the packet meets
			// No modelled NACL applies where the record was logged; the
			// interface's own subnet (not modelled) may have one.
			res.Verdict = replay.NotFiltered
			res.Uncertain = true
		}
	}
	if d := res.Check(); d != nil && d.Uncertain {
		res.Uncertain = true
	}
	switch {
	case r.Action == flowlog.ActionReject && res.Verdict == replay.Deny:
		res.Attribution = AttrNACL
	case r.Action == flowlog.ActionReject:
		res.Attribution = AttrNotNACL
	case r.Action == flowlog.ActionAccept && res.Verdict == replay.Deny:
		res.Attribution = AttrAcceptWouldDeny
	}
	c.count(r, &res)
	return res
}

// locate finds the check at the logging interface.
func (c *Checker) locate(r *flowlog.Record, jd *replay.Judgement) (int, Placement) {
	bySubnet := func(id string) int {
		for i := 0; i < jd.NCheck; i++ {
			if jd.Checks[i].SubnetID == id {
				return i
			}
		}
		return -1
	}
	if r.SubnetID != "" && c.subnets[r.SubnetID] {
		if i := bySubnet(r.SubnetID); i >= 0 {
			return i, PlacedBySubnetID
		}
		return -1, PlacedOutside
	}
	if in := c.ifaces[r.InterfaceID]; in != nil && c.subnets[in.SubnetID] {
		if i := bySubnet(in.SubnetID); i >= 0 {
			return i, PlacedByInterfaces
		}
		return -1, PlacedOutside
	}
	var eni netip.Addr
	switch r.Direction {
	case flowlog.DirIngress:
		eni = r.Dst
	case flowlog.DirEgress:
		eni = r.Src
	}
	if eni.IsValid() {
		// The check of the interface's subnet (by its logged address) in
		// the record's direction.
		if id, _, ok := c.j.SubnetOf(eni); ok {
			want := nacl.Ingress
			if r.Direction == flowlog.DirEgress {
				want = nacl.Egress
			}
			for i := 0; i < jd.NCheck; i++ {
				if ch := &jd.Checks[i]; ch.Direction == want && ch.SubnetID == id {
					return i, PlacedByAddress
				}
			}
		}
		return -1, PlacedOutside
	}
	if jd.NCheck == 1 {
		return 0, PlacedByAddress
	}
	return -1, PlacedUnknown
}

func (c *Checker) count(r *flowlog.Record, res *Result) {
	t := &c.totals
	t.Records++
	t.ByPlacement[res.Placement]++
	switch res.Verdict {
	case replay.Allow:
		t.Allow++
	case replay.Deny:
		t.Deny++
	case replay.Exempt:
		t.Exempt++
	default:
		t.NotFiltered++
	}
	switch res.Attribution {
	case AttrNACL:
		t.NACL++
	case AttrNotNACL:
		t.NotNACL++
		if res.Verdict == replay.Exempt {
			t.RejectedNotNACLExempt++
		}
	case AttrAcceptWouldDeny:
		t.AcceptWouldDeny++
	}
	if res.Uncertain {
		t.Uncertain++
	}
	ch := res.Check()
	if ch == nil {
		return
	}
	k := hitKey{acl: ch.ACLRef, dir: ch.Direction, rule: ch.Rule}
	h := c.hits[k]
	if h == nil {
		h = &Hit{HitKey: HitKey{ACL: ch.ACL, Direction: ch.Direction, Rule: ch.Rule}, Action: ch.Action, First: r.Start, Last: r.End}
		c.hits[k] = h
	}
	h.Records++
	h.Packets += r.Packets
	h.Bytes += r.Bytes
	h.First = min(h.First, r.Start)
	h.Last = max(h.Last, r.End)
	switch r.Action {
	case flowlog.ActionAccept:
		h.Accepted++
	case flowlog.ActionReject:
		h.Rejected++
	}
	switch res.Attribution {
	case AttrNACL:
		h.AttributedNACL++
	case AttrAcceptWouldDeny:
		h.AcceptWouldDeny++
	}
}

// Hits returns the per-rule counts, ordered by ACL, direction (inbound
// first) and rule number.
func (c *Checker) Hits() []Hit {
	out := make([]Hit, 0, len(c.hits))
	for _, h := range c.hits {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(a.ACL, b.ACL), cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}

// Totals returns the counts by verdict, attribution and placement.
func (c *Checker) Totals() Totals {
	t := c.totals
	t.ByPlacement = make(map[Placement]int64, len(c.totals.ByPlacement))
	for k, v := range c.totals.ByPlacement {
		t.ByPlacement[k] = v
	}
	return t
}
