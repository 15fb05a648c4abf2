package synth

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/flowverify/flowverify/nacl"
)

// groupKey is one quota: a direction and an IP family.
type groupKey struct {
	dir nacl.Direction
	v6  bool
}

var groupOrder = []groupKey{{nacl.Ingress, false}, {nacl.Ingress, true}, {nacl.Egress, false}, {nacl.Egress, true}}

// keptDenies returns the explicit deny entries of acl, by direction and
// rule number.
func keptDenies(acl *nacl.ACL) []nacl.Entry {
	if acl == nil {
		return nil
	}
	var out []nacl.Entry
	for _, e := range acl.Entries {
		if e.Action == nacl.Deny && e.RuleNumber <= nacl.MaxRuleNumber {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b nacl.Entry) int {
		if a.Direction != b.Direction {
			return cmp.Compare(a.Direction, b.Direction)
		}
		return cmp.Compare(a.RuleNumber, b.RuleNumber)
	})
	return out
}

// pmtudBox is the inbound path-MTU-discovery rule of one family.
func pmtudBox(v6 bool) *box {
	b := &box{dir: nacl.Ingress, v6: v6, proto: nacl.ProtoICMP, prefix: netip.MustParsePrefix("0.0.0.0/0"), icmpType: 3, icmpCode: 4, kind: KindPMTUD}
	if v6 {
		b.proto, b.prefix, b.icmpType, b.icmpCode = nacl.ProtoICMPv6, netip.MustParsePrefix("::/0"), 2, 0
	}
	b.intended = b.volume()
	return b
}

// withPMTUD reduces the observed rules of one inbound group to budget and
// adds the path-MTU-discovery rule of its family. The PMTUD rule never
// takes part in a lossy merge: it is left out when an observed rule
// already allows it (lossless containment), absorbs observed rules it
// contains when that costs no more than leaving it out, is added when a
// slot is left, and is otherwise dropped with a warning.
func (b *builder) withPMTUD(group []*box, budget int, dir nacl.Direction, v6 bool) []*box {
	p := pmtudBox(v6)
	var inside, rest []*box
	for _, bx := range group {
		if contains(p, bx) {
			inside = append(inside, bx)
		} else {
			rest = append(rest, bx)
		}
	}
	nMerges, nLossless := len(b.res.Merges), b.res.Lossless
	out := b.reduce(slices.Clone(group), budget, dir, v6)
	for _, bx := range out {
		if contains(bx, p) {
			b.note(Message{Kind: MsgPMTUDCovered, Direction: dir, IPv6: v6, Rule: bx.entry(), PMTUD: p.entry()})
			return out
		}
	}
	if len(out) < budget {
		return sortedBoxes(append(out, p))
	}
	if len(inside) > 0 && (budget >= 2 || len(rest) == 0) {
		// Try letting the PMTUD rule carry the observed rules it contains.
		lossy := addedSpace(b.res.Merges[nMerges:])
		m1, l1 := b.res.Merges[nMerges:], b.res.Lossless
		b.res.Merges, b.res.Lossless = b.res.Merges[:nMerges:nMerges], nLossless
		alt := b.reduce(slices.Clone(rest), budget-1, dir, v6)
		if addedSpace(b.res.Merges[nMerges:]) <= lossy {
			for _, bx := range inside {
				p = mergeBoxes(p, bx)
				b.res.Lossless++
			}
			return sortedBoxes(append(alt, p))
		}
		b.res.Merges, b.res.Lossless = append(b.res.Merges[:nMerges], m1...), l1
	}
	b.warn(Message{Kind: MsgPMTUDNoRoom, Direction: dir, IPv6: v6, PMTUD: p.entry(), Limit: b.opts.MaxRules})
	return out
}

func sortedBoxes(bs []*box) []*box {
	slices.SortFunc(bs, compareBoxes)
	return bs
}

// addedSpace sums the space admitted by lossy merges.
func addedSpace(ms []Merge) float64 {
	s := 0.0
	for _, m := range ms {
		s += m.Added
	}
	return s
}

