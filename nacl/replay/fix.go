package replay

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/text"
)

// Fix is the smallest rule that would let a group of denied packets
// through one NACL check, numbered below the rule that blocks them.
type Fix struct {
	ACL       string
	ACLRef    *nacl.ACL
	SubnetID  string
	Direction nacl.Direction
	// Blocking is the rule number that denies the packets today.
	Blocking int
	// Role is the leg the fix is for (request or response).
	Role string
	// Entry is the suggested rule (RuleNumber 0 when no free number exists).
	Entry nacl.Entry
	// Line is Entry in the native text format ("in 125 allow tcp 198.51.100.20/32 32768-60999").
	Line string
	// Profile names the ephemeral profile used for the port range, "" if none.
	Profile string
	// Conversations are the IDs of the conversations the fix repairs.
	Conversations []int
	// Note adds advice (common choice of CIDR, renumbering needed, ...).
	Note string
}

// fixKey groups denied packets that one rule can let through.
type fixKey struct {
	acl      *nacl.ACL
	subnetID string
	dir      nacl.Direction
	rule     int
	role     string
	proto    uint8
	v6       bool
	port     uint16 // request legs: the destination (server) port
	icmpT    int
	icmpC    int
}

// fixGroup accumulates one group incrementally: the smallest prefix
// covering its peers, whether they all lie in the first peer's subnet,
// and the range of its response ports (all a fix depends on).
type fixGroup struct {
	key      fixKey
	cover    netip.Prefix // valid once a peer was added
	sub      netip.Prefix // the first peer's modelled subnet, when subOK
	subOK    bool
	lo, hi   uint16
	hasPorts bool
	convs    []int
}

// fixer groups the denied checks of conversations (add) and proposes one
// rule per group (fixes).
type fixer struct {
	j      *Judge
	groups map[fixKey]*fixGroup
	order  []fixKey
	index  map[fixKey]int
}

func newFixer(j *Judge) *fixer { return &fixer{j: j, groups: map[fixKey]*fixGroup{}} }

// eachFixKey calls fn for every denied check of cr's denied keys, with the
// group key, the peer and, for response legs with ports, the client port.
func eachFixKey(cr *ConvResult, fn func(k fixKey, peer netip.Addr, port uint16, hasPort bool)) {
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
				if c.Action != nacl.Deny || c.ACLRef == nil {
					continue
				}
				k := fixKey{acl: c.ACLRef, subnetID: c.SubnetID, dir: c.Direction, rule: c.Rule, role: l.Role,
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
				fn(k, peer, kr.Key.DstPort, isPorts && l.Role == RoleResponse && kr.Key.HasPort)
			}
		}
	}
}

// add groups the denied checks of one conversation.
func (fx *fixer) add(cr *ConvResult) {
	eachFixKey(cr, func(k fixKey, peer netip.Addr, port uint16, hasPort bool) {
		g := fx.groups[k]
		if g == nil {
			g = &fixGroup{key: k}
			fx.groups[k] = g
			fx.order = append(fx.order, k)
		}
		if !g.cover.IsValid() {
			g.cover = HostPrefix(peer)
			if fx.j != nil {
				if _, p := fx.j.lookup(peer); p.IsValid() && p.Bits() != p.Addr().BitLen() {
					g.sub, g.subOK = p, true
				}
			}
		} else {
			for !g.cover.Contains(peer) && g.cover.Bits() > 0 {
				g.cover, _ = g.cover.Addr().Prefix(g.cover.Bits() - 1)
			}
			if g.subOK && !g.sub.Contains(peer) {
				g.subOK = false
			}
		}
		if hasPort {
			if !g.hasPorts {
				g.lo, g.hi, g.hasPorts = port, port, true
			} else {
				g.lo, g.hi = min(g.lo, port), max(g.hi, port)
			}
		}
		if len(g.convs) == 0 || g.convs[len(g.convs)-1] != cr.Conv.ID {
			g.convs = append(g.convs, cr.Conv.ID)
		}
	})
}

