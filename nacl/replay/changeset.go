package replay

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/nacl"
)

// Quota limits of NACL rules per direction and IP family, the default
// rule included (Service Quotas L-2AEEBF1A).
const (
	QuotaDefault = 20
	QuotaMax     = 40
)

// ChangeSet is the fix of one ACL: the rules to add, the patched ACL,
// the rule counts against the quota and why it cannot be applied as is.
type ChangeSet struct {
	// ACL is the ACL as read; Patched a copy with the fixes added.
	ACL, Patched *nacl.ACL
	// Fixes are indexes into Report.Fixes of the rules this change adds.
	Fixes []int
	// Quota counts the rules per direction and family that the change touches.
	Quota []QuotaCount
	// Merges describe the first MaxMergeNotes merges made to fit the
	// quota (each widens the rules: more than the observed traffic is let
	// through); MergeCount counts them all.
	Merges     []string
	MergeCount int
	// Problems say why the change cannot be applied as it stands (no free
	// rule number, over the quota); empty when it can.
	Problems []string
}

// QuotaCount is the number of rules of one direction and family before
// and after a change, the default rule included.
type QuotaCount struct {
	Direction nacl.Direction
	IPv6      bool
	Before    int
	After     int
	// Fits is true when After is within QuotaDefault; Increase is the
	// quota to request when After exceeds it but not QuotaMax.
	Fits     bool
	Increase int
}

// Family returns "IPv4" or "IPv6".
func (q QuotaCount) Family() string {
	if q.IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// candidate is one rule of a change set before numbering.
type candidate struct {
	key     fixKey // acl, direction, blocking rule, role, protocol, family, ICMP
	e       nacl.Entry
	profile string
	notes   []string
	subnets []string
	// convs are the IDs of the conversations it serves, ascending; a
	// merge keeps the parts in more and sorts them once, in fix.
	convs  []int
	more   [][]int
	merged int // number of budget merges folded into it
}

// bucket is an ACL, direction and family: what the quota counts.
type bucket struct {
	acl *nacl.ACL
	dir nacl.Direction
	v6  bool
}

// existing counts the ACL's rules of the bucket, the default rule included.
func (b bucket) existing() int {
	n := 1
	for i := range b.acl.Entries {
		e := &b.acl.Entries[i]
		if e.Direction == b.dir && e.IsIPv6() == b.v6 {
			n++
		}
	}
	return n
}

// build turns the groups into numbered fixes and one change set per ACL:
// adjacent ports and sibling prefixes merged (nothing new admitted), then,
// while a direction and family is over QuotaDefault, the merge admitting
// the least new address x port space that lets no guarded packet through.
func (fx *fixer) build() {
	cands := fx.candidates()
	byBucket := map[bucket][]*candidate{}
	var buckets []bucket
	for _, c := range cands {
		b := bucket{c.key.acl, c.key.dir, c.key.v6}
		if byBucket[b] == nil {
			buckets = append(buckets, b)
		}
		byBucket[b] = append(byBucket[b], c)
	}
	slices.SortFunc(buckets, func(x, y bucket) int {
		return cmp.Or(cmp.Compare(x.acl.ID, y.acl.ID), cmp.Compare(x.dir, y.dir), boolCmp(x.v6, y.v6))
	})
	type aclState struct {
		set   ChangeSet
		cands []*candidate
	}
	var sets []*aclState
	idx := map[*nacl.ACL]*aclState{}
	for _, b := range buckets {
		cs := byBucket[b]
		cs = fx.mergeFree(cs)
		st := idx[b.acl]
		if st == nil {
			st = &aclState{set: ChangeSet{ACL: b.acl}}
			idx[b.acl] = st
			sets = append(sets, st)
		}
		before := b.existing()
		fx.mergeCount, fx.blocked = 0, nil
		cs, merges := fx.reduce(b, cs, QuotaDefault-before)
		st.set.MergeCount += fx.mergeCount
		if len(merges) > 0 {
			// A merge may now hold another rule whole.
			cs = fx.mergeFree(cs)
		}
		st.set.Merges = append(st.set.Merges, merges[:min(len(merges), MaxMergeNotes-len(st.set.Merges))]...)
		q := QuotaCount{Direction: b.dir, IPv6: b.v6, Before: before, After: before + len(cs)}
		q.Fits = q.After <= QuotaDefault
		switch {
		case q.Fits:
		case q.After <= QuotaMax:
			q.Increase = q.After
			st.set.Problems = append(st.set.Problems, fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the default quota of %d: request an increase to %d (Service Quotas L-2AEEBF1A, at most %d) before applying it; %s",
				b.dir, q.Family(), q.After, QuotaDefault, q.After, QuotaMax, fx.whyNoMerge()))
		default:
			st.set.Problems = append(st.set.Problems, fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the hard limit of %d: AWS refuses it; %s",
				b.dir, q.Family(), q.After, QuotaMax, fx.whyNoMerge()))
		}
		st.set.Quota = append(st.set.Quota, q)
		st.cands = append(st.cands, cs...)
	}
	used := map[usedKey]map[int]bool{}
	for _, st := range sets {
		slices.SortStableFunc(st.cands, compareCandidates)
		patched := cloneACL(st.set.ACL)
		fixes := make([]Fix, 0, len(st.cands))
		for _, c := range st.cands {
			fixes = append(fixes, c.fix(used))
		}
		// Shown and written in rule order.
		slices.SortStableFunc(fixes, func(a, b Fix) int {
			return cmp.Or(cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.Entry.RuleNumber, b.Entry.RuleNumber))
		})
		for _, f := range fixes {
			if f.Entry.RuleNumber == 0 {
				st.set.Problems = append(st.set.Problems, fmt.Sprintf("%s: no free rule number between the rule before it and rule %d: renumber the ACL's rules to make room", f.Line, f.Blocking))
			} else {
				patched.Entries = append(patched.Entries, f.Entry)
			}
			st.set.Fixes = append(st.set.Fixes, len(fx.fixes))
			fx.fixes = append(fx.fixes, f)
			fx.matchers = append(fx.matchers, nacl.Compile(&nacl.ACL{ID: f.ACL, Entries: []nacl.Entry{f.Entry}}))
		}
		patched.SortEntries()
		st.set.Patched = patched
		fx.sets = append(fx.sets, st.set)
	}
}

