package lint

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl"
)

// ruleFindings reports empty, duplicate, unreachable, redundant and partly
// overridden rules of one analysed group.
func (g *group) ruleFindings(maxChecks int) []Finding {
	var out []Finding
	add := func(sev nacl.Severity, code Code, i int, related []int, msg, fix string) {
		out = append(out, Finding{Severity: sev, Code: code, Direction: g.dir, IPv6: g.v6,
			Rule: g.rules[i].num, Related: related, Message: msg, Fix: fix, Pos: g.rules[i].entry.Pos})
	}
	for i := range g.rules {
		r := &g.rules[i]
		if i > 0 && g.rules[i-1].num == r.num {
			add(nacl.SevError, CodeDuplicateRule, i, []int{r.num},
				fmt.Sprintf("%s %s rule number %d is used twice; AWS allows each number once per direction, and which entry applies first is undefined",
					g.dir, g.family(), r.num),
				"give one of the entries a free rule number")
		}
		if !r.ok {
			add(nacl.SevError, CodeEmptyMatch, i, nil,
				fmt.Sprintf("%s rule %d (%s) matches no packet: %s", g.dir, r.num, entryText(r.entry), r.why),
				fmt.Sprintf("correct or delete %s rule %d", g.dir, r.num))
			continue
		}
		// Only ACLs built in code get here with these fields set: the
		// file readers reset them (Entry.Normalize), and nacl.Validate,
		// which aclfile.Read runs, warns about every such entry.
		if e := r.entry; e.Protocol == nacl.ProtoICMPv6 && !g.v6 && (e.ICMPType >= 0 || e.ICMPCode >= 0) {
			add(nacl.SevInfo, CodeIgnoredICMP, i, nil,
				fmt.Sprintf("%s rule %d gives an ICMP type/code for protocol 58 (ICMPv6) with an IPv4 CIDR: AWS ignores them and matches every type; IPv4 entries only ever see IPv4 packets, so this rule only matches IPv4 packets carrying protocol 58, never ICMPv6, which travels over IPv6", g.dir, r.num),
				"use protocol icmp (1) for IPv4, or an IPv6 CIDR for ICMPv6")
		}
	}
	if g.err != nil {
		// The analysis stopped at its work limit: the rules before
		// g.reached have their reach computed, so those found hidden are
		// proven unreachable; nothing else is claimed.
		for i := range g.reached {
			if g.rules[i].ok && g.hidden[i] {
				out = append(out, g.unreachableFinding(i, maxChecks))
			}
		}
		return out
	}
	for i := range g.rules {
		r := &g.rules[i]
		switch {
		case !r.ok:
		case g.hidden[i]:
			out = append(out, g.unreachableFinding(i, maxChecks))
		case g.redundantBy[i] != nil:
			out = append(out, g.redundantFinding(i))
		}
		// A rule that can go anyway (redundant) needs no override note.
		if r.ok && !g.removable[i] {
			if f, ok := g.overrideFinding(i); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// unreachableFinding reports hidden rule i with the smallest hiding set.
func (g *group) unreachableFinding(i int, maxChecks int) Finding {
	r := &g.rules[i]
	f := Finding{Code: CodeUnreachable, Direction: g.dir, IPv6: g.v6, Rule: r.num, Pos: r.entry.Pos, Severity: nacl.SevWarning}
	var cov coverResult
	var err error
	if g.err == nil {
		cov, err = g.minCover(i, maxChecks)
	}
	if g.err != nil || err != nil || len(cov.rules) == 0 {
		f.Message = fmt.Sprintf("%s rule %d (%s) never applies: earlier rules take every packet it matches (the hiding set was too complex to compute)",
			g.dir, r.num, entryText(r.entry))
		f.Fix = fmt.Sprintf("delete %s rule %d, or renumber it below the rules that should not take precedence", g.dir, r.num)
		return f
	}
	nums := make([]int, len(cov.rules))
	conflict := false
	for k, j := range cov.rules {
		nums[k] = g.rules[j].num
		if g.rules[j].action != r.action {
			conflict = true
		}
	}
	f.Related = nums
	if conflict {
		f.Severity = nacl.SevError
	}
	// One hider: say what it does. Several: they take the packets
	// together, and may not all agree with the hidden rule.
	who := fmt.Sprintf("rule %d %s every packet it matches", nums[0], verb(g.rules[cov.rules[0]].action))
	if len(nums) > 1 {
		who = "rules " + ruleList(nums) + " together take every packet it matches"
		if cov.exact {
			who += " (no smaller set of earlier rules does)"
		} else {
			who += " (search limit reached: no rule of this set can be dropped, but a smaller set may exist)"
		}
		if conflict {
			who += fmt.Sprintf(", and not all of them %s", r.action)
		}
	}
	f.Message = fmt.Sprintf("%s rule %d (%s) never applies: %s", g.dir, r.num, entryText(r.entry), who)
	f.Fix = fmt.Sprintf("delete %s rule %d, or renumber it below %d if it should take precedence", g.dir, r.num, nums[0])
	return f
}

// redundantFinding reports rule i whose packets later rules decide alike.
func (g *group) redundantFinding(i int) Finding {
	r := &g.rules[i]
	nums := make([]int, len(g.redundantBy[i]))
	for k, j := range g.redundantBy[i] {
		nums[k] = g.ruleNum(j)
	}
	word := "rule"
	if len(nums) > 1 {
		word = "rules"
	}
	by := fmt.Sprintf("%s %s would %s them too", word, ruleList(nums), r.action)
	if len(nums) == 1 && g.redundantBy[i][0] < 0 {
		by = "the default rule * would deny them too"
	}
	when := "removing it"
	if !g.alone[i] {
		when = "once the other rules reported redundant are deleted, removing it"
	}
	return Finding{Severity: nacl.SevInfo, Code: CodeRedundant, Direction: g.dir, IPv6: g.v6, Rule: r.num, Related: nums, Pos: r.entry.Pos,
		Message: fmt.Sprintf("%s rule %d (%s) is redundant: %s changes no verdict, %s", g.dir, r.num, entryText(r.entry), when, by),
		Fix: fmt.Sprintf("delete %s rule %d to free a quota slot (all rules reported unreachable or redundant can be deleted together)",
			g.dir, r.num),
	}
}

// overrideFinding reports earlier rules of the opposite action that take
// part (not all) of rule i's packets.
func (g *group) overrideFinding(i int) (Finding, bool) {
	r := &g.rules[i]
	var nums []int
	var parts []string
	if g.spend(1+i) != nil {
		return Finding{}, false // reported as analysis-incomplete
	}
	for j := 0; j < i; j++ {
		o := &g.rules[j]
		if !o.ok || g.hidden[j] || o.action == r.action {
			continue
		}
		if g.spend(len(g.reach[j])) != nil {
			return Finding{}, false
		}
		inter, ok := o.box.intersect(&r.box)
		if !ok {
			continue
		}
		taken := intersectSet(g.reach[j], &r.box)
		if len(taken) == 0 {
			continue
		}
		what := describeBox(&inter, g.dir, g.v6)
		if len(taken) == 1 {
			what = describeBox(&taken[0], g.dir, g.v6)
		}
		nums = append(nums, o.num)
		parts = append(parts, fmt.Sprintf("rule %d %s %s", o.num, verb(o.action), what))
	}
	if len(nums) == 0 {
		return Finding{}, false
	}
	f := Finding{Code: CodePartial, Direction: g.dir, IPv6: g.v6, Rule: r.num, Related: nums, Pos: r.entry.Pos}
	f.Message = fmt.Sprintf("%s rule %d (%s) is partly overridden by earlier rules of the opposite action: %s",
		g.dir, r.num, entryText(r.entry), joinSemi(parts))
	if r.action == nacl.Deny {
		f.Severity = nacl.SevWarning
		f.Fix = fmt.Sprintf("if the deny must win, renumber %s rule %d below rule %d (deny rules go before the allow rules they carve from)", g.dir, r.num, nums[0])
	} else {
		f.Severity = nacl.SevInfo
		f.Fix = fmt.Sprintf("nothing if rule %s is an intended exception (deny before a broader allow); otherwise narrow it or renumber rule %d below it", ruleList(nums), r.num)
	}
	return f, true
}

// joinSemi joins parts with "; ".
func joinSemi(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "; "
		}
		s += p
	}
	return s
}

// verb returns "allows" or "denies".
func verb(a nacl.Action) string {
	if a == nacl.Allow {
		return "allows"
	}
	return "denies"
}
