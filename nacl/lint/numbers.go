package lint

import "github.com/flowverify/flowverify/nacl"

// usedNumbers returns the rule numbers in use in one direction (both
// families: AWS numbers entries per direction).
func usedNumbers(gs map[groupKey]*group, dir nacl.Direction) map[int]bool {
	used := map[int]bool{}
	for _, v6 := range []bool{false, true} {
		for _, r := range gs[groupKey{dir, v6}].rules {
			used[r.num] = true
		}
	}
	return used
}

// suggestNumber proposes a free rule number below limit for a new entry:
// after the highest used number when that is below limit, else the largest
// free multiple of 10 (then any free number) below limit; 0 when none.
func suggestNumber(used map[int]bool, limit int) int {
	limit = min(limit, nacl.MaxRuleNumber+1)
	if len(used) == 0 {
		return min(100, limit-1)
	}
	top := 0
	for n := range used {
		top = max(top, n)
	}
	if top < limit {
		if n := (top/10 + 1) * 10; n < limit {
			return n
		}
		if top+1 < limit {
			return top + 1
		}
	}
	for n := (limit - 1) / 10 * 10; n > 0; n -= 10 {
		if !used[n] {
			return n
		}
	}
	for n := limit - 1; n > 0; n-- {
		if !used[n] {
			return n
		}
	}
	return 0
}
