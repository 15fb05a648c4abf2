package lint

import (
	"cmp"
	"slices"

	"github.com/flowverify/flowverify/nacl"
)

// grule is one entry of a group, as a box.
type grule struct {
	num    int
	idx    int // index in ACL.Entries
	action nacl.Action
	entry  *nacl.Entry
	box    box
	ok     bool   // false when the entry matches nothing
	why    string // why it matches nothing
}

// group is the entries of one direction and IP family, in evaluation order,
// with the results of the reachability analysis.
type group struct {
	dir   nacl.Direction
	v6    bool
	rules []grule
	// reach[i] is the part of rule i's box that no earlier rule takes:
	// the packets rule i decides. Empty for empty-match and hidden rules.
	reach [][]box
	// hidden[i] is true when rule i is unreachable (box ok, reach empty).
	hidden []bool
	// removable[i] is true for rules whose removal, together with every
	// other removable rule, changes no verdict: empty, hidden, redundant.
	removable []bool
	// redundantBy[i] lists the rules (indexes, -1 = default) that decide
	// rule i's packets once it and the earlier removable rules are gone.
	redundantBy [][]int
	// alone[i] is true when redundant rule i could also be removed on its
	// own (with only the empty and hidden rules gone).
	alone []bool
	err   error
	// reached is how many leading rules have their reach (and so hidden)
	// computed: those unreachable findings are proven even when err is set.
	reached int
	// work counts box operations (boxes compared, intersected or cut);
	// maxWork bounds it (0: DefaultMaxWork).
	work, maxWork int
}

// spend charges n box operations to the group's work budget and returns
// errWorkLimit, also recorded in g.err, when it would be exceeded: every loop
// of the analysis over rules or pieces calls it, so the whole analysis
// of a group costs at most about maxWork operations, whatever the input.
func (g *group) spend(n int) error {
	if g.err == errWorkLimit {
		return errWorkLimit
	}
	limit := g.maxWork
	if limit <= 0 {
		limit = DefaultMaxWork
	}
	if g.work+n > limit {
		if g.err == nil {
			g.err = errWorkLimit
		}
		return errWorkLimit
	}
	g.work += n
	return nil
}

// defaultRule returns the number of the group's implicit default deny.
func (g *group) defaultRule() int {
	if g.v6 {
		return nacl.DefaultRuleIPv6
	}
	return nacl.DefaultRuleIPv4
}

// ruleNum returns the number of rule index i (-1 = the default rule).
func (g *group) ruleNum(i int) int {
	if i < 0 {
		return g.defaultRule()
	}
	return g.rules[i].num
}

// ruleAction returns the action of rule index i (-1 = the default deny).
func (g *group) ruleAction(i int) nacl.Action {
	if i < 0 {
		return nacl.Deny
	}
	return g.rules[i].action
}

// family returns "IPv4" or "IPv6".
func (g *group) family() string { return familyName(g.v6) }

// familyName returns "IPv4" or "IPv6".
func familyName(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// groupKey identifies a group.
type groupKey struct {
	dir nacl.Direction
	v6  bool
}

// splitGroups builds the four groups of acl (inbound/outbound x IPv4/IPv6),
// entries sorted by rule number (ties by position, as read).
func splitGroups(acl *nacl.ACL) map[groupKey]*group {
	gs := map[groupKey]*group{}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		for _, v6 := range []bool{false, true} {
			gs[groupKey{dir, v6}] = &group{dir: dir, v6: v6}
		}
	}
	for i := range acl.Entries {
		e := &acl.Entries[i]
		g := gs[groupKey{e.Direction & 1, e.IsIPv6()}] // as the evaluator does
		b, why, ok := entryBox(e)
		g.rules = append(g.rules, grule{num: e.RuleNumber, idx: i, action: e.Action, entry: e, box: b, ok: ok, why: why})
	}
	for _, g := range gs {
		slices.SortStableFunc(g.rules, func(a, b grule) int { return cmp.Compare(a.num, b.num) })
	}
	return gs
}