// fix numbers a candidate and describes it.
func (c *candidate) fix(used map[usedKey]map[int]bool) Fix {
	k := c.key
	e := c.e
	if len(c.more) > 0 {
		all := slices.Clone(c.convs)
		for _, m := range c.more {
			all = append(all, m...)
		}
		slices.Sort(all)
		c.convs, c.more = slices.Compact(all), nil
	}
	e.Comment = fmt.Sprintf("flowverify: lets %d conversation(s) through (blocked by rule %d)", len(c.convs), k.rule)
	num, why := pickRuleNumber(k.acl, k.dir, k.rule, &e, used)
	e.RuleNumber = num
	notes := slices.Clone(c.notes)
	if why != "" {
		notes = append(notes, why)
	}
	return Fix{ACL: k.acl.ID, ACLRef: k.acl, SubnetID: strings.Join(c.subnets, ","), Direction: k.dir, Blocking: k.rule,
		Role: k.role, Entry: e, Line: ruleLine(&e), Profile: c.profile, Conversations: c.convs, Note: strings.Join(notes, "; ")}
}

func compareCandidates(a, b *candidate) int {
	return cmp.Or(cmp.Compare(a.key.dir, b.key.dir), cmp.Compare(a.key.rule, b.key.rule), boolCmp(a.key.v6, b.key.v6),
		cmp.Compare(a.key.role, b.key.role), cmp.Compare(a.e.Protocol, b.e.Protocol), cmp.Compare(a.e.Ports.From, b.e.Ports.From),
		cmp.Compare(a.e.ICMPType, b.e.ICMPType), cmp.Compare(a.e.ICMPCode, b.e.ICMPCode), a.e.CIDR.Addr().Compare(b.e.CIDR.Addr()),
		cmp.Compare(a.e.CIDR.Bits(), b.e.CIDR.Bits()))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// cloneACL copies an ACL deeply enough to add entries to the copy.
func cloneACL(a *nacl.ACL) *nacl.ACL {
	c := *a
	c.Entries = slices.Clone(a.Entries)
	c.Subnets = slices.Clone(a.Subnets)
	return &c
}

// mergeable reports whether two candidates may become one rule: same
// place (ACL, direction, blocking rule), leg, protocol, family and ICMP
// type/code.
func mergeable(a, b *candidate) bool {
	ka, kb := a.key, b.key
	return ka.acl == kb.acl && ka.dir == kb.dir && ka.rule == kb.rule && ka.role == kb.role && ka.proto == kb.proto &&
		ka.v6 == kb.v6 && a.e.ICMPType == b.e.ICMPType && a.e.ICMPCode == b.e.ICMPCode
}

// mergedEntry is the smallest rule holding both: the covering prefix and
// the hull of the port ranges.
func mergedEntry(a, b *candidate) nacl.Entry {
	e := a.e
	p := a.e.CIDR
	for !p.Contains(b.e.CIDR.Addr()) || p.Bits() > b.e.CIDR.Bits() {
		p, _ = p.Addr().Prefix(p.Bits() - 1)
	}
	e.CIDR = p
	if e.UsesPorts() {
		e.Ports = nacl.PortRange{From: min(a.e.Ports.From, b.e.Ports.From), To: max(a.e.Ports.To, b.e.Ports.To)}
	}
	return e
}

// volume is the address x port space of an entry (ports count 1 when the
// protocol has none).
func volume(e *nacl.Entry) float64 {
	v := math.Ldexp(1, e.CIDR.Addr().BitLen()-e.CIDR.Bits())
	if e.UsesPorts() {
		v *= float64(int(e.Ports.To) - int(e.Ports.From) + 1)
	}
	return v
}

// overlap is the space two entries of one protocol share.
func overlap(a, b *nacl.Entry) float64 {
	if !a.CIDR.Overlaps(b.CIDR) {
		return 0
	}
	p := a.CIDR
	if b.CIDR.Bits() > p.Bits() {
		p = b.CIDR
	}
	v := math.Ldexp(1, p.Addr().BitLen()-p.Bits())
	if a.UsesPorts() {
		lo, hi := max(a.Ports.From, b.Ports.From), min(a.Ports.To, b.Ports.To)
		if lo > hi {
			return 0
		}
		v *= float64(int(hi) - int(lo) + 1)
	}
	return v
}

// mergeCost is the space a merge lets through that neither rule did.
func mergeCost(a, b *candidate) (nacl.Entry, float64) {
	m := mergedEntry(a, b)
	return m, volume(&m) - volume(&a.e) - volume(&b.e) + overlap(&a.e, &b.e)
}

// join replaces a and b by their merge m.
func join(a, b *candidate, m nacl.Entry) *candidate {
	c := *a
	c.e = m
	c.more = append(append(slices.Clip(a.more), b.convs), b.more...)
	if !slices.Equal(a.subnets, b.subnets) {
		c.subnets = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.subnets), b.subnets...))))
	}
	c.notes = addNotes(a.notes, b.notes...)
	if a.profile != b.profile {
		c.profile = ""
	}
	c.merged = a.merged + b.merged
	return &c
}

