package synth

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// peerMapOf returns a peerMap holding the entries of m.
func peerMapOf(m map[addrKey]peerUse) *peerMap {
	pm := newPeerMap()
	for k, u := range m {
		pm.set(k.addr(), u)
	}
	return pm
}

// TestPeerMap: a peerMap holds what a map keyed by addrKey holds, for
// IPv4, IPv6, IPv4-mapped IPv6 and the zero address; its keys are keyOf's.
func TestPeerMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ref := map[addrKey]peerUse{}
	pm := newPeerMap()
	for i := range 5000 {
		var a netip.Addr
		switch rng.IntN(4) {
		case 0, 1:
			a = netip.AddrFrom4([4]byte{byte(rng.IntN(3)), 51, byte(rng.IntN(4)), byte(rng.IntN(256))})
		case 2:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(rng.IntN(256))})
		default:
			if i%2 == 0 {
				a = netip.AddrFrom16(netip.AddrFrom4([4]byte{0, 51, 0, byte(rng.IntN(256))}).As16())
			}
		}
		u := pm.get(a)
		if u != ref[keyOf(a)] {
			t.Fatalf("%v: %+v, want %+v", a, u, ref[keyOf(a)])
		}
		u.convs++
		u.first = int64(i)
		pm.set(a, u)
		ref[keyOf(a)] = u
	}
	if pm.len() != len(ref) {
		t.Fatalf("%d peers, want %d", pm.len(), len(ref))
	}
	n := 0
	for k, u := range pm.all() {
		n++
		if want, ok := ref[k]; !ok || u != want {
			t.Fatalf("key %+v (%v): %+v, want %+v (present %v)", k, k.addr(), u, want, ok)
		}
	}
	if n != len(ref) {
		t.Fatalf("all yielded %d peers, want %d", n, len(ref))
	}
}

// TestClientMap: a clientMap gives each client one group index, and
// sorted yields the clients in the order of the former sort (addrKey
// compare, then transport) with their indexes, for IPv4, IPv6,
// IPv4-mapped IPv6 and the zero address.
func TestClientMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var m clientMap
	ref := map[clientMapKey]int32{}
	for range 4000 {
		var a netip.Addr
		switch rng.IntN(5) {
		case 0, 1, 2:
			a = netip.AddrFrom4([4]byte{byte(rng.IntN(2) * 255), 51, byte(rng.IntN(4)), byte(rng.IntN(256))})
		case 3:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(rng.IntN(256))})
			if rng.IntN(2) == 0 {
				a = netip.AddrFrom16(netip.AddrFrom4([4]byte{0, 51, 0, byte(rng.IntN(256))}).As16())
			}
		}
		proto := []uint8{6, 17}[rng.IntN(2)]
		k := clientMapKey{addr: keyOf(a), proto: proto}
		want, ok := ref[k]
		if !ok {
			want = int32(len(ref))
			ref[k] = want
		}
		if gi := m.index(a, proto, int32(len(ref)-1)); gi != want {
			t.Fatalf("%v/%d: group %d, want %d", a, proto, gi, want)
		}
	}
	if m.len() != len(ref) {
		t.Fatalf("%d clients, want %d", m.len(), len(ref))
	}
	wantOrder := make([]keyedGroup, 0, len(ref))
	for k, gi := range ref {
		wantOrder = append(wantOrder, keyedGroup{k, gi})
	}
	slices.SortFunc(wantOrder, func(x, y keyedGroup) int {
		if c := x.k.addr.compare(y.k.addr); c != 0 {
			return c
		}
		return cmp.Compare(x.k.proto, y.k.proto)
	})
	got := slices.Collect(m.sorted())
	if !slices.Equal(got, wantOrder) {
		t.Fatalf("sorted: %d clients, want %d in the order of addrKey.compare", len(got), len(wantOrder))
	}
	// Past packedGroups groups the IPv4 clients are sorted unpacked.
	defer func(n int32) { packedGroups = n }(packedGroups)
	packedGroups = int32(len(ref) / 2)
	if got := slices.Collect(m.sorted()); !slices.Equal(got, wantOrder) {
		t.Fatalf("sorted unpacked: %d clients, want %d in the order of addrKey.compare", len(got), len(wantOrder))
	}
}

// TestPeerSet: a peerSet holds the addresses a set of netip.Addr holds
// (IPv4, IPv6, IPv4-mapped IPv6, the zero address) and gives them back.
func TestPeerSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var s peerSet
	ref := map[netip.Addr]bool{}
	for range 3000 {
		var a netip.Addr
		switch rng.IntN(4) {
		case 0, 1:
			a = netip.AddrFrom4([4]byte{198, 51, byte(rng.IntN(4)), byte(rng.IntN(256))})
		case 2:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(rng.IntN(256))})
			if rng.IntN(2) == 0 {
				a = netip.AddrFrom16(netip.AddrFrom4([4]byte{198, 51, 0, byte(rng.IntN(256))}).As16())
			}
		}
		if s.has(a) != ref[a] {
			t.Fatalf("has(%v) = %v, want %v", a, s.has(a), ref[a])
		}
		s.add(a)
		ref[a] = true
	}
	got := s.appendAddrs(nil)
	if s.len() != len(ref) || len(got) != len(ref) {
		t.Fatalf("%d addresses (%d given back), want %d", s.len(), len(got), len(ref))
	}
	for _, a := range got {
		if !ref[a] {
			t.Fatalf("gave back %v, not added", a)
		}
	}
}
