package replay

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/text"
	"go4.org/netipx"
)

// Fix is one rule of a change set: an allow rule that lets the denied
// packets of conversations (breakage, or every class with FixAll)
// through one ACL, numbered below the rule that blocks them. Fixes are
// made per ACL, not per subnet: two subnets sharing an ACL share them.
type Fix struct {
	ACL    string
	ACLRef *nacl.ACL
	// SubnetID lists the subnets whose conversations need the rule
	// (comma-separated, sorted).
	SubnetID  string
	Direction nacl.Direction
	// Blocking is the rule number that denies the packets today.
	Blocking int
	// Role is the leg the fix is for (request or response).
	Role Role
	// Entry is the rule (RuleNumber 0 when no free number exists).
	Entry nacl.Entry
	// Line is Entry in the native text format ("in 125 allow tcp 198.51.100.20/32 32768-60999").
	Line string
	// Profile names the ephemeral profile used for the port range, "" if none.
	Profile string
	// Conversations are the IDs of the conversations the fix repairs.
	Conversations []int
	// Notes are advice about the rule (choice of port range, merges made
	// to fit the quota, ...), as data: render writes the sentences.
	Notes []FixNote
}

// FixNoteKind names a piece of advice about a Fix.
type FixNoteKind uint8

// The advice a Fix can carry.
const (
	// NoteProfile: the response ports follow the ephemeral profile
	// Profile ("linux+windows": the union of the Linux and Windows/IANA
	// ranges, which the observed ports both fit).
	NoteProfile FixNoteKind = iota + 1
	// NoteExactPorts: the observed client ports fit no known ephemeral
	// profile, so the rule covers exactly the observed range.
	NoteExactPorts
	// NotePeersSubnet: every peer lies in the modelled subnet Subnet,
	// which the rule names.
	NotePeersSubnet
	// NotePortsLeftOut: Ports were left out of the range, since
	// conversations that get no fix use them.
	NotePortsLeftOut
	// NoteMerged: merged with other fixes to fit the quota, so wider than
	// the observed traffic.
	NoteMerged
	// NoteNoRuleNumber: no free rule number between Below and the
	// blocking rule Blocking.
	NoteNoRuleNumber
	// NoteACLFull: no free rule number at all.
	NoteACLFull
	// NotePublicPeers: Below distinct peers, all in public address space
	// and more than PublicPeers, on a port that is not administrative:
	// the service is public, so the rule names Subnet (0.0.0.0/0 or ::/0)
	// rather than a list of addresses that tomorrow's peers will miss.
	NotePublicPeers
)

// PublicPeers is how many distinct public peers a fix's service may have
// before it names the whole address family (NotePublicPeers), as synth's
// default --max-peers.
const PublicPeers = 8

// FixNote is a piece of advice about a Fix: its Kind and the values its
// sentence quotes (fields the kind does not use are zero).
type FixNote struct {
	Kind    FixNoteKind
	Profile string
	Subnet  netip.Prefix
	Ports   []uint16
	// Below and Blocking bound the rule numbers that were full.
	Below, Blocking int
}

// equal reports whether two notes say the same.
func (n FixNote) equal(m FixNote) bool {
	return n.Kind == m.Kind && n.Profile == m.Profile && n.Subnet == m.Subnet && slices.Equal(n.Ports, m.Ports) &&
		n.Below == m.Below && n.Blocking == m.Blocking
}

// fixKey groups denied packets that one rule can let through.
type fixKey struct {
	acl   *nacl.ACL
	dir   nacl.Direction
	rule  int
	role  Role
	proto uint8
	v6    bool
	port  uint16 // request legs: the destination (server) port
	icmpT int
	icmpC int
}

// fixGroup accumulates one group: its peers (with the conversations of
// each), the subnets involved and the range of its response ports.
type fixGroup struct {
	key      fixKey
	peers    map[netip.Addr][]int
	subnets  map[string]bool
	lo, hi   uint16
	hasPorts bool
	// sub is the modelled subnet of the first peer; subOK stays true
	// while every peer lies in it.
	sub   netip.Prefix
	subOK bool
}

// guardPacket is a denied packet that must stay denied (a conversation
// that gets no fix): merges that would let it through are not made.
type guardPacket struct {
	acl  *nacl.ACL
	dir  nacl.Direction
	rule int // the deny rule deciding it today
	p    nacl.Packet
	// conv and cause name its conversation, for messages.
	conv  int
	cause Cause
}

