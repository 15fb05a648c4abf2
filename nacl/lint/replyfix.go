package lint

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"go4.org/netipx"
)

// replyPlan is how to let through every reply a service's clients are
// denied now. Every change it suggests only widens an allow rule or adds
// one, so the verdict of no packet goes from allow to deny, and together
// the changes allow every reply to every client on the ports lo..hi: once
// applied, the narrow-ephemeral finding is gone.
type replyPlan struct {
	// short are the reply rules whose ports fall short for clients in
	// their CIDR, in rule order.
	short []shortRule
	// gap is the clients denied replies that no reply rule's CIDR
	// holds (an address gap).
	gap []interval
	// blocked is the denied replies inside some reply rule's CIDR that
	// a deny rule takes before it.
	blocked []share
	// noReply is true when no rule counts as a reply rule.
	noReply bool
	// clauses are the fix, one per change; a clause offering
	// alternatives joins them with ", or ".
	clauses []string
}

// shortRule is a reply rule whose port range misses some client ports.
type shortRule struct {
	idx     int        // index in group.rules
	missing []interval // the denied ports it would allow once widened
	addrs   []interval // the clients concerned
}

// planReplies works out which changes let every reply to clients on ports
// lo..hi of protocol proto through: denied are the deny shares of those
// replies now, allowRules and volumes the allowing rules and how much
// each allows (as judge returns them). Reply rules are the allowing rules
// of the protocol whose range is not a service range; a denied reply goes
// to the preferred reply rule (widest first) that holds its client and
// comes before the rule denying it: widening that rule's ports to lo..hi
// lets it through. Replies no reply rule can take get a new rule, numbered
// below every deny rule that takes them, or (as an alternative) a reply
// rule ahead of those deny rules gets a CIDR that holds them, when that
// CIDR stays within the clients.
func (rep *group) planReplies(proto int, clients []interval, lo, hi uint16, denied []share, allowRules []int, volumes []float64, used map[int]bool) replyPlan {
	type piece struct {
		b    box
		rule int // deciding rule index, -1 = default
	}
	var rest []piece
	for _, s := range denied {
		for _, b := range s.pieces {
			rest = append(rest, piece{b, s.rule})
		}
	}
	// Reply rules, widest first (then in rule order).
	type cand struct {
		idx int
		vol float64
	}
	var cands []cand
	for k, i := range allowRules {
		if e := rep.rules[i].entry; e.Protocol == proto && !isServiceRange(e.Ports) {
			cands = append(cands, cand{i, volumes[k]})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Or(cmp.Compare(b.vol, a.vol), cmp.Compare(a.idx, b.idx)) })
	var plan replyPlan
	plan.noReply = len(cands) == 0
	addrBox := func(i int) box {
		b := fullBox(rep.v6)
		b[dimAddr] = rep.rules[i].box[dimAddr]
		return b
	}
	for _, c := range cands {
		cb := addrBox(c.idx)
		var fixed []box
		var kept []piece
		for _, p := range rest {
			in, ok := p.b.intersect(&cb)
			if !ok || (p.rule >= 0 && p.rule < c.idx) {
				kept = append(kept, p)
				continue
			}
			fixed = append(fixed, in)
			for _, o := range subtract(nil, &p.b, &cb) {
				kept = append(kept, piece{o, p.rule})
			}
		}
		rest = kept
		if len(fixed) > 0 {
			plan.short = append(plan.short, shortRule{idx: c.idx, missing: unionIntervals(fixed, dimPort), addrs: rep.addrUnion(fixed)})
		}
	}
	slices.SortFunc(plan.short, func(a, b shortRule) int { return cmp.Compare(a.idx, b.idx) })
	L := nacl.PortRange{From: lo, To: hi}
	widened := map[int]nacl.Entry{} // reply rules as the fix leaves them
	for _, s := range plan.short {
		e := *rep.rules[s.idx].entry
		e.CIDR = e.CIDR.Masked()
		e.Ports = nacl.PortRange{From: min(e.Ports.From, lo), To: max(e.Ports.To, hi)}
		widened[s.idx] = e
		plan.clauses = append(plan.clauses, fmt.Sprintf("widen %s rule %d to ports %s: `%s`", rep.dir, e.RuleNumber, e.Ports, entryText(&e)))
	}
	if len(rest) == 0 {
		return plan
	}
	// What is left: clients outside every reply rule's CIDR (the address
	// gap), and replies a deny rule takes before the reply rules.
	limit := nacl.MaxRuleNumber + 1
	var restBoxes, gapBoxes []box
	blocked := map[int][]box{}
	for _, p := range rest {
		restBoxes = append(restBoxes, p.b)
		if p.rule >= 0 {
			limit = min(limit, rep.rules[p.rule].num)
		}
		out := []box{p.b}
		for _, c := range cands {
			cb := addrBox(c.idx)
			out, _ = minusBox(out, &cb)
		}
		gapBoxes = append(gapBoxes, out...)
		if in, _ := minusAll([]box{p.b}, out); len(in) > 0 {
			blocked[p.rule] = append(blocked[p.rule], in...)
		}
	}
	plan.gap = rep.addrUnion(gapBoxes)
	for _, i := range slices.Sorted(maps.Keys(blocked)) {
		plan.blocked = append(plan.blocked, share{rule: i, pieces: blocked[i]})
	}
	restAddrs := rep.addrUnion(restBoxes)
	// New rules: the denied clients' own prefixes, or the clients'
	// prefixes that hold them when those are fewer.
	prefixes := intervalPrefixes(restAddrs, rep.v6)
	var whole []netip.Prefix
	for _, p := range intervalPrefixes(clients, rep.v6) {
		if pb := prefixInterval(p); slices.ContainsFunc(restAddrs, func(iv interval) bool { return overlaps(iv, pb) }) {
			whole = append(whole, p)
		}
	}
	if len(whole) < len(prefixes) {
		prefixes = whole
	}
	var lines []string
	noFree := false
	for _, p := range prefixes {
		n := suggestNumber(used, limit)
		if n == 0 {
			noFree = true
		} else {
			used[n] = true
		}
		lines = append(lines, fmt.Sprintf("`%s %s allow %s %s %s`", shortDir(rep.dir), numText(n), nacl.ProtocolName(proto), p, L))
	}
	if len(lines) > 4 {
		lines = append(lines[:4], fmt.Sprintf("%d more like them", len(lines)-4))
	}
	add := "add " + andList(lines)
	switch {
	case limit <= nacl.MaxRuleNumber && noFree:
		add += fmt.Sprintf(" (numbered below %s rule %d, which denies them now: no number is free there, renumber rules to make room)", rep.dir, limit)
	case limit <= nacl.MaxRuleNumber:
		add += fmt.Sprintf(" (numbered below %s rule %d, which denies them now)", rep.dir, limit)
	}
	// Alternative: give a reply rule ahead of the denying rules a CIDR
	// holding every client left, without reaching beyond the clients.
	best, bestBits := -1, -1
	var bestPrefix netip.Prefix
	for _, c := range cands {
		r := &rep.rules[c.idx]
		if r.num >= limit {
			continue
		}
		hull := interval{minU(r.box[dimAddr].lo, restAddrs[0].lo), maxU(r.box[dimAddr].hi, restAddrs[len(restAddrs)-1].hi)}
		p := coveringPrefix(hull, rep.v6)
		pb := prefixInterval(p)
		if !slices.ContainsFunc(clients, func(iv interval) bool { return !pb.lo.less(iv.lo) && !iv.hi.less(pb.hi) }) {
			continue
		}
		if p.Bits() > bestBits {
			best, bestBits, bestPrefix = c.idx, p.Bits(), p
		}
	}
	if best >= 0 {
		e, ok := widened[best]
		if !ok {
			e = *rep.rules[best].entry
			e.Ports = nacl.PortRange{From: min(e.Ports.From, lo), To: max(e.Ports.To, hi)}
		}
		e.CIDR = bestPrefix
		add = fmt.Sprintf("change the CIDR of %s rule %d to %s: `%s`, or %s", rep.dir, e.RuleNumber, bestPrefix, entryText(&e), add)
	}
	plan.clauses = append(plan.clauses, add)
	return plan
}

