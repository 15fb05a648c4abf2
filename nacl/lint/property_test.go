package lint

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// checkInvariants verifies the analysis of acl against the evaluator:
// reachable rules have a witness the evaluator decides with them,
// unreachable and empty rules never decide a sampled packet, removing every
// removable rule at once changes no sampled verdict, and every rule that is
// not removable has a packet whose verdict changes without it.
func checkInvariants(r *rand.Rand, acl *nacl.ACL, samples int) error {
	ev := nacl.Compile(acl)
	gs := analyzeACL(acl)
	reduced := &nacl.ACL{ID: acl.ID}
	dead := map[[2]int]bool{} // (dir, rule number) of hidden or empty rules
	for _, k := range groupOrder() {
		g := gs[k]
		if g.err != nil {
			return nil // too intricate: nothing is claimed
		}
		for i, rl := range g.rules {
			if !g.removable[i] {
				reduced.Entries = append(reduced.Entries, *rl.entry)
			}
			if !rl.ok || g.hidden[i] {
				dead[[2]int{int(g.dir), rl.num}] = true
				if _, ok, _ := Witness(acl, g.dir, rl.num); ok {
					return fmt.Errorf("%s rule %d: unreachable but has a witness", g.dir, rl.num)
				}
				continue
			}
			p, ok, err := Witness(acl, g.dir, rl.num)
			if err != nil || !ok {
				return fmt.Errorf("%s rule %d: reachable but no witness (%v)", g.dir, rl.num, err)
			}
			if d := ev.Evaluate(g.dir, &p); d.RuleNumber != rl.num {
				return fmt.Errorf("%s rule %d: witness %+v decided by rule %d", g.dir, rl.num, p, d.RuleNumber)
			}
		}
	}
	red := nacl.Compile(reduced)
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		for range samples {
			p := randomPacket(r, acl, dir)
			d := ev.Evaluate(dir, &p)
			if dead[[2]int{int(dir), d.RuleNumber}] {
				return fmt.Errorf("%s rule %d reported unreachable decides %+v", dir, d.RuleNumber, p)
			}
			if d2 := red.Evaluate(dir, &p); d2.Action != d.Action {
				return fmt.Errorf("%s: removing unreachable/redundant rules changes %+v from %s (rule %d) to %s (rule %d)",
					dir, p, d.Action, d.RuleNumber, d2.Action, d2.RuleNumber)
			}
		}
	}
	// Every kept rule matters: without it, some packet changes verdict.
	gr := analyzeACL(reduced)
	for _, k := range groupOrder() {
		g := gr[k]
		for i := range g.rules {
			if g.removable[i] {
				return fmt.Errorf("%s rule %d: removable after the removable rules were removed", g.dir, g.rules[i].num)
			}
			reach, _ := g.reachOf(i, nil)
			shares, _ := g.decide(reach, i+1, nil)
			found := false
			for _, s := range shares {
				if g.ruleAction(s.rule) == g.rules[i].action {
					continue
				}
				p := pointPacket(&s.pieces[0], g.dir, g.v6)
				without := &nacl.ACL{}
				for j, e := range reduced.Entries {
					if j != g.rules[i].idx {
						without.Entries = append(without.Entries, e)
					}
				}
				if nacl.Compile(without).Evaluate(g.dir, &p).Action != red.Evaluate(g.dir, &p).Action {
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("%s rule %d is kept but no packet needs it", g.dir, g.rules[i].num)
			}
		}
	}
	return nil
}

func TestReachabilityAgreesWithEvaluator(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 1000 {
		acl := randomACL(r, 12)
		if err := checkInvariants(r, acl, 400); err != nil {
			t.Fatalf("ACL %d: %v\nentries:\n%s", iter, err, entriesText(acl))
		}
	}
}

// entriesText lists an ACL's entries for failure messages.
func entriesText(acl *nacl.ACL) string {
	s := ""
	for i := range acl.Entries {
		s += "  " + entryText(&acl.Entries[i]) + fmt.Sprintf("  (ports %v icmp %d:%d)\n", acl.Entries[i].Ports, acl.Entries[i].ICMPType, acl.Entries[i].ICMPCode)
	}
	return s
}