// maxGuard caps the packets kept to guard merges (the proof still
// replays every conversation).
const maxGuard = 1 << 18

// fixer groups the denied checks of the conversations to fix (add),
// remembers what must stay denied (guard) and proposes the change sets.
type fixer struct {
	j      *Judge
	groups map[fixKey]*fixGroup
	order  []fixKey
	guards []guardPacket
	// Built by build:
	fixes    []Fix
	matchers []*nacl.Evaluator
	sets     []ChangeSet
	// mergeCount counts the quota merges of the bucket being reduced;
	// blocked is the first guarded packet that forbade one of them.
	mergeCount int
	blocked    *guardPacket
}

func newFixer(j *Judge) *fixer { return &fixer{j: j, groups: map[fixKey]*fixGroup{}} }

// eachDenied calls fn for every deny check of every denied packet view
// of cr (non-first fragments left out: no port rule can let them through).
func eachDenied(cr *ConvResult, fn func(l *Leg, kr *KeyResult, c *Check)) {
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		if l.Denied == 0 {
			continue
		}
		for i := range l.Keys {
			kr := &l.Keys[i]
			if kr.Judgement.Verdict != Deny || kr.Fragment {
				continue
			}
			for n := 0; n < kr.Judgement.NCheck; n++ {
				c := &kr.Judgement.Checks[n]
				if c.Action == nacl.Deny && c.ACLRef != nil {
					fn(l, kr, c)
				}
			}
		}
	}
}

// add groups the denied checks of one conversation to fix.
func (fx *fixer) add(cr *ConvResult) {
	eachDenied(cr, func(l *Leg, kr *KeyResult, c *Check) {
		k := fixKey{acl: c.ACLRef, dir: c.Direction, rule: c.Rule, role: l.Role,
			proto: kr.Key.Proto, v6: kr.Key.Src.Is6(), icmpT: -1, icmpC: -1}
		isPorts := kr.Key.Proto == nacl.ProtoTCP || kr.Key.Proto == nacl.ProtoUDP
		if isPorts && l.Role == RoleRequest && kr.Key.HasPort {
			k.port = kr.Key.DstPort
		}
		if (kr.Key.Proto == nacl.ProtoICMP || kr.Key.Proto == nacl.ProtoICMPv6) && kr.Key.HasICMP {
			k.icmpT, k.icmpC = int(kr.Key.ICMPType), int(kr.Key.ICMPCode)
		}
		peer := kr.Key.Src
		if c.Direction == nacl.Egress {
			peer = kr.Key.Dst
		}
		g := fx.groups[k]
		if g == nil {
			g = &fixGroup{key: k, peers: map[netip.Addr][]int{}, subnets: map[string]bool{}}
			if _, p := fx.j.lookup(peer); p.IsValid() && p.Bits() != p.Addr().BitLen() {
				g.sub, g.subOK = p, true
			}
			fx.groups[k] = g
			fx.order = append(fx.order, k)
		}
		if g.subOK && !g.sub.Contains(peer) {
			g.subOK = false
		}
		if ids := g.peers[peer]; len(ids) == 0 || ids[len(ids)-1] != cr.Conv.ID {
			g.peers[peer] = append(ids, cr.Conv.ID)
		}
		g.subnets[c.SubnetID] = true
		if isPorts && l.Role == RoleResponse && kr.Key.HasPort {
			port := kr.Key.DstPort
			if !g.hasPorts {
				g.lo, g.hi, g.hasPorts = port, port, true
			} else {
				g.lo, g.hi = min(g.lo, port), max(g.hi, port)
			}
		}
	})
}

// snapshot returns a fixer holding fx's groups as they are now, as if
// fed the same conversations (but no guards). Later adds to fx do not
// change it: groups, peers and subnets are copied, and the ID lists share
// storage only up to their current length, which fx appends after.
func (fx *fixer) snapshot() *fixer {
	s := &fixer{j: fx.j, groups: make(map[fixKey]*fixGroup, len(fx.groups)), order: slices.Clone(fx.order)}
	for k, g := range fx.groups {
		c := *g
		c.peers = make(map[netip.Addr][]int, len(g.peers))
		for a, ids := range g.peers {
			c.peers[a] = ids[:len(ids):len(ids)]
		}
		c.subnets = maps.Clone(g.subnets)
		s.groups[k] = &c
	}
	return s
}