// fixes proposes one rule per group, in a stable order, and indexes them.
func (fx *fixer) fixes() []Fix {
	order := fx.order
	slices.SortStableFunc(order, func(a, b fixKey) int {
		return cmp.Or(cmp.Compare(a.acl.ID, b.acl.ID), cmp.Compare(a.subnetID, b.subnetID), cmp.Compare(a.dir, b.dir),
			cmp.Compare(a.rule, b.rule), cmp.Compare(a.role, b.role), cmp.Compare(a.proto, b.proto),
			cmp.Compare(a.port, b.port), cmp.Compare(a.icmpT, b.icmpT), cmp.Compare(a.icmpC, b.icmpC))
	})
	used := map[usedKey]map[int]bool{}
	var fixes []Fix
	fx.index = make(map[fixKey]int, len(order))
	for _, k := range order {
		fx.index[k] = len(fixes)
		fixes = append(fixes, buildFix(fx.groups[k], used))
	}
	return fixes
}

// indexes returns the indexes (ascending) of the fixes that repair cr, nil if none.
func (fx *fixer) indexes(cr *ConvResult) []int {
	if cr.Request.Denied == 0 && cr.Response.Denied == 0 {
		return nil
	}
	var out []int
	eachFixKey(cr, func(k fixKey, _ netip.Addr, _ uint16, _ bool) {
		if i, ok := fx.index[k]; ok && !slices.Contains(out, i) {
			out = append(out, i)
		}
	})
	slices.Sort(out)
	return out
}

type usedKey struct {
	acl *nacl.ACL
	dir nacl.Direction
}

// buildFix proposes the rule for one group.
func buildFix(g *fixGroup, used map[usedKey]map[int]bool) Fix {
	fromSubnet := func(p netip.Prefix) bool { return g.subOK && g.sub == p }
	k := g.key
	f := Fix{ACL: k.acl.ID, ACLRef: k.acl, SubnetID: k.subnetID, Direction: k.dir, Blocking: k.rule, Role: k.role, Conversations: g.convs}
	e := nacl.Entry{Direction: k.dir, Action: nacl.Allow, Protocol: int(k.proto), ICMPType: -1, ICMPCode: -1,
		Comment: fmt.Sprintf("flowverify: lets %d conversation(s) through (blocked by rule %d)", len(g.convs), k.rule)}
	e.CIDR = coveringPrefix(g.cover, k.v6)
	if g.subOK {
		e.CIDR = g.sub
	}
	var notes []string
	switch k.proto {
	case nacl.ProtoTCP, nacl.ProtoUDP:
		if k.role == RoleRequest {
			e.Ports = nacl.PortRange{From: k.port, To: k.port}
		} else if lo, hi, name, desc, ok := clientRange(g.portRange()); ok {
			e.Ports = nacl.PortRange{From: lo, To: hi}
			f.Profile = name
			notes = append(notes, "ports: "+desc)
		} else {
			e.Ports = nacl.PortRange{From: g.lo, To: g.hi}
			notes = append(notes, "ports: the observed client ports fit no known ephemeral profile, so the rule covers exactly the observed range")
		}
	case nacl.ProtoICMP, nacl.ProtoICMPv6:
		e.ICMPType, e.ICMPCode = k.icmpT, k.icmpC
	}
	if e.CIDR.Bits() > 0 && !fromSubnet(e.CIDR) && k.role == RoleResponse && (k.proto == nacl.ProtoTCP || k.proto == nacl.ProtoUDP) {
		all := "0.0.0.0/0"
		if k.v6 {
			all = "::/0"
		}
		notes = append(notes, "with many peers "+all+" is the common choice for the CIDR")
	}
	num, why := pickRuleNumber(k.acl, k.dir, k.rule, used)
	e.RuleNumber = num
	if why != "" {
		notes = append(notes, why)
	}
	f.Entry = e
	f.Line = text.Rule(&e)
	if e.RuleNumber == 0 {
		// No free number (see Note): a placeholder the reader must fill.
		f.Line = strings.Replace(f.Line, " ", " ? ", 1)
	}
	f.Note = strings.Join(notes, "; ")
	return f
}