// addNotes returns notes with the new ones that it lacks appended (a new
// slice when anything is added).
func addNotes(notes []string, add ...string) []string {
	out := notes
	for _, n := range add {
		if !slices.Contains(out, n) {
			if len(out) == len(notes) {
				out = slices.Clone(notes)
			}
			out = append(out, n)
		}
	}
	return out
}

// mergeFree merges candidates whose merge admits nothing new (adjacent
// ports with the same prefix, sibling prefixes with the same ports, a
// rule inside another) until none is left. Small buckets try every pair;
// large ones neighbours in rule order, pass after pass.
func (fx *fixer) mergeFree(cs []*candidate) []*candidate {
	free := func(i, j int) bool {
		if !mergeable(cs[i], cs[j]) || !adjacentOrOverlapping(cs[i], cs[j]) {
			return false
		}
		m, cost := mergeCost(cs[i], cs[j])
		if cost > 0 {
			return false
		}
		cs[i] = join(cs[i], cs[j], m)
		cs[j] = nil
		return true
	}
	for {
		changed := false
		if len(cs) > allPairsLimit {
			slices.SortStableFunc(cs, compareCandidates)
			for k := 0; k+1 < len(cs); k++ {
				if cs[k] != nil && free(k, k+1) {
					cs[k], cs[k+1] = nil, cs[k] // keep the merge as the next left neighbour
					changed = true
				}
			}
		} else {
			for i := 0; i < len(cs); i++ {
				for j := i + 1; j < len(cs) && cs[i] != nil; j++ {
					if cs[j] != nil && free(i, j) {
						changed = true
					}
				}
			}
		}
		cs = slices.DeleteFunc(cs, func(c *candidate) bool { return c == nil })
		if !changed {
			return cs
		}
	}
}

