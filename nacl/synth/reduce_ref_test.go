package synth

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/nacl"
)

// refSupernet is supernet as it was, comparing the 128-bit forms bit by
// bit: the reference of TestSupernetReference.
func refSupernet(p, q netip.Prefix) netip.Prefix {
	bits := min(p.Bits(), q.Bits())
	a, b := p.Addr().As16(), q.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 96
	}
	common := 0
	for i := 0; i < 128; i++ {
		if (a[i/8]>>(7-i%8))&1 != (b[i/8]>>(7-i%8))&1 {
			break
		}
		common = i + 1
	}
	bits = min(bits, common-off)
	s, _ := p.Addr().Prefix(max(bits, 0))
	return s
}

// randPrefix returns a random IPv4 or IPv6 prefix, often close to others
// (few distinct high bits) so that supernets are long.
func randPrefix(rng *rand.Rand, v6 bool) netip.Prefix {
	if !v6 {
		a := netip.AddrFrom4([4]byte{byte(198 + rng.IntN(2)), byte(51 + rng.IntN(2)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		p, _ := a.Prefix(rng.IntN(33))
		return p
	}
	var b [16]byte
	b[0], b[1] = 0x20, 0x01
	for _, i := range []int{2, 7, 8, 12, 15} {
		b[i] = byte(rng.IntN(4))
	}
	p, _ := netip.AddrFrom16(b).Prefix(rng.IntN(129))
	return p
}

// TestSupernetReference: supernet equals the bit-by-bit reference on
// random prefixes of each family and across families.
func TestSupernetReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 200000 {
		p, q := randPrefix(rng, rng.IntN(3) == 0), randPrefix(rng, rng.IntN(3) == 0)
		if rng.IntN(10) == 0 {
			q = p
		}
		if got, want := supernet(p, q), refSupernet(p, q); got != want {
			t.Fatalf("supernet(%v, %v) = %v, reference %v", p, q, got, want)
		}
	}
}

// refNeighbours is neighbours as it was (pairs deduplicated by a map as
// they are found, then sorted): the reference of TestNeighboursReference.
func refNeighbours(group []*box) []pair {
	n := len(group)
	seen := map[pair]bool{}
	var out []pair
	idx := make([]int, n)
	add := func(cmpf func(x, y int) int) {
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, cmpf)
		for k := 0; k+1 < n; k++ {
			p := pair{min(idx[k], idx[k+1]), max(idx[k], idx[k+1])}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	add(func(x, y int) int { return x - y })
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
	slices.SortFunc(out, func(p, q pair) int {
		if p.i != q.i {
			return p.i - q.i
		}
		return p.j - q.j
	})
	return out
}

// TestNeighboursReference: neighbours gives the reference's pairs for
// random groups (repeated prefixes and protocols, so that the three
// orders share pairs).
func TestNeighboursReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		group := make([]*box, rng.IntN(400))
		for i := range group {
			group[i] = &box{proto: []int{nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP}[rng.IntN(3)], prefix: randPrefix(rng, false),
				ports: nacl.PortRange{From: uint16(rng.IntN(100)), To: uint16(100 + rng.IntN(100))}}
		}
		slices.SortFunc(group, compareBoxes)
		if got, want := neighbours(group), refNeighbours(group); !slices.Equal(got, want) {
			t.Fatalf("trial %d (%d boxes): %d pairs, reference %d", trial, len(group), len(got), len(want))
		}
	}
}

// TestSortCandsReference: sortCands orders the candidates of a group as
// the stable sort by cost it replaces, with many equal costs.
func TestSortCandsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for range 200 {
		group := make([]*box, 2+rng.IntN(300))
		for i := range group {
			group[i] = &box{proto: nacl.ProtoTCP, prefix: randPrefix(rng, false)}
		}
		var cands []cand
		for _, p := range neighbours(group) {
			cands = append(cands, cand{p, float64(rng.IntN(5))})
		}
		want := slices.Clone(cands)
		slices.SortStableFunc(want, func(x, y cand) int { return cmp.Compare(x.cost, y.cost) })
		sortCands(cands)
		if !slices.Equal(cands, want) {
			t.Fatalf("%d candidates: order differs from the stable sort by cost", len(cands))
		}
	}
}
