package synth

import (
	"cmp"
	"math"
	"slices"

	"github.com/flowverify/flowverify/nacl"
)

// allPairsLimit bounds the group size for which every pair is a merge
// candidate; larger groups are first reduced by merging neighbours in
// three sort orders.
const allPairsLimit = 160

type pair struct{ i, j int }

// mergeWorkPerBox bounds the neighbour-pair costs the large-group phase
// of reduce evaluates, per box of the group: a round merges a constant
// fraction of the excess, so normal inputs use a few dozen per box; only
// groups whose neighbour merges are nearly all refused (each would open a
// closed port) reach it, and those stop with a warning, over budget.
const mergeWorkPerBox = 256

// reduce merges boxes of one direction and family: free merges always,
// then the cheapest lossy merges until at most budget remain. Groups
// larger than allPairsLimit are first reduced in rounds: each round
// takes the cheapest neighbour pairs (in three sort orders), disjoint,
// up to half the excess over allPairsLimit, so the rounds are
// logarithmic and the cost O(n log² n) rather than a rescan per merge.
func (b *builder) reduce(group []*box, budget int, dir nacl.Direction, v6 bool) []*box {
	if len(group) > allPairsLimit {
		group = b.reduceRounds(group, dir, v6)
		if len(group) > allPairsLimit {
			// The all-pairs phase would cost O(n²) memory and O(n³) time.
			return group
		}
	}
	n := len(group)
	if n < 2 {
		return group
	}
	// Pair costs are cached; a merge replaces box i and retires box j, so
	// only row/column i is recomputed.
	cost := make([][]float64, n)
	for i := range cost {
		cost[i] = make([]float64, n)
		for j := i + 1; j < n; j++ {
			cost[i][j] = b.cost(group[i], group[j])
		}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	left := n
	for left > 1 {
		best, bestCost := pair{-1, -1}, math.Inf(1)
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			row := cost[i]
			for j := i + 1; j < n; j++ {
				if alive[j] && row[j] < bestCost {
					best, bestCost = pair{i, j}, row[j]
				}
			}
		}
		if best.i < 0 || (bestCost > 0 && left <= budget) {
			break
		}
		b.record(group[best.i], group[best.j], bestCost, dir, v6, left-1)
		group[best.i] = mergeBoxes(group[best.i], group[best.j])
		alive[best.j] = false
		left--
		i := best.i
		for k := 0; k < n; k++ {
			if !alive[k] || k == i {
				continue
			}
			c := b.cost(group[min(i, k)], group[max(i, k)])
			cost[min(i, k)][max(i, k)] = c
		}
	}
	out := make([]*box, 0, left)
	for i, bx := range group {
		if alive[i] {
			out = append(out, bx)
		}
	}
	slices.SortFunc(out, compareBoxes)
	return out
}

// reduceRounds merges neighbour pairs of a large group in rounds until at
// most allPairsLimit boxes remain, no neighbour merge is allowed, or the
// work limit is reached (then it warns: the rule list stays over budget).
func (b *builder) reduceRounds(group []*box, dir nacl.Direction, v6 bool) []*box {
	limit := mergeWorkPerBox*len(group) + 1024
	var cands []cand
	for len(group) > allPairsLimit {
		cands = cands[:0]
		for _, pr := range neighbours(group) {
			b.res.mergeWork++
			limit--
			if c := b.cost(group[pr.i], group[pr.j]); !math.IsInf(c, 1) {
				cands = append(cands, cand{pr, c})
			}
		}
		if len(cands) == 0 {
			break // every neighbour merge would open a closed port
		}
		if limit < 0 {
			b.warn(Message{Kind: MsgMergeWorkLimit, Direction: dir, IPv6: v6, Count: len(group), Limit: mergeWorkPerBox})
			break
		}
		sortCands(cands)
		quota := max(1, (len(group)-allPairsLimit)/2)
		used := make([]bool, len(group))
		left := len(group)
		for _, c := range cands {
			if quota == 0 {
				break
			}
			if used[c.i] || used[c.j] {
				continue
			}
			used[c.i], used[c.j] = true, true
			left--
			quota--
			b.record(group[c.i], group[c.j], c.cost, dir, v6, left)
			group[c.i] = mergeBoxes(group[c.i], group[c.j])
			group[c.j] = nil
		}
		group = slices.DeleteFunc(group, func(bx *box) bool { return bx == nil })
		slices.SortFunc(group, compareBoxes)
	}
	return group
}

// cand is a merge candidate of reduceRounds: a pair and its cost.
type cand struct {
	pair
	cost float64
}

// sortCands orders merge candidates by cost, equal costs in pair order:
// the candidates come in pair order (neighbours), so this is their stable
// sort by cost, without the stable sort's extra work.
func sortCands(cands []cand) {
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(x.cost, y.cost); c != 0 {
			return c
		}
		if x.i != y.i {
			return x.i - y.i
		}
		return x.j - y.j
	})
}

// record counts a free merge or reports a lossy one; rules is the number
// of rules of the group after it.
func (b *builder) record(a, c *box, cost float64, dir nacl.Direction, v6 bool, rules int) {
	if cost == 0 {
		b.res.Lossless++
		return
	}
	mg := Merge{Direction: dir, IPv6: v6, Added: cost, AddedBits: math.Log2(1 + cost), Rules: rules}
	if !b.rulesOnly {
		m := merged(a, c)
		mg.A, mg.B, mg.To = ruleText(a.entry()), ruleText(c.entry()), ruleText(m.entry())
	}
	b.res.Merges = append(b.res.Merges, mg)
}

// neighbours returns candidate pairs (i < j) of a large group: boxes next
// to each other in service order, in address order, and in protocol then
// prefix-length order.
func neighbours(group []*box) []pair {
	n := len(group)
	out := make([]pair, 0, 3*n)
	idx := make([]int, n)
	add := func(cmpf func(x, y int) int) {
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, cmpf)
		for k := 0; k+1 < n; k++ {
			out = append(out, pair{min(idx[k], idx[k+1]), max(idx[k], idx[k+1])})
		}
	}
	// The group is in service order: its neighbours are consecutive.
	for k := 0; k+1 < n; k++ {
		out = append(out, pair{k, k + 1})
	}
	add(func(x, y int) int {
		if r := group[x].prefix.Addr().Compare(group[y].prefix.Addr()); r != 0 {
			return r
		}
		return x - y
	})
	add(func(x, y int) int {
		a, c := group[x], group[y]
		if a.proto != c.proto {
			return protoOrder(a.proto) - protoOrder(c.proto)
		}
		if r := a.prefix.Bits() - c.prefix.Bits(); r != 0 {
			return r
		}
		return x - y
	})
	// Sorted, each pair once.
	slices.SortFunc(out, func(p, q pair) int {
		if p.i != q.i {
			return p.i - q.i
		}
		return p.j - q.j
	})
	return slices.Compact(out)
}