// adjacentOrOverlapping guards mergeFree against a zero cost that comes
// from rounding on huge volumes: the port ranges must touch or overlap.
func adjacentOrOverlapping(a, b *candidate) bool {
	if !a.e.UsesPorts() {
		return true
	}
	return int(a.e.Ports.From) <= int(b.e.Ports.To)+1 && int(b.e.Ports.From) <= int(a.e.Ports.To)+1
}

// MaxMergeNotes is how many quota merges a change set describes.
const MaxMergeNotes = 20

// allPairsLimit bounds the number of candidates for which every pair is
// considered; larger buckets are first merged in rounds of neighbours (in
// rule order, which sorts by place, protocol, ports and address).
const allPairsLimit = 160

// reduce merges the candidates of one bucket while there are more than
// room: each time the mergeable pair admitting the least new space whose
// merge lets no guarded packet through. It returns the candidates and the
// merges made, in words.
func (fx *fixer) reduce(b bucket, cs []*candidate, room int) ([]*candidate, []string) {
	room = max(room, 0)
	if len(cs) <= room {
		return cs, nil
	}
	guards := fx.bucketGuards(b)
	var merges []string
	record := func(x, y *candidate, m nacl.Entry, cost float64) *candidate {
		fx.mergeCount++
		if len(merges) < MaxMergeNotes {
			merges = append(merges, fmt.Sprintf("%s %s: merged %s and %s into %s to fit the quota (lets through %.0f more address x port units than the two rules)",
				b.dir, familyWord(b.v6), ruleLine(&x.e), ruleLine(&y.e), ruleLine(&m), cost))
		}
		c := join(x, y, m)
		c.merged++
		c.notes = addNotes(c.notes, "merged to fit the quota: wider than the observed traffic")
		return c
	}
	// Rounds of neighbour merges: the cheapest disjoint pairs of
	// neighbours, until the bucket is small enough for all pairs.
	for len(cs) > max(room, allPairsLimit) {
		slices.SortStableFunc(cs, compareCandidates)
		type cand struct {
			k    int
			cost float64
		}
		var ps []cand
		for k := 0; k+1 < len(cs); k++ {
			if mergeable(cs[k], cs[k+1]) {
				_, c := mergeCost(cs[k], cs[k+1])
				ps = append(ps, cand{k, c})
			}
		}
		slices.SortFunc(ps, func(x, y cand) int { return cmp.Or(cmp.Compare(x.cost, y.cost), cmp.Compare(x.k, y.k)) })
		used := make([]bool, len(cs))
		need := len(cs) - max(room, allPairsLimit)
		merged := 0
		for _, p := range ps {
			if merged >= need || used[p.k] || used[p.k+1] {
				continue
			}
			m := mergedEntry(cs[p.k], cs[p.k+1])
			if g := opensAny(guards, b.dir, cs[p.k].key.rule, &m); g != nil {
				fx.noteBlocked(g)
				continue
			}
			cs[p.k] = record(cs[p.k], cs[p.k+1], m, p.cost)
			cs[p.k+1] = nil
			used[p.k], used[p.k+1] = true, true
			merged++
		}
		cs = slices.DeleteFunc(cs, func(c *candidate) bool { return c == nil })
		if merged == 0 {
			break
		}
	}
	// All pairs, costs cached: a merge replaces i and retires j.
	n := len(cs)
	cost := make([][]float64, n)
	ents := make([][]nacl.Entry, n)
	pairCost := func(i, j int) {
		cost[i][j] = math.Inf(1)
		if mergeable(cs[i], cs[j]) {
			ents[i][j], cost[i][j] = mergeCost(cs[i], cs[j])
		}
	}
	for i := range cost {
		cost[i] = make([]float64, n)
		ents[i] = make([]nacl.Entry, n)
		for j := i + 1; j < n; j++ {
			pairCost(i, j)
		}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	left := n
	for left > room {
		bi, bj, best := -1, -1, math.Inf(1)
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if alive[j] && cost[i][j] < best {
					bi, bj, best = i, j, cost[i][j]
				}
			}
		}
		if bi < 0 {
			break
		}
		if g := opensAny(guards, b.dir, cs[bi].key.rule, &ents[bi][bj]); g != nil {
			fx.noteBlocked(g)
			cost[bi][bj] = math.Inf(1)
			continue
		}
		cs[bi] = record(cs[bi], cs[bj], ents[bi][bj], best)
		alive[bj] = false
		left--
		for k := 0; k < n; k++ {
			if alive[k] && k != bi {
				pairCost(min(bi, k), max(bi, k))
			}
		}
	}
	out := make([]*candidate, 0, left)
	for i, c := range cs {
		if alive[i] {
			out = append(out, c)
		}
	}
	return out, merges
}

