package synth

import (
	"net/netip"
	"slices"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// hasClientGroup reports whether the response of u crosses a boundary
// on a ported protocol: the conversations whose client port joins a
// client group (noteClient) and whose response rules depend on the
// group's range (require).
func hasClientGroup(u *usedConv) bool {
	return u.c.HasPorts() && u.seenResp && u.resp != 0
}

// noteClient records the client port of a conversation whose response
// crosses a boundary, and queues the index of its client group for
// require, which meets the same conversations in the same order.
func (b *builder) noteClient(u *usedConv) {
	if !hasClientGroup(u) {
		return
	}
	c := u.c
	gi := b.clients.index(c.Client.Addr, c.Proto, int32(len(b.groups)))
	if int(gi) == len(b.groups) {
		b.groups = append(b.groups, clientPorts{})
	}
	b.groups[gi].add(c.Client.Port, b.forcedFor(c.Client.Addr), &b.clientSets)
	b.groupOf = append(b.groupOf, gi)
}

// nextGroup returns the client group of the next conversation require
// meets with hasClientGroup, in the order noteClient queued them.
func (b *builder) nextGroup() *clientPorts {
	g := &b.groups[b.groupOf[b.groupNext]]
	b.groupNext++
	return g
}

// chooseRanges decides every client group's response range, in a
// deterministic order.
func (b *builder) chooseRanges() {
	n := b.clients.len()
	// The client map is not needed any more: the groups are reached
	// through groupOf.
	sorted := b.clients.sorted()
	b.clients = clientMap{}
	if !b.rulesOnly {
		b.res.Clients = make([]ClientRange, 0, n)
	}
	warns, notes := newAggregate(), newAggregate()
	for kg := range sorted {
		k, g := clientKey{addr: kg.k.addr.addr(), proto: kg.k.proto}, &b.groups[kg.gi]
		public := b.opts.Peers == PeersIntent && !b.inSubnets(k.addr) && !isPrivate(b.modelled, k.addr)
		f := b.forcedFor(k.addr)
		cr, msg, warning, ex := g.choose(k, f, public, b.clientSets)
		g.rng, g.profile, g.forced = cr.Range, b.profileIndex(cr.Profile), cr.Forced
		if !b.rulesOnly {
			if warning {
				warns.add(msg, ex)
			} else {
				notes.add(msg, ex)
			}
			b.res.Clients = append(b.res.Clients, cr)
		}
		if f != nil && len(cr.Outside) > 0 {
			g.outIdx = int32(len(b.res.OutsideForced))
			b.res.OutsideForced = append(b.res.OutsideForced, OutsideForced{Client: k.addr, Proto: k.proto, Ports: cr.Outside, Profile: f.Name, Range: f.Range})
		}
	}
	b.res.Warnings = append(b.res.Warnings, warns.msgs...)
	b.res.Notes = append(b.res.Notes, notes.msgs...)
}

// profileIndex returns the index of profile name in b.profiles, adding
// it when new (there are a handful).
func (b *builder) profileIndex(name string) int16 {
	if i := slices.Index(b.profiles, name); i >= 0 {
		return int16(i)
	}
	b.profiles = append(b.profiles, name)
	return int16(len(b.profiles) - 1)
}

// forcedFor returns the forced response range of client a: the most
// specific Options.EphemeralFor prefix holding it, else Options.Ephemeral
// (nil: chosen from the observations).
func (b *builder) forcedFor(a netip.Addr) *EphemeralChoice {
	var best *EphemeralFor
	for i := range b.opts.EphemeralFor {
		e := &b.opts.EphemeralFor[i]
		if e.Prefix.Contains(a) && (best == nil || e.Prefix.Bits() > best.Prefix.Bits()) {
			best = e
		}
	}
	if best != nil {
		return &best.Choice
	}
	return b.opts.Ephemeral
}

// inSubnets reports whether a lies in a protected subnet.
func (b *builder) inSubnets(a netip.Addr) bool {
	for _, p := range b.opts.Subnets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forcedOut records a conversation whose client port lies outside the
// forced ephemeral range; g is its client group.
func (b *builder) forcedOut(c *flows.Conversation, g *clientPorts) {
	if b.res.forcedOut == nil {
		b.res.forcedOut = map[int]netip.AddrPort{}
	}
	b.res.forcedOut[c.ID] = netip.AddrPortFrom(c.Client.Addr, c.Client.Port)
	b.res.OutsideForced[g.outIdx].Convs++
}

// add records that peer needs service k, on behalf of one conversation
// leg, generalised as decision d says (nil: the peer itself). The peer
// map of the last key is remembered per kind of leg (slot 0: requests,
// 1: responses), which runs of conversations of one service share.
func (b *builder) add(slot int, k svcKey, peer netip.Addr, d *Decision, first, last time.Time) {
	e := &b.svcMemo[slot]
	m := e.m
	if m == nil || e.k != k {
		if m = b.services[k]; m == nil {
			m = newPeerMap()
			b.services[k] = m
		}
		e.k, e.m = k, m
	}
	u := m.get(peer)
	if d != nil && b.prefixFor(d, peer).Bits() < b.peerPrefix(u, peer).Bits() {
		u.dec = int32(d.index + 1)
	}
	u.add(first, last)
	m.set(peer, u)
}

// peerPrefix is the rule prefix of peer as recorded in u.
func (b *builder) peerPrefix(u peerUse, peer netip.Addr) netip.Prefix {
	var d *Decision
	if u.dec > 0 {
		d = &b.res.Decisions[u.dec-1]
	}
	return b.prefixFor(d, peer)
}

// addLeg adds one observed leg of c in every direction it crosses (resp:
// the response leg); its peers are generalised by the conversation's
// decision in that direction (c nil: kept exact).
func (b *builder) addLeg(c *flows.Conversation, resp bool, p *nacl.Packet, dirs dirSet, base svcKey, first, last time.Time) {
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		if dirs&(1<<dir) == 0 {
			continue
		}
		k := base
		k.dir = dir
		k.v6 = p.Src.Is6()
		peer := p.Src
		if k.dir == nacl.Egress {
			peer = p.Dst
		}
		var d *Decision
		if c != nil {
			if a := b.decisionFor(c, dir, resp); a != nil {
				d = a.d
			}
		}
		slot := 0
		if resp {
			slot = 1
		}
		b.add(slot, k, peer, d, first, last)
	}
}

// require turns a classified conversation into service requirements.
func (b *builder) require(u *usedConv) {
	c := u.c
	req, resp := legPackets(c)
	proto := int(c.Proto)
	switch {
	case c.HasPorts():
		if u.seenReq {
			b.addLeg(c, false, &req, u.req, svcKey{proto: proto, ports: nacl.PortRange{From: c.Server.Port, To: c.Server.Port}, kind: KindService},
				c.ToServer.First, c.ToServer.Last)
		}
		if hasClientGroup(u) {
			g := b.nextGroup()
			profile := b.profiles[g.profile]
			// The group's range always gets a rule (a forced range too, even
			// when no observed port lies in it); ports outside it get exact
			// rules so that every observed response is allowed.
			if profile != "exact" {
				k := svcKey{proto: proto, kind: KindResponse, profile: profile, ports: g.rng}
				b.addLeg(c, true, &resp, u.resp, k, c.ToClient.First, c.ToClient.Last)
			}
			if g.forced && !g.rng.Contains(c.Client.Port) {
				// The forced range is what the user asked for: no rule on
				// the observed port, the replies are denied (reported).
				b.forcedOut(c, g)
			} else if profile == "exact" || !g.rng.Contains(c.Client.Port) {
				k := svcKey{proto: proto, kind: KindResponse, profile: "exact", ports: nacl.PortRange{From: c.Client.Port, To: c.Client.Port}}
				b.addLeg(c, true, &resp, u.resp, k, c.ToClient.First, c.ToClient.Last)
			}
		}
	case c.Proto == capture.ProtoICMP || c.Proto == capture.ProtoICMPv6:
		obs := b.opts.Observations.icmpOf(c)
		switch {
		case len(obs) > 0:
			// Handled with the ICMP shapes below.
		case isEcho(c):
			b.addICMPLeg(c, false, &req, u.req, c.ToServer, int(req.ICMPType), 0)
			b.addICMPLeg(c, true, &resp, u.resp, c.ToClient, int(resp.ICMPType), 0)
		default:
			b.unknownICMP++
			b.addICMPLeg(nil, false, &req, u.req, c.ToServer, -1, -1)
			b.addICMPLeg(nil, true, &resp, u.resp, c.ToClient, -1, -1)
		}
	default:
		if u.seenReq {
			b.addLeg(nil, false, &req, u.req, svcKey{proto: proto, kind: KindProtocol}, c.ToServer.First, c.ToServer.Last)
		}
		if u.seenResp {
			b.addLeg(nil, true, &resp, u.resp, svcKey{proto: proto, kind: KindProtocol}, c.ToClient.First, c.ToClient.Last)
		}
	}
	// Every ICMP shape of the conversation: echo, other types, and ICMP
	// errors quoting its packets.
	for _, o := range b.opts.Observations.icmpOf(c) {
		if !o.Packet.HasICMP {
			continue
		}
		jd := b.judge.Judge(&o.Packet)
		if jd.Verdict != replay.Allow {
			continue
		}
		if b.denies != nil && b.deniedShape(&o.Packet, &jd) {
			continue
		}
		k := svcKey{proto: int(o.Packet.Proto), icmpT: int(o.Packet.ICMPType), icmpC: int(o.Packet.ICMPCode), kind: KindICMP}
		// Echo requests and replies follow the echo service's decision;
		// other types and ICMP errors keep their exact peers.
		var dc *flows.Conversation
		if isEcho(c) && !o.ICMPError {
			dc = c
		}
		b.addLeg(dc, o.Packet.Src == c.Server.Addr, &o.Packet, dirsOf(&jd), k, c.First(), c.Last())
	}
}

// deniedShape reports (and records as a conflict) an ICMP shape a kept
// deny rule drops.
func (b *builder) deniedShape(p *nacl.Packet, jd *replay.Judgement) bool {
	for i := 0; i < jd.NCheck; i++ {
		d := b.denies.Evaluate(jd.Checks[i].Direction, p)
		if d.Action == nacl.Deny && !d.IsDefault() {
			b.warn(Message{Kind: MsgKeptDenyICMP, Packet: *p, Direction: jd.Checks[i].Direction, Rule: nacl.Entry{RuleNumber: d.RuleNumber}})
			return true
		}
	}
	return false
}

func (b *builder) addICMPLeg(c *flows.Conversation, resp bool, p *nacl.Packet, dirs dirSet, st flows.DirStats, t, code int) {
	if st.Packets == 0 {
		return
	}
	b.addLeg(c, resp, p, dirs, svcKey{proto: int(p.Proto), icmpT: t, icmpC: code, kind: KindICMP}, st.First, st.Last)
}