// finish applies the budget, numbers the rules and builds the ACL.
func (b *builder) finish(boxes []*box, kept []nacl.Entry) error {
	groups := map[groupKey][]*box{}
	for _, bx := range boxes {
		k := groupKey{bx.dir, bx.v6}
		groups[k] = append(groups[k], bx)
	}
	// The PMTUD rule is a recommendation, not observed traffic: it is
	// added after the budget is applied (see withPMTUD), never merged.
	pmtud := map[groupKey]bool{}
	if b.opts.PMTUD {
		for _, v6 := range []bool{false, true} {
			if len(groups[groupKey{nacl.Ingress, v6}])+len(groups[groupKey{nacl.Egress, v6}]) > 0 {
				pmtud[groupKey{nacl.Ingress, v6}] = true
			}
		}
	}
	keptBy := map[groupKey][]nacl.Entry{}
	for _, e := range kept {
		k := groupKey{e.Direction, e.IsIPv6()}
		keptBy[k] = append(keptBy[k], e)
	}
	acl := &nacl.ACL{ID: b.opts.ID, Name: b.opts.Name, Subnets: slices.Clone(b.opts.SubnetIDs)}
	final := map[groupKey][]*box{}
	for _, k := range groupOrder {
		budget := b.opts.MaxRules - 1 - len(keptBy[k])
		if budget < 0 {
			return fmt.Errorf("%s %s: %d kept deny rules plus the default rule exceed --max-rules %d", k.dir, family(k.v6), len(keptBy[k]), b.opts.MaxRules)
		}
		if len(groups[k]) > 0 && budget < 1 {
			return fmt.Errorf("%s %s: the %d kept deny rules leave no room for allow rules within --max-rules %d (including the default rule)",
				k.dir, family(k.v6), len(keptBy[k]), b.opts.MaxRules)
		}
		if pmtud[k] {
			final[k] = b.withPMTUD(groups[k], budget, k.dir, k.v6)
		} else {
			final[k] = b.reduce(groups[k], budget, k.dir, k.v6)
		}
		if len(final[k]) > budget {
			b.warn(Message{Kind: MsgOverQuota, Direction: k.dir, IPv6: k.v6, Count: len(final[k]) + len(keptBy[k]) + 1, Limit: b.opts.MaxRules, Max: HardMaxRules})
		}
		if n := len(final[k]) + len(keptBy[k]); n > 0 {
			b.res.Counts = append(b.res.Counts, Count{Direction: k.dir, IPv6: k.v6, Rules: n + 1, Budget: b.opts.MaxRules})
		}
	}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		num := b.opts.First
		for _, e := range kept {
			if e.Direction != dir {
				continue
			}
			orig := e.RuleNumber
			e.RuleNumber, e.Pos = num, nacl.Pos{}
			e.Comment = keptComment(b.opts.KeepDenies, orig, e.Comment)
			acl.Entries = append(acl.Entries, e)
			b.res.Rules = append(b.res.Rules, Rule{Entry: e, Kind: KindKeptDeny})
			num += b.opts.Step
		}
		for _, v6 := range []bool{false, true} {
			for _, bx := range final[groupKey{dir, v6}] {
				e := bx.entry()
				e.RuleNumber = num
				num += b.opts.Step
				r := b.ruleInfo(bx, e)
				e.Comment = comment(&r)
				r.Entry = e
				acl.Entries = append(acl.Entries, e)
				b.res.Rules = append(b.res.Rules, r)
			}
		}
	}
	b.res.ACL = acl
	b.res.OverBits = math.Log2(1 + b.res.OverPermission)
	b.res.Curve = curve(b.res.Merges)
	return nil
}

// noteServed records the service ports of the working conversations
// (Result.served) from the services' keys.
func (b *builder) noteServed() {
	b.res.served = map[servedKey]bool{}
	for k := range b.services {
		switch {
		case k.kind == KindService && isPortProto(k.proto) && k.ports.From == k.ports.To:
			b.res.served[servedKey{dir: k.dir, v6: k.v6, proto: uint8(k.proto), port: k.ports.From}] = true
		case k.kind == KindICMP && k.icmpT >= 0 && k.icmpC >= 0:
			b.res.served[servedKey{dir: k.dir, v6: k.v6, proto: uint8(k.proto), port: uint16(k.icmpT)<<8 | uint16(k.icmpC)}] = true
		}
	}
}

// curve reads the rules-vs-over-permission trade-off off the lossy
// merges, per direction and family in groupOrder.
func curve(ms []Merge) []CurvePoint {
	var out []CurvePoint
	for _, k := range groupOrder {
		added := 0.0
		for i, m := range ms {
			if m.Direction != k.dir || m.IPv6 != k.v6 {
				continue
			}
			if added == 0 {
				out = append(out, CurvePoint{Direction: k.dir, IPv6: k.v6, Rules: m.Rules + 2, Merge: -1})
			}
			added += m.Added
			out = append(out, CurvePoint{Direction: k.dir, IPv6: k.v6, Rules: m.Rules + 1, Added: added, AddedBits: math.Log2(1 + added), Merge: i})
		}
	}
	return out
}

// ruleInfo fills the report fields of one generated rule.
func (b *builder) ruleInfo(bx *box, e nacl.Entry) Rule {
	r := Rule{Entry: e, Kind: bx.kind, Profile: bx.profile, Intent: bx.intent, Conversations: bx.use.convs, Example: bx.use.example,
		First: bx.use.first, Last: bx.use.last, Allowed: bx.volume(), Intended: min(bx.intended, bx.volume())}
	over := r.Allowed - r.Intended
	r.OverBits = math.Log2(1 + over)
	b.res.OverPermission += over
	return r
}

func family(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

func keptComment(src *nacl.ACL, orig int, c string) string {
	s := fmt.Sprintf("kept deny: rule %d of %s", orig, src.Label())
	if c != "" {
		s += ": " + c
	}
	return s
}

// comment says which conversations a rule serves.
func comment(r *Rule) string {
	if r.Kind == KindPMTUD {
		if r.Conversations == 0 {
			return "path MTU discovery (not observed; AWS recommends it)"
		}
		return fmt.Sprintf("path MTU discovery (AWS recommends it); also serves %d observed conversation(s), e.g. %s", r.Conversations, r.Example)
	}
	what := r.Kind
	if r.Kind == KindResponse && r.Profile != "" {
		what += " (" + r.Profile + ")"
	}
	s := fmt.Sprintf("%s: %d conversation(s)", what, r.Conversations)
	if r.Example.IsValid() {
		s += ", e.g. " + r.Example.String()
	}
	if !r.First.IsZero() {
		s += ", " + stamp(r.First) + " .. " + stamp(r.Last)
	}
	if r.Intent != "" && r.Intent != IntentExact {
		s += ", peers: " + string(r.Intent)
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