// share is the part of a set of packets that one rule decides.
type share struct {
	rule   int // index in group.rules, -1 for the default rule
	pieces []box
}

// decide splits target (disjoint boxes) by the rule that decides each
// packet, walking the rules from index from on and skipping rules marked
// in skip (nil: skip none) and empty rules. Shares are in rule order; the
// default rule's share, if any, is last.
func (g *group) decide(target []box, from int, skip []bool) ([]share, error) {
	var out []share
	rest := target
	for i := from; i < len(g.rules) && len(rest) > 0; i++ {
		r := &g.rules[i]
		if !r.ok || (skip != nil && skip[i]) {
			continue
		}
		if err := g.spend(1 + 2*len(rest)); err != nil {
			return nil, err
		}
		if part := intersectSet(rest, &r.box); len(part) > 0 {
			out = append(out, share{rule: i, pieces: part})
			var err error
			if rest, err = minusBox(rest, &r.box); err != nil {
				return nil, err
			}
		}
	}
	if len(rest) > 0 {
		out = append(out, share{rule: -1, pieces: rest})
	}
	return out, nil
}

// reachOf returns the part of rule i's box that no earlier rule (not
// marked in skip) takes.
func (g *group) reachOf(i int, skip []bool) ([]box, error) {
	r := &g.rules[i]
	if err := g.spend(1 + i); err != nil {
		return nil, err
	}
	rest := []box{r.box}
	for j := 0; j < i && len(rest) > 0; j++ {
		if g.rules[j].ok && (skip == nil || !skip[j]) && g.rules[j].box.intersects(&r.box) {
			if err := g.spend(len(rest)); err != nil {
				return nil, err
			}
			var err error
			if rest, err = minusBox(rest, &g.rules[j].box); err != nil {
				return nil, err
			}
		}
	}
	return rest, nil
}

// analyze fills reach, hidden, removable and redundantBy. On errTooComplex
// it sets g.err and leaves the rest partially filled.
func (g *group) analyze() {
	n := len(g.rules)
	g.reach = make([][]box, n)
	g.hidden = make([]bool, n)
	g.removable = make([]bool, n)
	g.redundantBy = make([][]int, n)
	g.alone = make([]bool, n)
	for i := range g.rules {
		if !g.rules[i].ok {
			g.removable[i] = true
			continue
		}
		reach, err := g.reachOf(i, nil)
		if err != nil {
			g.err = err
			return
		}
		g.reach[i] = reach
		if len(reach) == 0 {
			g.hidden[i] = true
			g.removable[i] = true
		}
		g.reached = i + 1
	}
	g.reached = n
	// Redundancy, cumulatively: a rule is redundant when, with the rules
	// already found removable gone, the packets it decides would be
	// decided the same way by the rules after it (or the default rule).
	// Removing one rule can make an earlier one redundant, so repeat the
	// pass until nothing changes; every rule left then matters.
	dead := slices.Clone(g.removable)
	for changed := true; changed; {
		changed = false
		for i := range g.rules {
			if g.removable[i] {
				continue
			}
			by, err := g.redundantVia(i, g.removable)
			if err != nil {
				g.err = err
				return
			}
			if by != nil {
				alone, err := g.redundantVia(i, dead)
				if err != nil {
					g.err = err
					return
				}
				g.alone[i] = alone != nil
				g.removable[i] = true
				g.redundantBy[i] = by
				changed = true
			}
		}
	}
}

// redundantVia returns the rules (indexes, -1 = default) that would decide
// rule i's packets the same way if it and the rules marked in skip were gone,
// or nil when some packet would get another verdict.
func (g *group) redundantVia(i int, skip []bool) ([]int, error) {
	reach, err := g.reachOf(i, skip)
	if err != nil {
		return nil, err
	}
	shares, err := g.decide(reach, i+1, skip)
	if err != nil {
		return nil, err
	}
	var by []int
	for _, s := range shares {
		if g.ruleAction(s.rule) != g.rules[i].action {
			return nil, nil
		}
		by = append(by, s.rule)
	}
	return by, nil
}
