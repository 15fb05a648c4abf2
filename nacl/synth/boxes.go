package synth

import (
	"net/netip"
	"slices"

	"go4.org/netipx"
)

// boxes turns every service's peer set into rules: peers widened to the
// peer prefix, aggregated into the fewest exact prefixes, or replaced by
// the whole address family when there are more than MaxPeers.
func (b *builder) boxes() []*box {
	keys := make([]svcKey, 0, len(b.services))
	for k := range b.services {
		keys = append(keys, k)
	}
	var out []*box
	for _, k := range keys {
		out = append(out, b.serviceBoxes(k, b.services[k])...)
	}
	slices.SortFunc(out, compareBoxes)
	// The per-peer maps are not needed any more: free them before the
	// budget merges allocate.
	b.noteServed()
	b.services = nil
	b.svcMemo[0].m, b.svcMemo[1].m = nil, nil
	return out
}

// serviceBoxes builds the boxes of one service.
func (b *builder) serviceBoxes(k svcKey, peers *peerMap) []*box {
	restricted := false
	if k.kind == KindService && k.ports.From == k.ports.To {
		a := b.decs[decKey{dir: k.dir, v6: k.v6, proto: uint8(k.proto), port: k.ports.From}]
		restricted = a != nil && a.d != nil && a.d.Intent == IntentRestricted
	}
	proto := &box{dir: k.dir, v6: k.v6, proto: k.proto, ports: k.ports, icmpType: k.icmpT, icmpCode: k.icmpC, kind: k.kind, profile: k.profile}
	units := proto.serviceUnits()
	// A restricted port (IntentRestricted) is never opened to the whole
	// family by the peer count: only a budget merge, which is reported.
	switch one, many := b.fewPrefixes(peers); {
	case many && !restricted:
		return []*box{b.familyBox(proto, units, peers)}
	case one.IsValid():
		if bx, ok := b.prefixBox(proto, units, peers, one); ok {
			if restricted && !bx.mixed && bx.intent == "" {
				bx.intent = IntentRestricted
			}
			return []*box{bx}
		}
	}
	type peer struct {
		key addrKey
		use peerUse
	}
	addrs := make([]peer, 0, peers.len())
	for a, u := range peers.all() {
		addrs = append(addrs, peer{key: a, use: u})
	}
	slices.SortFunc(addrs, func(x, y peer) int { return x.key.compare(y.key) })
	// Each peer becomes the prefix its widest decision gave it (see
	// builder.add), aggregated into the fewest exact prefixes.
	widened := make([]netip.Prefix, 0, len(addrs))
	seen := map[netip.Prefix]bool{}
	for _, a := range addrs {
		p := b.peerPrefix(a.use, a.key.addr())
		if !seen[p] {
			seen[p] = true
			widened = append(widened, p)
		}
	}
	var prefixes []netip.Prefix
	var sb netipx.IPSetBuilder
	for _, p := range widened {
		sb.AddPrefix(p)
	}
	set, err := sb.IPSet()
	if err != nil {
		// Cannot happen with valid prefixes; keep each peer exact.
		prefixes = widened
	} else {
		prefixes = set.Prefixes()
	}
	out := make([]*box, 0, len(prefixes))
	i := 0
	for _, p := range prefixes {
		bx := *proto
		bx.prefix = p
		// prefixes and addrs are both sorted: walk them together.
		for first := true; i < len(addrs) && p.Contains(addrs[i].key.addr()); first = false {
			b.addPeer(&bx, first, addrs[i].use, addrs[i].key.addr(), units)
			i++
		}
		if restricted && !bx.mixed && bx.intent == "" {
			bx.intent = IntentRestricted
		}
		out = append(out, &bx)
	}
	return out
}

// fewPrefixes counts the distinct prefixes the peers of a service widen
// to (see builder.add), up to MaxPeers+1: many says there are more than
// MaxPeers (what MaxPeers counts, which opens the whole address family);
// one is the prefix when all widen to the same one. Neither depends on
// the order.
func (b *builder) fewPrefixes(peers *peerMap) (one netip.Prefix, many bool) {
	seen := map[netip.Prefix]bool{}
	for a, u := range peers.all() {
		p := b.peerPrefix(u, a.addr())
		if !seen[p] {
			seen[p] = true
			one = p
			if len(seen) > b.opts.MaxPeers {
				return netip.Prefix{}, true
			}
		}
	}
	if len(seen) != 1 {
		return netip.Prefix{}, false
	}
	return one, false
}

// prefixBox is the one box of a service whose peers all widen to prefix
// p, as the sorted walk of serviceBoxes makes it: aggregating one prefix
// gives itself (when it is in canonical form), every peer lies in it, and
// merging their use does not depend on the order. ok is false, to fall
// back to the walk, when p is not canonical or a peer lies outside it.
func (b *builder) prefixBox(proto *box, units float64, peers *peerMap, p netip.Prefix) (*box, bool) {
	if p != p.Masked() {
		return nil, false
	}
	bx := *proto
	bx.prefix = p
	first := true
	for a, u := range peers.all() {
		addr := a.addr()
		if !p.Contains(addr) {
			return nil, false
		}
		b.addPeer(&bx, first, u, addr, units)
		first = false
	}
	return &bx, true
}

// familyBox is the one box of a service open to the whole address family
// (0.0.0.0/0 or ::/0), with the use of its peers. It is what the sorted
// walk of serviceBoxes gives for that one prefix, without sorting: the
// walk takes the peers in the family when they sort first (no peer of a
// shorter address), and merging their use does not depend on the order.
func (b *builder) familyBox(proto *box, units float64, peers *peerMap) *box {
	bx := *proto
	bx.prefix = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if proto.v6 {
		bx.prefix = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	bits := uint8(bx.prefix.Addr().BitLen())
	for a := range peers.all() {
		if a.bits < bits {
			return &bx // sorts before the family: the walk takes no peer
		}
	}
	first := true
	for a, u := range peers.all() {
		if a.bits == bits {
			b.addPeer(&bx, first, u, a.addr(), units)
			first = false
		}
	}
	return &bx
}

// addPeer adds the use of one peer (address a) to bx; first says it is
// the box's first peer.
func (b *builder) addPeer(bx *box, first bool, pu peerUse, a netip.Addr, units float64) {
	bx.use.merge(pu.usage(a))
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
}