// text describes the plan for the finding's message: the short rules
// with the ports they miss, the address gap, the replies denied before
// any reply rule.
func (plan *replyPlan) text(rep *group, proto int, clients []interval) string {
	var parts []string
	if len(plan.short) > 0 {
		var rs []string
		for _, s := range plan.short {
			r := &rep.rules[s.idx]
			t := fmt.Sprintf("rule %d misses %s", r.num, andList(rangeTexts(s.missing)))
			if !slices.Equal(s.addrs, []interval{r.box[dimAddr]}) {
				t += " " + fromTo(rep.dir) + " " + addrsText(s.addrs, rep.v6)
			}
			rs = append(rs, t+fmt.Sprintf(" (has %s)", r.entry.Ports))
		}
		parts = append(parts, plural("port range", len(rs))+" too narrow: "+strings.Join(rs, ", "))
	}
	if len(plan.gap) > 0 {
		who := "the clients at " + addrsText(plan.gap, rep.v6)
		if t := rep.addrsOrComplement(plan.gap, clients); strings.HasPrefix(t, "all but ") {
			who = "the clients in " + addrsText(clients, rep.v6) + " outside " + strings.TrimPrefix(t, "all but ")
		}
		if plan.noReply {
			parts = append(parts, fmt.Sprintf("no %s rule allows %s replies on ephemeral ports to %s", rep.dir, nacl.ProtocolName(proto), who))
		} else {
			parts = append(parts, fmt.Sprintf("address gap: no %s reply rule's CIDR holds %s", rep.dir, who))
		}
	}
	if len(plan.blocked) > 0 {
		parts = append(parts, "before any reply rule: "+deniedPartText(rep, plan.blocked, clients))
	}
	return strings.Join(parts, "; ")
}

