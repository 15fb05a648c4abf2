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
	return out
}

// serviceBoxes builds the boxes of one service.
func (b *builder) serviceBoxes(k svcKey, peers map[addrKey]peerUse) []*box {
	type peer struct {
		key addrKey
		use peerUse
	}
	addrs := make([]peer, 0, len(peers))
	for a, u := range peers {
		addrs = append(addrs, peer{key: a, use: u})
	}
	slices.SortFunc(addrs, func(x, y peer) int { return x.key.compare(y.key) })
	// Each peer becomes the prefix its widest decision gave it (see
	// builder.add); distinct prefixes are what MaxPeers counts.
	widened := make([]netip.Prefix, 0, len(addrs))
	seen := make(map[netip.Prefix]bool, min(len(addrs), b.opts.MaxPeers+1))
	restricted := false
	if k.kind == KindService && k.ports.From == k.ports.To {
		a := b.decs[decKey{dir: k.dir, v6: k.v6, proto: uint8(k.proto), port: k.ports.From}]
		restricted = a != nil && a.d != nil && a.d.Intent == IntentRestricted
	}
	for _, a := range addrs {
		p := b.peerPrefix(a.use, a.key.addr())
		if !seen[p] {
			seen[p] = true
			widened = append(widened, p)
			if len(widened) > b.opts.MaxPeers && !restricted {
				break // the whole family: the rest need not be counted
			}
		}
	}
	proto := &box{dir: k.dir, v6: k.v6, proto: k.proto, ports: k.ports, icmpType: k.icmpT, icmpCode: k.icmpC, kind: k.kind, profile: k.profile}
	units := proto.serviceUnits()
	var prefixes []netip.Prefix
	// A restricted port (IntentRestricted) is never opened to the whole
	// family by the peer count: only a budget merge, which is reported.
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
		set, err := sb.IPSet()
		if err != nil {
			// Cannot happen with valid prefixes; keep each peer exact.
			prefixes = widened
		} else {
			prefixes = set.Prefixes()
		}
	}
	out := make([]*box, 0, len(prefixes))
	i := 0
	for _, p := range prefixes {
		bx := *proto
		bx.prefix = p
		// prefixes and addrs are both sorted: walk them together.
		first := true
		for i < len(addrs) && p.Contains(addrs[i].key.addr()) {
			pu, a := addrs[i].use, addrs[i].key.addr()
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