// guard remembers the denied packets of a conversation that gets no fix.
func (fx *fixer) guard(cr *ConvResult) {
	eachDenied(cr, func(_ *Leg, kr *KeyResult, c *Check) {
		if len(fx.guards) < maxGuard {
			fx.guards = append(fx.guards, guardPacket{acl: c.ACLRef, dir: c.Direction, rule: c.Rule, p: kr.Key, conv: cr.Conv.ID, cause: cr.Class.Cause})
		}
	})
}

// candidates turns every group into rules: one per prefix of its peers
// aggregated exactly (netipx), or the peers' subnet when they all lie in
// one modelled subnet (the ACL's own VPC: a new instance there gets a new
// address); ports and ICMP type as the group says.
func (fx *fixer) candidates() []*candidate {
	var out []*candidate
	for _, k := range fx.order {
		g := fx.groups[k]
		e := nacl.Entry{Direction: k.dir, Action: nacl.Allow, Protocol: int(k.proto), ICMPType: -1, ICMPCode: -1}
		var notes []FixNote
		profile := ""
		switch k.proto {
		case nacl.ProtoTCP, nacl.ProtoUDP:
			if k.role == RoleRequest {
				e.Ports = nacl.PortRange{From: k.port, To: k.port}
			} else if lo, hi, name, ok := clientRange(g.portRange()); ok {
				e.Ports = nacl.PortRange{From: lo, To: hi}
				profile = name
				notes = append(notes, FixNote{Kind: NoteProfile, Profile: name})
			} else {
				e.Ports = nacl.PortRange{From: g.lo, To: g.hi}
				notes = append(notes, FixNote{Kind: NoteExactPorts})
			}
		case nacl.ProtoICMP, nacl.ProtoICMPv6:
			e.ICMPType, e.ICMPCode = k.icmpT, k.icmpC
		}
		// The peers are sorted only to be aggregated: one prefix holding
		// them all (their subnet, the whole family) needs no order.
		addrs := slices.AppendSeq(make([]netip.Addr, 0, len(g.peers)), maps.Keys(g.peers))
		sorted := false
		prefixes := make([]netip.Prefix, 0, len(addrs))
		if g.subOK {
			prefixes = append(prefixes, g.sub)
			notes = append(notes, FixNote{Kind: NotePeersSubnet, Subnet: g.sub})
		} else if all, ok := fx.publicService(k, &e, addrs); ok {
			prefixes = append(prefixes, all)
			notes = append(notes, FixNote{Kind: NotePublicPeers, Subnet: all, Below: len(addrs)})
		} else {
			slices.SortFunc(addrs, netip.Addr.Compare)
			sorted = true
			prefixes = aggregate(prefixes, addrs)
		}
		subnets := slices.Sorted(maps.Keys(g.subnets))
		i := 0 // prefixes and addrs are both sorted: walk them together
		for _, p := range prefixes {
			c := &candidate{key: k, e: e, profile: profile, notes: slices.Clone(notes), subnets: subnets}
			c.e.CIDR = p
			if !sorted { // one prefix: the peers it holds, in any order
				for _, a := range addrs {
					if p.Contains(a) {
						c.convs = append(c.convs, g.peers[a]...)
					}
				}
			}
			for i < len(addrs) && sorted && !p.Contains(addrs[i]) && addrs[i].Less(p.Addr()) {
				i++
			}
			for i < len(addrs) && sorted && p.Contains(addrs[i]) {
				c.convs = append(c.convs, g.peers[addrs[i]]...)
				i++
			}
			slices.Sort(c.convs)
			c.convs = slices.Compact(c.convs)
			out = append(out, fx.carve(c)...)
		}
	}
	return out
}

// aggregate appends the fewest prefixes that hold exactly addrs (netipx),
// or one host prefix per address if they cannot be aggregated.
func aggregate(prefixes []netip.Prefix, addrs []netip.Addr) []netip.Prefix {
	var sb netipx.IPSetBuilder
	for _, a := range addrs {
		sb.Add(a)
	}
	if set, err := sb.IPSet(); err == nil {
		return append(prefixes, set.Prefixes()...)
	}
	for _, a := range addrs {
		prefixes = append(prefixes, HostPrefix(a))
	}
	return prefixes
}

