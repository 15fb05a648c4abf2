package synth

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// TestAddrKey: an address survives its key, and keys order as
// netip.Addr.Compare orders addresses without a zone.
func TestAddrKey(t *testing.T) {
	addrs := []netip.Addr{{}}
	for _, s := range []string{"0.0.0.0", "10.0.0.1", "10.0.0.2", "9.255.255.255", "255.255.255.255",
		"::", "::1", "::ffff:10.0.0.1", "::a00:1", "2001:db8::1", "fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	for _, a := range addrs {
		if got := keyOf(a).addr(); got != a {
			t.Errorf("keyOf(%v).addr() = %v", a, got)
		}
		for _, b := range addrs {
			if got, want := keyOf(a).compare(keyOf(b)), a.Compare(b); got != want {
				t.Errorf("keyOf(%v).compare(keyOf(%v)) = %d, want %d", a, b, got, want)
			}
			if (keyOf(a) == keyOf(b)) != (a == b) {
				t.Errorf("keys of %v and %v: equal %v", a, b, keyOf(a) == keyOf(b))
			}
		}
	}
}

// TestFamilyBox: the whole-family box built without sorting equals the
// sorted walk over the peers for that one prefix (the walk takes peers
// while the prefix contains them), with peers of the other family and
// mixed intents.
func TestFamilyBox(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	o := opts("10.0.1.0/24")
	b := &builder{opts: &o, res: &Result{Decisions: []Decision{{Intent: IntentPublic}, {Intent: IntentRestricted}}}}
	for _, tc := range []struct {
		v6          bool
		other, zero bool
	}{{false, false, false}, {false, true, false}, {true, false, false}, {true, true, false}, {false, false, true}} {
		peers := map[addrKey]peerUse{}
		for i := range 300 {
			a := netip.AddrFrom4([4]byte{198, 51, byte(rng.IntN(256)), byte(i)})
			if tc.v6 != (tc.other && i%7 == 0) {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i), 14: byte(rng.IntN(256))})
			}
			peers[keyOf(a)] = peerUse{convs: int32(1 + rng.IntN(3)), dec: int32(rng.IntN(2)), first: int64(1 + rng.IntN(1000)), last: int64(1000 + rng.IntN(1000))}
		}
		if tc.zero {
			peers[keyOf(netip.Addr{})] = peerUse{convs: 1}
		}
		proto := &box{v6: tc.v6, proto: 6, kind: KindService}
		got := b.familyBox(proto, 1, peers)
		// The sorted walk.
		want := *proto
		want.prefix = got.prefix
		keys := make([]addrKey, 0, len(peers))
		for k := range peers {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, addrKey.compare)
		for i := 0; i < len(keys) && want.prefix.Contains(keys[i].addr()); i++ {
			b.addPeer(&want, i == 0, peers[keys[i]], keys[i].addr(), 1)
		}
		if *got != want {
			t.Errorf("%+v: familyBox %+v, sorted walk %+v", tc, *got, want)
		}
		if !tc.zero && !(tc.v6 && tc.other) && got.use.convs == 0 {
			t.Errorf("%+v: no peer taken", tc)
		}
	}
}
