package lint

import "slices"

// coverResult is the set of earlier rules that together hide a rule.
type coverResult struct {
	rules []int // indexes into group.rules, ascending
	// exact is true when no smaller set exists (exhaustive search
	// finished); false when the work limit forced the greedy fallback,
	// whose set is only irreducible (no member can be dropped).
	exact bool
}

// minCover finds a smallest set of earlier, reachable rules whose union
// contains rule i's box. Rule i must be hidden. The exhaustive search
// tries subsets by increasing size (ties go to the lowest rule numbers)
// and gives up after maxChecks coverage tests, falling back to greedy.
func (g *group) minCover(i int, maxChecks int) (coverResult, error) {
	target := g.rules[i].box
	// Candidates: earlier reachable rules, clipped to the target. A
	// candidate inside another candidate is never needed for a smallest
	// set (swap it for the larger one), so drop it; of equal ones keep
	// the first.
	type cand struct {
		idx int
		b   box
	}
	var all []cand
	if err := g.spend(1 + i); err != nil {
		return coverResult{}, err
	}
	for j := 0; j < i; j++ {
		r := &g.rules[j]
		if !r.ok || g.hidden[j] {
			continue
		}
		if c, ok := r.box.intersect(&target); ok {
			if c == target {
				return coverResult{rules: []int{j}, exact: true}, nil
			}
			all = append(all, cand{j, c})
		}
	}
	var cands []cand
	if err := g.spend(len(all) * len(all)); err != nil {
		return coverResult{}, err
	}
	for a := range all {
		dominated := false
		for b := range all {
			if a != b && all[b].b.contains(&all[a].b) && (all[b].b != all[a].b || b < a) {
				dominated = true
				break
			}
		}
		if !dominated {
			cands = append(cands, all[a])
		}
	}
	boxesOf := func(sel []int) []box {
		bs := make([]box, 0, len(sel))
		for _, s := range sel {
			bs = append(bs, cands[s].b)
		}
		return bs
	}
	checks := 0
	covers := func(sel []int) (bool, error) {
		checks++
		if err := g.spend(1 + len(sel)); err != nil {
			return false, err
		}
		return covered(target, boxesOf(sel))
	}
	// Essential candidates are in every cover.
	var essential, optional []int
	for a := range cands {
		var others []int
		for b := range cands {
			if b != a {
				others = append(others, b)
			}
		}
		ok, err := covers(others)
		if err != nil {
			return coverResult{}, err
		}
		if ok {
			optional = append(optional, a)
		} else {
			essential = append(essential, a)
		}
	}
	toRules := func(sel []int) coverResult {
		out := make([]int, len(sel))
		for k, s := range sel {
			out[k] = cands[s].idx
		}
		slices.Sort(out)
		return coverResult{rules: out}
	}
	// Subsets of the optional candidates by increasing size, in
	// lexicographic order (so lower rule numbers win ties).
	for size := 0; size <= len(optional); size++ {
		sel := make([]int, size)
		for k := range sel {
			sel[k] = k
		}
		for {
			if checks > maxChecks {
				idx := make([]int, len(cands))
				for k, c := range cands {
					idx[k] = c.idx
				}
				return greedyCover(target, idx, boxesOf)
			}
			pick := append(append([]int(nil), essential...), mapIdx(sel, optional)...)
			ok, err := covers(pick)
			if err != nil {
				return coverResult{}, err
			}
			if ok {
				r := toRules(pick)
				r.exact = true
				return r, nil
			}
			if !nextCombination(sel, len(optional)) {
				break
			}
		}
	}
	// Unreachable: the full candidate set covers a hidden rule.
	return toRules(append(essential, optional...)), nil
}

// greedyCover starts from every candidate and drops candidates from the
// highest rule number down while the rest still covers the target.
func greedyCover(target box, idx []int, boxesOf func([]int) []box) (coverResult, error) {
	n := len(idx)
	keep := make([]int, n)
	for k := range keep {
		keep[k] = k
	}
	for k := n - 1; k >= 0; k-- {
		var trial []int
		for _, s := range keep {
			if s != k {
				trial = append(trial, s)
			}
		}
		ok, err := covered(target, boxesOf(trial))
		if err != nil {
			return coverResult{}, err
		}
		if ok {
			keep = trial
		}
	}
	out := mapIdx(keep, idx)
	slices.Sort(out)
	return coverResult{rules: out}, nil
}

// mapIdx returns [from[s] for s in sel].
func mapIdx(sel, from []int) []int {
	out := make([]int, len(sel))
	for k, s := range sel {
		out[k] = from[s]
	}
	return out
}

// nextCombination advances sel (strictly increasing indexes below n) to
// the next combination of the same size in lexicographic order.
func nextCombination(sel []int, n int) bool {
	k := len(sel)
	for i := k - 1; i >= 0; i-- {
		if sel[i] < n-k+i {
			sel[i]++
			for j := i + 1; j < k; j++ {
				sel[j] = sel[j-1] + 1
			}
			return true
		}
	}
	return false
}
