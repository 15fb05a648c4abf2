package replay

import (
	"fmt"
	"net/netip"

	"github.com/flowverify/flowverify/nacl"
)

// ExplainQuery is one packet to explain against one ACL.
type ExplainQuery struct {
	ACL    *nacl.ACL
	Packet *nacl.Packet
	// Subnets are the CIDRs behind the ACL (see SimpleTopology); without
	// them the packet meets the rules of Direction.
	Subnets []netip.Prefix
	// VPCCIDRs make their base+2 addresses the Amazon DNS resolver.
	VPCCIDRs []netip.Prefix
	// Direction, when HasDirection, keeps only the check of that
	// direction (or, without Subnets, names the rules to judge against).
	Direction    nacl.Direction
	HasDirection bool
	// AllRules traces every rule (nacl.Evaluator.TraceFull), not only
	// those evaluation reached.
	AllRules bool
}

// ExplainCheck is one NACL evaluation the packet meets, rule by rule.
type ExplainCheck struct {
	Direction nacl.Direction
	// Subnet is the subnet the check guards (invalid with a direction alone).
	Subnet netip.Prefix
	// Steps are the rules considered (with several checks, without the
	// other direction's rules: another check lists them).
	Steps    []nacl.Step
	Decision nacl.Decision
	// Uncertain is true when a step passed over a rule because the
	// packet's port or ICMP type is unknown (a non-first fragment).
	Uncertain bool
}

// Explanation is how the VPC would judge one packet: the checks it meets,
// rule by rule, or why it meets none. It is data; cmd/flowverify/render
// prints it.
type Explanation struct {
	// Checks are the checks the packet meets, in order (outbound, then
	// inbound between two subnets); empty when it is not filtered.
	Checks []ExplainCheck
	// Deciding indexes the deciding check: the first that denies, else the last.
	Deciding int
	// ByDirection is true when the checks come from the query's Direction
	// alone (no subnet given).
	ByDirection bool
	// OneOfTwo is true when the packet meets two checks and the query's
	// Direction kept one.
	OneOfTwo bool
	// Between is true when the packet goes from one given subnet to
	// another (outbound, then inbound check).
	Between bool
	// When Checks is empty: Verdict (Exempt or NotFiltered) and Reason
	// (ReasonSameSubnet, ReasonNotCrossing, an exemption reason) say why;
	// for ReasonSameSubnet, Subnet is the subnet holding both ends.
	Verdict Verdict
	Reason  string
	Subnet  netip.Prefix
	// Subnets are the modelled subnets' CIDRs; SeveralSubnets is true
	// when more than one subnet is modelled.
	Subnets        []netip.Prefix
	SeveralSubnets bool
	// Uncertain is true when a check is uncertain.
	Uncertain bool
}

// DirectionError says the query's Direction is not a check the packet
// meets: it meets Got for the given subnet.
type DirectionError struct{ Want, Got nacl.Direction }

// Error describes the mismatch.
func (e *DirectionError) Error() string {
	return fmt.Sprintf("direction %s contradicts the subnets: the packet is %s for that subnet", e.Want, e.Got)
}

// SubnetError says the subnets cannot be modelled (NewJudge refused them).
type SubnetError struct{ Err error }

// Error returns the cause's message.
func (e *SubnetError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *SubnetError) Unwrap() error { return e.Err }

// Explain decides which checks judge the packet, the way check does
// (Judge): from a subnet to outside the subnet's outbound rules, from
// outside into a subnet its inbound rules, from one given subnet to
// another both (outbound, then inbound, even though one NACL guards both).
// Traffic inside one subnet, traffic crossing no given subnet and traffic
// AWS never filters meet no check. Without subnets the packet meets the
// query's Direction rules unless AWS never filters it. Each check is
// traced rule by rule.
func Explain(q ExplainQuery) (*Explanation, error) {
	topo := &Topology{VPCCIDRs: q.VPCCIDRs}
	if len(q.Subnets) > 0 {
		t, err := SimpleTopology(q.ACL, q.Subnets, q.VPCCIDRs)
		if err != nil {
			return nil, err
		}
		topo = t
	}
	j, err := NewJudge(topo)
	if err != nil {
		return nil, &SubnetError{Err: err}
	}
	x := &Explanation{Subnets: topo.CIDRs(), SeveralSubnets: len(topo.Subnets) > 1}
	p := q.Packet
	jd := j.Judge(p)
	var checks []ExplainCheck
	switch {
	case jd.Verdict == Exempt || (len(q.Subnets) > 0 && jd.Verdict == NotFiltered):
		// Without subnets only exemptions hold: every other packet meets
		// the rules of the direction given.
		x.Verdict, x.Reason = jd.Verdict, jd.Reason
		if jd.Reason == ReasonSameSubnet {
			_, x.Subnet, _ = j.SubnetOf(p.Src)
		}
		return x, nil
	case len(q.Subnets) == 0:
		x.ByDirection = true
		checks = []ExplainCheck{{Direction: q.Direction}}
	default:
		for i := 0; i < jd.NCheck; i++ {
			c := &jd.Checks[i]
			checks = append(checks, ExplainCheck{Direction: c.Direction, Subnet: c.Subnet})
		}
		x.Between = len(checks) > 1
		if q.HasDirection {
			var kept []ExplainCheck
			for _, c := range checks {
				if c.Direction == q.Direction {
					kept = append(kept, c)
				}
			}
			if len(kept) == 0 {
				return nil, &DirectionError{Want: q.Direction, Got: checks[0].Direction}
			}
			x.OneOfTwo = len(kept) < len(checks)
			checks = kept
		}
	}
	ev := nacl.Compile(q.ACL)
	x.Deciding = -1
	for i := range checks {
		c := &checks[i]
		steps := ev.Trace(c.Direction, p)
		if q.AllRules {
			steps = ev.TraceFull(c.Direction, p)
		}
		for _, st := range steps {
			if len(checks) > 1 && st.Miss == nacl.MissDirection {
				continue
			}
			c.Steps = append(c.Steps, st)
			c.Uncertain = c.Uncertain || st.Uncertain
		}
		c.Decision = ev.Evaluate(c.Direction, p)
		x.Uncertain = x.Uncertain || c.Uncertain
		if x.Deciding < 0 && c.Decision.Action == nacl.Deny {
			x.Deciding = i
		}
	}
	if x.Deciding < 0 {
		x.Deciding = len(checks) - 1
	}
	x.Checks = checks
	return x, nil
}