// portRange returns the lowest and highest response port (nil without ports).
func (g *fixGroup) portRange() []uint16 {
	if !g.hasPorts {
		return nil
	}
	return []uint16{g.lo, g.hi}
}

// covering returns the smallest prefix covering every peer; when that is
// wider than a /16 (IPv4) or /32 (IPv6) it returns 0.0.0.0/0 or ::/0.
func covering(peers []netip.Addr, v6 bool) netip.Prefix {
	if len(peers) == 0 {
		return coveringPrefix(netip.Prefix{}, v6)
	}
	p := HostPrefix(peers[0])
	for _, a := range peers[1:] {
		for !p.Contains(a) && p.Bits() > 0 {
			p, _ = p.Addr().Prefix(p.Bits() - 1)
		}
	}
	return coveringPrefix(p, v6)
}

// coveringPrefix widens p (the smallest prefix covering the peers,
// invalid when there are none) to the whole family when it is wider than
// a /16 (IPv4) or /32 (IPv6).
func coveringPrefix(p netip.Prefix, v6 bool) netip.Prefix {
	all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	minBits := 16
	if v6 {
		all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		minBits = 32
	}
	if !p.IsValid() || p.Bits() < minBits {
		return all
	}
	return p
}

// pickRuleNumber returns a free rule number below the blocking rule so
// that the blocking rule cannot shadow the new rule. The room is between
// the ACL's own highest rule below the blocking rule and the blocking rule
// (numbers given to earlier fixes do not shrink it). The preferred number
// is blocking-5 when that lies in the room, else blocking-1; free numbers
// are taken downward from it, then upward above it. Below a default rule
// it is the next multiple of 10 after the highest rule so far. It returns
// 0 and a reason when no number is free.
func pickRuleNumber(acl *nacl.ACL, dir nacl.Direction, blocking int, used map[usedKey]map[int]bool) (int, string) {
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
	take := func(n int) (int, string) { taken[n] = true; return n, "" }
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
		return 0, "no free rule number: the ACL uses every number"
	}
	// The ACL's own rule just below the blocking rule bounds the room.
	below := 0
	for _, e := range acl.Entries {
		if e.Direction == dir && e.RuleNumber < blocking && e.RuleNumber > below {
			below = e.RuleNumber
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
	return 0, fmt.Sprintf("no free rule number between %d and the blocking rule %d: renumber the rules to make room", below, blocking)
}

// clientRange picks the port range for a response rule from the observed
// client ports: the narrowest ephemeral profile covering them, except that
// when both the Linux and the Windows/IANA ranges cover them (ports in
// 49152-60999 say nothing about the client's OS) it is 32768-65535, the
// union of both and the range AWS's own example NACL uses.
func clientRange(ports []uint16) (lo, hi uint16, name, desc string, ok bool) {
	p, ok := ephemeral.Narrowest(ports)
	if !ok {
		return 0, 0, "", "", false
	}
	linux, _ := ephemeral.ByName("linux")
	win, _ := ephemeral.ByName("windows")
	a, b := slices.Min(ports), slices.Max(ports)
	if linux.Contains(a) && linux.Contains(b) && win.Contains(a) && win.Contains(b) {
		return linux.From, win.To, "linux+windows", fmt.Sprintf("the observed client ports fit both the Linux (%s) and the Windows/IANA (%s) ephemeral ranges; %d-%d covers both", rangeText(linux), rangeText(win), linux.From, win.To), true
	}
	return p.From, p.To, p.Name, fmt.Sprintf("the %s ephemeral range %s (%s)", p.Name, rangeText(p), p.Description), true
}

func rangeText(p ephemeral.Profile) string { return fmt.Sprintf("%d-%d", p.From, p.To) }
