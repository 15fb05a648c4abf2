package flows

import (
	"math/rand/v2"
	"testing"
)

// TestDequeMatchesSlice drives a deque and a slice with the same random
// pushes and pops across many chunk boundaries.
func TestDequeMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var q deque[int]
	var ref []int
	next := 0
	for step := range 300_000 {
		switch {
		case rng.IntN(100) < 55 || len(ref) == 0:
			q.push(next)
			ref = append(ref, next)
			next++
		default:
			if got, want := q.pop(), ref[0]; got != want {
				t.Fatalf("step %d: pop %d, want %d", step, got, want)
			}
			ref = ref[1:]
		}
		if q.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, q.len(), len(ref))
		}
		if len(ref) > 0 {
			i := rng.IntN(len(ref))
			if *q.at(i) != ref[i] || *q.front() != ref[0] {
				t.Fatalf("step %d: at(%d) %d, want %d", step, i, *q.at(i), ref[i])
			}
		}
	}
	if len(q.chunks) > len(ref)>>dequeChunkBits+2 {
		t.Errorf("%d chunks for %d values", len(q.chunks), len(ref))
	}
}

// TestIndexRemove inserts and removes keys at random in a small index
// (long probe runs that wrap around) and checks every lookup against a
// map.
func TestIndexRemove(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s store
	x := index{seed: 42}
	keyOf := func(n int) key { return key{a: addr128{lo: uint64(n % 300)}, pa: uint16(n), proto: 17} }
	want := map[key]int{}
	for step := range 200_000 {
		k := keyOf(rng.IntN(3000))
		tag := x.tag(&k)
		if i, ok := want[k]; ok && rng.IntN(2) == 0 {
			x.remove(tag, i)
			delete(want, k)
		} else if !ok {
			i, r := s.add()
			r.k = k
			x.setTag(&s, &k, tag, i)
			want[k] = i
		}
		if step%97 == 0 {
			for k, i := range want {
				if got := x.find(&s, &k); got != i {
					t.Fatalf("step %d: find = %d, want %d", step, got, i)
				}
			}
			if x.used != len(want) {
				t.Fatalf("step %d: %d entries, want %d", step, x.used, len(want))
			}
		}
		if k2 := keyOf(rng.IntN(3000)); want[k2] == 0 {
			if _, ok := want[k2]; !ok && x.find(&s, &k2) != -1 {
				t.Fatalf("step %d: removed key found", step)
			}
		}
	}
}
