package synth

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"go4.org/netipx"
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
		got := b.familyBox(proto, 1, peerMapOf(peers))
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

// refServiceBoxes is serviceBoxes as it was before its shortcuts (the
// whole family and a single prefix built without sorting): the slow
// reference of TestServiceBoxesReference.
func refServiceBoxes(b *builder, k svcKey, peers map[addrKey]peerUse) []*box {
	addrs := make([]netip.Addr, 0, len(peers))
	for a := range peers {
		addrs = append(addrs, a.addr())
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	widened := make([]netip.Prefix, 0, len(addrs))
	seen := map[netip.Prefix]bool{}
	restricted := false
	if k.kind == KindService && k.ports.From == k.ports.To {
		a := b.decs[decKey{dir: k.dir, v6: k.v6, proto: uint8(k.proto), port: k.ports.From}]
		restricted = a != nil && a.d != nil && a.d.Intent == IntentRestricted
	}
	for _, a := range addrs {
		p := b.peerPrefix(peers[keyOf(a)], a)
		if !seen[p] {
			seen[p] = true
			widened = append(widened, p)
		}
	}
	proto := &box{dir: k.dir, v6: k.v6, proto: k.proto, ports: k.ports, icmpType: k.icmpT, icmpCode: k.icmpC, kind: k.kind, profile: k.profile}
	units := proto.serviceUnits()
	var prefixes []netip.Prefix
	if len(widened) > b.opts.MaxPeers && !restricted {
		all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if k.v6 {
			all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		prefixes = []netip.Prefix{all}
	} else {
		var sb netipx.IPSetBuilder
		for _, p := range widened {
			sb.AddPrefix(p)
		}
		set, _ := sb.IPSet()
		prefixes = set.Prefixes()
	}
	out := make([]*box, 0, len(prefixes))
	i := 0
	for _, p := range prefixes {
		bx := *proto
		bx.prefix = p
		first := true
		for i < len(addrs) && p.Contains(addrs[i]) {
			pu := peers[keyOf(addrs[i])]
			bx.use.merge(pu.usage(addrs[i]))
			bx.intended += units
			var in Intent
			if pu.dec > 0 {
				in = b.res.Decisions[pu.dec-1].Intent
			}
			if first {
				bx.intent = in
			} else if in != bx.intent {
				bx.mixed, bx.intent = true, ""
			}
			first = false
			i++
		}
		if restricted && !bx.mixed && bx.intent == "" {
			bx.intent = IntentRestricted
		}
		out = append(out, &bx)
	}
	return out
}

// TestServiceBoxesReference: serviceBoxes builds the boxes of the slow
// reference for random peer sets: public peers (one prefix, or the whole
// family past --max-peers), exact and /24-widened peers, mixed
// decisions, the other family among them, and a restricted port.
func TestServiceBoxesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		o := opts("10.0.1.0/24")
		o.MaxPeers = 1 + rng.IntN(40)
		o.PeerPrefix4 = []int{32, 24, 16}[rng.IntN(3)]
		b := &builder{opts: &o, modelled: o.modelled(), decs: map[decKey]*decAcc{},
			res: &Result{Decisions: []Decision{{Intent: IntentPublic}, {Intent: IntentRestricted}, {Intent: IntentSubnet}}}}
		k := svcKey{dir: nacl.Ingress, v6: trial%5 == 4, proto: 6, ports: nacl.PortRange{From: 22, To: 22}, kind: KindService}
		if trial%3 == 0 {
			b.decs[decKey{dir: k.dir, v6: k.v6, proto: 6, port: 22}] = &decAcc{d: &b.res.Decisions[1]}
		}
		decs := []int32{1}[:1]
		switch trial % 4 {
		case 1:
			decs = []int32{0, 2, 3}
		case 2:
			decs = []int32{0}
		case 3:
			decs = []int32{1, 1, 1, 2}
		}
		peers := map[addrKey]peerUse{}
		for i := range rng.IntN(120) {
			a := netip.AddrFrom4([4]byte{198, byte(51 + rng.IntN(1+trial%3)), byte(rng.IntN(8)), byte(rng.IntN(256))})
			if k.v6 != (trial%7 == 6 && i%9 == 0) {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 7: byte(rng.IntN(4)), 15: byte(i)})
			}
			peers[keyOf(a)] = peerUse{convs: int32(1 + rng.IntN(3)), dec: decs[rng.IntN(len(decs))], first: int64(1 + rng.IntN(1000)), last: int64(1000 + rng.IntN(1000))}
		}
		got, want := b.serviceBoxes(k, peerMapOf(peers)), refServiceBoxes(b, k, peers)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d boxes, reference %d", trial, len(got), len(want))
		}
		for i := range got {
			if *got[i] != *want[i] {
				t.Fatalf("trial %d box %d: %+v, reference %+v", trial, i, *got[i], *want[i])
			}
		}
	}
}