// cgnat is the shared address space of RFC 6598, private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicService reports whether the group's rule e should name the whole
// address family: more than PublicPeers distinct peers, every one in
// public address space (not private, not in a modelled subnet), on a
// request port that is not an administrative or database port
// (flows.RestrictedPorts), and the widened rule lets no guarded packet
// (a refused, unanswered or explicitly denied connection) through.
func (fx *fixer) publicService(k fixKey, e *nacl.Entry, addrs []netip.Addr) (netip.Prefix, bool) {
	if len(addrs) <= PublicPeers {
		return netip.Prefix{}, false
	}
	if (k.proto == nacl.ProtoTCP || k.proto == nacl.ProtoUDP) && k.role == RoleRequest && flows.IsRestrictedPort(k.port) {
		return netip.Prefix{}, false
	}
	for _, a := range addrs {
		if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a) {
			return netip.Prefix{}, false
		}
		if _, p := fx.j.lookup(a); p.IsValid() {
			return netip.Prefix{}, false
		}
	}
	all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if k.v6 {
		all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	wide := *e
	wide.CIDR = all
	if opensAny(fx.bucketGuards(bucket{k.acl, k.dir, k.v6}), k.dir, k.rule, &wide) != nil {
		return netip.Prefix{}, false
	}
	return all, true
}

// carve splits a candidate's port range around the destination ports of
// guarded packets it would let through (a refused, unanswered or
// explicitly denied connection from the same peers), so that a fix never
// opens what the capture says should stay shut.
func (fx *fixer) carve(c *candidate) []*candidate {
	if !c.e.UsesPorts() || len(fx.guards) == 0 {
		return []*candidate{c}
	}
	b := bucket{c.key.acl, c.key.dir, c.key.v6}
	var holes []uint16
	for i := range fx.guards {
		g := &fx.guards[i]
		if g.acl == b.acl && g.dir == b.dir && g.rule >= c.key.rule && g.p.Src.Is6() == b.v6 && entryMatches(&c.e, b.dir, &g.p) {
			holes = append(holes, g.p.DstPort)
		}
	}
	if len(holes) == 0 {
		return []*candidate{c}
	}
	slices.Sort(holes)
	holes = slices.Compact(holes)
	var out []*candidate
	piece := func(lo, hi int) {
		if lo > hi {
			return
		}
		p := *c
		p.e.Ports = nacl.PortRange{From: uint16(lo), To: uint16(hi)}
		p.notes = append(slices.Clone(c.notes), FixNote{Kind: NotePortsLeftOut, Ports: holes})
		out = append(out, &p)
	}
	lo := int(c.e.Ports.From)
	for _, h := range holes {
		piece(lo, int(h)-1)
		lo = int(h) + 1
	}
	piece(lo, int(c.e.Ports.To))
	return out
}

// portRange returns the lowest and highest response port (nil without ports).
func (g *fixGroup) portRange() []uint16 {
	if !g.hasPorts {
		return nil
	}
	return []uint16{g.lo, g.hi}
}

// indexes returns the indexes (ascending) of the fixes that let a denied
// packet of cr through, nil if none.
func (fx *fixer) indexes(cr *ConvResult) []int {
	if cr.Request.Denied == 0 && cr.Response.Denied == 0 {
		return nil
	}
	var out []int
	eachDenied(cr, func(_ *Leg, kr *KeyResult, c *Check) {
		for i := range fx.fixes {
			f := &fx.fixes[i]
			if f.ACLRef == c.ACLRef && f.Direction == c.Direction && !slices.Contains(out, i) &&
				fx.matchers[i].Evaluate(c.Direction, &kr.Key).Entry == 0 {
				out = append(out, i)
			}
		}
	})
	slices.Sort(out)
	return out
}

type usedKey struct {
	acl *nacl.ACL
	dir nacl.Direction
}

