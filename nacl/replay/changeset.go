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
	// Merges describe the merges made to fit the quota (each widens the
	// rules: more than the observed traffic is let through).
	Merges []string
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
	convs   []int
	merged  int // number of budget merges folded into it
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
		cs, merges := fx.reduce(b, cs, QuotaDefault-before)
		st.set.Merges = append(st.set.Merges, merges...)
		q := QuotaCount{Direction: b.dir, IPv6: b.v6, Before: before, After: before + len(cs)}
		q.Fits = q.After <= QuotaDefault
		switch {
		case q.Fits:
		case q.After <= QuotaMax:
			q.Increase = q.After
			st.set.Problems = append(st.set.Problems, fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the default quota of %d: request an increase to %d (Service Quotas L-2AEEBF1A, at most %d) before applying it; no merge of the fixes fits without letting through traffic that must stay denied",
				b.dir, q.Family(), q.After, QuotaDefault, q.After, QuotaMax))
		default:
			st.set.Problems = append(st.set.Problems, fmt.Sprintf("%s %s: %d rules after the change (the default rule included), over the hard limit of %d: AWS refuses it; no merge of the fixes fits without letting through traffic that must stay denied",
				b.dir, q.Family(), q.After, QuotaMax))
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
				st.set.Problems = append(st.set.Problems, f.Note)
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
	e.Comment = fmt.Sprintf("flowverify: lets %d conversation(s) through (blocked by rule %d)", len(c.convs), k.rule)
	num, why := pickRuleNumber(k.acl, k.dir, k.rule, &e, used)
	e.RuleNumber = num
	notes := c.notes
	if why != "" {
		notes = append(notes, why)
	}
	return Fix{ACL: k.acl.ID, ACLRef: k.acl, SubnetID: strings.Join(c.subnets, ","), Direction: k.dir, Blocking: k.rule,
		Role: k.role, Entry: e, Line: TextLine(&e), Profile: c.profile, Conversations: c.convs, Note: strings.Join(notes, "; ")}
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
	c.convs = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.convs), b.convs...))))
	c.subnets = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.subnets), b.subnets...))))
	c.notes = slices.Compact(append(slices.Clone(a.notes), b.notes...))
	if a.profile != b.profile {
		c.profile = ""
	}
	c.merged = a.merged + b.merged
	return &c
}

// mergeFree merges candidates whose merge admits nothing new (adjacent
// ports with the same prefix, sibling prefixes with the same ports, a
// rule inside another) until none is left.
func (fx *fixer) mergeFree(cs []*candidate) []*candidate {
	for {
		done := true
		for i := 0; i < len(cs) && done; i++ {
			for j := i + 1; j < len(cs); j++ {
				if !mergeable(cs[i], cs[j]) {
					continue
				}
				if m, cost := mergeCost(cs[i], cs[j]); cost <= 0 && adjacentOrOverlapping(cs[i], cs[j]) {
					cs[i] = join(cs[i], cs[j], m)
					cs = slices.Delete(cs, j, j+1)
					done = false
					break
				}
			}
		}
		if done {
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

// reduce merges the candidates of one bucket while there are more than
// room: each time the mergeable pair admitting the least new space whose
// merge lets no guarded packet through. It returns the candidates and the
// merges made, in words.
func (fx *fixer) reduce(b bucket, cs []*candidate, room int) ([]*candidate, []string) {
	var merges []string
	forbidden := map[[2]*candidate]bool{}
	for len(cs) > max(room, 0) {
		bi, bj, best := -1, -1, math.Inf(1)
		var bm nacl.Entry
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if !mergeable(cs[i], cs[j]) || forbidden[[2]*candidate{cs[i], cs[j]}] {
					continue
				}
				if m, cost := mergeCost(cs[i], cs[j]); cost < best {
					bi, bj, best, bm = i, j, cost, m
				}
			}
		}
		if bi < 0 {
			break
		}
		if fx.opens(b, cs[bi].key.rule, &bm) {
			forbidden[[2]*candidate{cs[bi], cs[bj]}] = true
			continue
		}
		merges = append(merges, fmt.Sprintf("%s %s: merged %s and %s into %s to fit the quota (lets through %.0f more address x port units than the two rules)",
			b.dir, familyWord(b.v6), TextLine(&cs[bi].e), TextLine(&cs[bj].e), TextLine(&bm), best))
		c := join(cs[bi], cs[bj], bm)
		c.merged++
		c.notes = append(c.notes, "merged to fit the quota: wider than the observed traffic")
		cs[bi] = c
		cs = slices.Delete(cs, bj, bj+1)
	}
	return cs, merges
}

// opens reports whether a rule placed just below blocking in bucket b
// would let through a guarded packet that a rule at or after blocking denies.
func (fx *fixer) opens(b bucket, blocking int, e *nacl.Entry) bool {
	ev := nacl.Compile(&nacl.ACL{Entries: []nacl.Entry{*e}})
	for i := range fx.guards {
		g := &fx.guards[i]
		if g.acl == b.acl && g.dir == b.dir && g.rule >= blocking && g.p.Src.Is6() == b.v6 && ev.Evaluate(b.dir, &g.p).Entry == 0 {
			return true
		}
	}
	return false
}

func familyWord(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}