// andList joins parts as "a, b and c".
func andList(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// rangeTexts formats small intervals as "N" or "N-M".
func rangeTexts(ivs []interval) []string {
	out := make([]string, len(ivs))
	for i, iv := range ivs {
		out[i] = rangeText(iv)
	}
	return out
}

// intervalPrefixes lists the CIDR prefixes of address intervals.
func intervalPrefixes(ivs []interval, v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, iv := range ivs {
		out = append(out, netipx.IPRangeFrom(valueAddr(iv.lo, v6), valueAddr(iv.hi, v6)).Prefixes()...)
	}
	return out
}

// prefixInterval returns the address interval of p.
func prefixInterval(p netip.Prefix) interval {
	p = p.Masked()
	lo := addrValue(p.Addr())
	return interval{lo, lo.or(lowOnes(p.Addr().BitLen() - p.Bits()))}
}

// coveringPrefix returns the smallest prefix holding the interval.
func coveringPrefix(iv interval, v6 bool) netip.Prefix {
	a, b := valueAddr(iv.lo, v6), valueAddr(iv.hi, v6)
	for bits := a.BitLen(); ; bits-- {
		if p, _ := a.Prefix(bits); p.Contains(b) {
			return p
		}
	}
}

// overlaps reports whether two intervals share a value.
func overlaps(a, b interval) bool { return !a.hi.less(b.lo) && !b.hi.less(a.lo) }

// minU and maxU return the smaller and the larger of two values.
func minU(a, b u128) u128 {
	if b.less(a) {
		return b
	}
	return a
}

func maxU(a, b u128) u128 {
	if a.less(b) {
		return b
	}
	return a
}