// pickRuleNumber returns a free rule number below the blocking rule so
// that the blocking rule cannot shadow the new rule e. The room is
// between the ACL's highest rule below the blocking rule that overlaps e
// (any rule when e is nil) and the blocking rule: rules that share no
// packet with e may come after it without changing any verdict. Numbers
// given to earlier fixes do not shrink the room. The preferred number is
// blocking-5 when that lies in the room, else blocking-1; free numbers
// are taken downward from it, then upward above it. Below a default rule
// it is the next multiple of 10 after the highest rule so far. It returns
// 0 and a reason when no number is free.
func pickRuleNumber(acl *nacl.ACL, dir nacl.Direction, blocking int, e *nacl.Entry, used map[usedKey]map[int]bool) (int, FixNote) {
	uk := usedKey{acl, dir}
	if used[uk] == nil {
		used[uk] = map[int]bool{}
		for _, e := range acl.Entries {
			if e.Direction == dir {
				used[uk][e.RuleNumber] = true
			}
		}
	}
	taken := used[uk]
	take := func(n int) (int, FixNote) { taken[n] = true; return n, FixNote{} }
	if blocking > nacl.MaxRuleNumber {
		below := 0
		for n := range taken {
			if n < blocking && n > below && n <= nacl.MaxRuleNumber {
				below = n
			}
		}
		n := (below/10 + 1) * 10
		for ; n <= nacl.MaxRuleNumber; n++ {
			if !taken[n] {
				return take(n)
			}
		}
		for n = below; n >= 1; n-- {
			if !taken[n] {
				return take(n)
			}
		}
		return 0, FixNote{Kind: NoteACLFull}
	}
	// The ACL's own rule just below the blocking rule that shares
	// packets with e bounds the room.
	below := 0
	for i := range acl.Entries {
		r := &acl.Entries[i]
		if r.Direction == dir && r.RuleNumber < blocking && r.RuleNumber > below && (e == nil || overlaps(r, e)) {
			below = r.RuleNumber
		}
	}
	pref := blocking - 5
	if pref <= below {
		pref = blocking - 1
	}
	for n := pref; n > below; n-- {
		if !taken[n] {
			return take(n)
		}
	}
	for n := pref + 1; n < blocking; n++ {
		if !taken[n] {
			return take(n)
		}
	}
	return 0, FixNote{Kind: NoteNoRuleNumber, Below: below, Blocking: blocking}
}

// overlaps reports whether two entries of one direction match a common
// packet.
func overlaps(a, b *nacl.Entry) bool {
	if a.IsIPv6() != b.IsIPv6() || !a.CIDR.Overlaps(b.CIDR) {
		return false
	}
	if a.Protocol != nacl.ProtoAll && b.Protocol != nacl.ProtoAll && a.Protocol != b.Protocol {
		return false
	}
	if a.UsesPorts() && b.UsesPorts() && (a.Ports.To < b.Ports.From || b.Ports.To < a.Ports.From) {
		return false
	}
	if a.UsesICMP() && b.UsesICMP() && a.Protocol == b.Protocol {
		if a.ICMPType >= 0 && b.ICMPType >= 0 && a.ICMPType != b.ICMPType {
			return false
		}
		if a.ICMPType >= 0 && a.ICMPType == b.ICMPType && a.ICMPCode >= 0 && b.ICMPCode >= 0 && a.ICMPCode != b.ICMPCode {
			return false
		}
	}
	return true
}

// ruleLine formats e in the native text format
// ("in 125 allow tcp 198.51.100.20/32 32768-60999"), with "?" for the
// number when it has none (no free number: the reader must fill it).
func ruleLine(e *nacl.Entry) string {
	l := text.Rule(e)
	if e.RuleNumber == 0 {
		l = strings.Replace(l, " ", " ? ", 1) // text.Rule leaves the number out
	}
	return l
}

// clientRange picks the port range for a response rule from the observed
// client ports: the narrowest ephemeral profile covering them, except that
// when both the Linux and the Windows/IANA ranges cover them (ports in
// 49152-60999 say nothing about the client's OS) it is 32768-65535, the
// union of both and the range AWS's own example NACL uses.
func clientRange(ports []uint16) (lo, hi uint16, name string, ok bool) {
	p, ok := ephemeral.Narrowest(ports)
	if !ok {
		return 0, 0, "", false
	}
	linux, _ := ephemeral.ByName("linux")
	win, _ := ephemeral.ByName("windows")
	a, b := slices.Min(ports), slices.Max(ports)
	if linux.Contains(a) && linux.Contains(b) && win.Contains(a) && win.Contains(b) {
		return linux.From, win.To, ProfileLinuxWindows, true
	}
	return p.From, p.To, p.Name, true
}

// ProfileLinuxWindows names the response range of clients whose ports fit
// both the Linux and the Windows/IANA ephemeral ranges: their union.
const ProfileLinuxWindows = "linux+windows"
