// Package lint checks AWS Network ACLs for rules that never apply, rules
// that change nothing, rules partly overridden by earlier rules, quota
// problems and the classic stateless pitfalls (replies denied, ephemeral
// ranges too narrow for some clients, path MTU discovery blocked).
//
// Each direction and IP family is analysed separately, as AWS evaluates
// them. Every entry is a box in the space protocol x address x destination
// port x ICMP type x ICMP code, and reachability and redundancy are decided
// exactly by box subtraction, not by pairwise comparison. Non-first
// fragments (packets without ports) are outside the model: AWS does not
// document how NACLs treat them.
package lint

import (
	"fmt"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

// DefaultMaxCoverChecks is the default work limit of the smallest hiding
// set search (coverage tests per unreachable rule).
const DefaultMaxCoverChecks = 20000

// DefaultMaxWork is the default work limit of the analysis of one
// direction and IP family, in box operations (boxes compared, intersected
// or cut). Real ACLs (at most 40 rules per direction in AWS) need a few
// thousand; generated lists of 3,000 rules 18 to 45 million (0.2 to 3 s on
// one core), so they are still analysed in full.
// Past it the group is reported as analysis-incomplete, with the findings
// proven before the limit, instead of running for minutes.
const DefaultMaxWork = 50_000_000

// Options tune Lint. The zero value is ready to use.
type Options struct {
	// Profiles are the client ephemeral ranges replies are checked
	// against; nil means ephemeral.Profiles.
	Profiles []ephemeral.Profile
	// MaxCoverChecks caps the exhaustive smallest-hiding-set search per
	// unreachable rule; beyond it a greedy irreducible set is reported.
	// 0 means DefaultMaxCoverChecks.
	MaxCoverChecks int
	// MaxWork caps the box operations spent on one direction and IP
	// family (see DefaultMaxWork); 0 means DefaultMaxWork.
	MaxWork int
}

// Lint analyses acl and returns its findings, sorted by direction, family,
// rule number and code. It never modifies acl.
func Lint(acl *nacl.ACL, opts Options) []Finding {
	if opts.Profiles == nil {
		opts.Profiles = ephemeral.Profiles
	}
	if opts.MaxCoverChecks <= 0 {
		opts.MaxCoverChecks = DefaultMaxCoverChecks
	}
	gs := splitGroups(acl)
	for _, g := range gs {
		g.maxWork = opts.MaxWork
		g.analyze()
	}
	hasV6 := len(gs[groupKey{nacl.Ingress, true}].rules)+len(gs[groupKey{nacl.Egress, true}].rules) > 0
	var out []Finding
	for _, k := range groupOrder() {
		g := gs[k]
		if f, ok := g.quotaFinding(); ok {
			out = append(out, f)
		}
		out = append(out, g.ruleFindings(opts.MaxCoverChecks)...)
		rep := gs[groupKey{1 - g.dir, g.v6}]
		out = append(out, returnPathFindings(g, rep, opts.Profiles, usedNumbers(gs, rep.dir))...)
		if g.dir == nacl.Ingress && (!g.v6 || hasV6) {
			if f, ok := pmtudFinding(g, usedNumbers(gs, g.dir)); ok {
				out = append(out, f)
			}
		}
	}
	out = append(out, crossFamilyDuplicates(acl)...)
	// Last, since the work limit can be reached by any finding above.
	for _, k := range groupOrder() {
		if g := gs[k]; g.err != nil {
			out = append(out, g.incompleteFinding())
		}
	}
	sortFindings(out)
	return out
}

// incompleteFinding says that the analysis of g stopped at a work limit
// and what is still claimed.
func (g *group) incompleteFinding() Finding {
	claimed := "unreachable, redundant, override and return-path findings are not reported for them"
	if g.reached > 0 {
		claimed = fmt.Sprintf("the findings reported for them are proven (reachability was decided for the first %d of %d rules), but further unreachable, redundant, override, path-MTU and return-path findings may be missing", g.reached, len(g.rules))
	}
	return Finding{Severity: nacl.SevInfo, Code: CodeIncomplete, Direction: g.dir, IPv6: g.v6,
		Message: fmt.Sprintf("%s %s rules are too intricate to analyse within the work limit (%v): %s", g.dir, g.family(), g.err, claimed),
		Fix:     "split the ACL or simplify overlapping rules"}
}

// crossFamilyDuplicates reports an IPv4 and an IPv6 entry sharing a rule
// number in one direction (the same family is reported per group, by
// ruleFindings). AWS documents numbers as unique per direction; whether
// it accepts such a pair is UNCONFIRMED, and the message says so.
func crossFamilyDuplicates(acl *nacl.ACL) []Finding {
	type key struct {
		dir nacl.Direction
		num int
	}
	v4 := map[key]bool{}
	for i := range acl.Entries {
		if e := &acl.Entries[i]; !e.IsIPv6() {
			v4[key{e.Direction, e.RuleNumber}] = true
		}
	}
	var out []Finding
	seen := map[key]bool{}
	for i := range acl.Entries {
		e := &acl.Entries[i]
		k := key{e.Direction, e.RuleNumber}
		if !e.IsIPv6() || !v4[k] || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Finding{Severity: nacl.SevError, Code: CodeDuplicateRule, Direction: e.Direction, IPv6: true,
			Rule: e.RuleNumber, Related: []int{e.RuleNumber}, Pos: e.Pos,
			Message: fmt.Sprintf("%s rule number %d is used by an IPv4 and an IPv6 entry; AWS documents rule numbers as unique per direction (UNCONFIRMED whether it accepts an IPv4 and an IPv6 entry with one number)", e.Direction, e.RuleNumber),
			Fix:     "give one of the entries a free rule number"})
	}
	return out
}

// groupOrder lists the groups in report order.
func groupOrder() []groupKey {
	return []groupKey{{nacl.Ingress, false}, {nacl.Ingress, true}, {nacl.Egress, false}, {nacl.Egress, true}}
}

// analyzeACL splits acl into its four groups and analyses each.
func analyzeACL(acl *nacl.ACL) map[groupKey]*group {
	gs := splitGroups(acl)
	for _, g := range gs {
		g.analyze()
	}
	return gs
}