// bucketGuards returns the guarded packets of one bucket.
func (fx *fixer) bucketGuards(b bucket) []guardPacket {
	var out []guardPacket
	for _, g := range fx.guards {
		if g.acl == b.acl && g.dir == b.dir && g.p.Src.Is6() == b.v6 {
			out = append(out, g)
		}
	}
	return out
}

// opensAny returns the first guarded packet (of its bucket) that a rule
// placed just below blocking would let through although a rule at or
// after blocking denies it, nil when there is none.
func opensAny(guards []guardPacket, dir nacl.Direction, blocking int, e *nacl.Entry) *guardPacket {
	for i := range guards {
		if g := &guards[i]; g.rule >= blocking && entryMatches(e, dir, &g.p) {
			return g
		}
	}
	return nil
}

// noteBlocked remembers the first guarded packet that forbade a merge.
func (fx *fixer) noteBlocked(g *guardPacket) {
	if fx.blocked == nil {
		fx.blocked = g
	}
}

// whyNoMerge says why the fixes of a bucket could not be merged further.
func (fx *fixer) whyNoMerge() string {
	if fx.blocked == nil {
		return "the fixes cannot be merged further: they differ in protocol, leg, ICMP type or the rule they must precede"
	}
	return fmt.Sprintf("no merge of the fixes fits without letting through traffic that must stay denied (for example conversation #%d, intended: %s)", fx.blocked.conv, fx.blocked.cause)
}

// entryMatches reports whether an allow entry without fragments'
// subtleties matches p in direction dir: the peer (source inbound,
// destination outbound) in its CIDR, the protocol, the destination port
// (TCP/UDP) and the ICMP type and code.
func entryMatches(e *nacl.Entry, dir nacl.Direction, p *nacl.Packet) bool {
	peer := p.Src
	if dir == nacl.Egress {
		peer = p.Dst
	}
	if !e.CIDR.Contains(peer) || (e.Protocol != nacl.ProtoAll && e.Protocol != int(p.Proto)) {
		return false
	}
	if e.UsesPorts() {
		return p.HasPort && e.Ports.Contains(p.DstPort)
	}
	if e.UsesICMP() && e.ICMPType >= 0 {
		if !p.HasICMP || int(p.ICMPType) != e.ICMPType {
			return false
		}
		return e.ICMPCode < 0 || int(p.ICMPCode) == e.ICMPCode
	}
	return true
}

func familyWord(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}
