package replay

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/flowverify/flowverify/nacl"
)

// BrokeGroup is the denied traffic of one deciding rule with one peer on
// one service: the summary's "what broke" line.
type BrokeGroup struct {
	// Peer is the address outside the denying check's subnet (the source
	// of an inbound denial, the destination of an outbound one).
	Peer netip.Addr
	// Proto and Port are the conversation's protocol and service (server)
	// port (HasPort for TCP/UDP); Role is the leg denied.
	Proto   uint8
	Port    uint16
	HasPort bool
	Role    Role
	// Conversations and Packets count the denied conversations and packets.
	Conversations int
	Packets       uint64
	First, Last   time.Time
	lastConv      int
}

// BrokeRule is the denied traffic of one deciding rule, its groups by
// peer and service, most conversations first.
type BrokeRule struct {
	ACL       string
	ACLRef    *nacl.ACL
	Direction nacl.Direction
	Rule      int
	// Entry is the index in ACLRef.Entries, -1 for a default rule.
	Entry         int
	Conversations int
	Packets       uint64
	First, Last   time.Time
	// Groups are by peer and service; Services roll them up by service
	// (leg, protocol, port), most conversations first.
	Groups   []BrokeGroup
	Services []BrokeService
	lastConv int
}

// BrokeService is the denied traffic of one deciding rule on one service
// (leg, protocol and service port), over all peers.
type BrokeService struct {
	Role          Role
	Proto         uint8
	Port          uint16
	HasPort       bool
	Conversations int
	Packets       uint64
	First, Last   time.Time
	// Peers counts the distinct peers; TopPeers are the peers with the
	// most conversations (at most TopPeers of them).
	Peers    int
	TopPeers []BrokeGroup
	lastConv int
}

type serviceKey struct {
	rule  ruleKey
	role  Role
	proto uint8
	port  uint16
	has   bool
}

// TopPeers is how many peers BrokeService.TopPeers keeps.
const TopPeers = 3

type brokeKey struct {
	rule ruleKey
	peer netip.Addr
	port uint16
	has  bool
	role Role
}

// brokeAcc accumulates the denied keys of affected conversations. The
// groups live in one slice (the map holds their indexes: no object per
// peer for the garbage collector to scan), each rule lists its groups in
// order of creation, and the last rule and service met are looked up
// first (a conversation's denied keys mostly share them).
type brokeAcc struct {
	rules    map[ruleKey]*BrokeRule
	groups   map[brokeKey]int32
	services map[serviceKey]*BrokeService
	// all holds the groups in chunks of groupChunk (growing never copies
	// them); byRule the indexes of each rule's groups.
	all    [][]BrokeGroup
	n      int32
	byRule map[*BrokeRule][]int32
	// The last rule and service met.
	lastRK ruleKey
	lastBR *BrokeRule
	lastSK serviceKey
	lastSV *BrokeService
}

// add counts the denied keys of conversation result cr.
func (b *brokeAcc) add(cr *ConvResult) {
	if b.rules == nil {
		b.rules, b.groups, b.services = map[ruleKey]*BrokeRule{}, map[brokeKey]int32{}, map[serviceKey]*BrokeService{}
		b.byRule = map[*BrokeRule][]int32{}
	}
	c := cr.Conv
	id := c.ID
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		for i := range l.Keys {
			kr := &l.Keys[i]
			jd := &kr.Judgement
			if jd.Verdict != Deny {
				continue
			}
			for ci := range jd.NCheck {
				ch := &jd.Checks[ci]
				if ch.Action != nacl.Deny {
					continue
				}
				rk := ruleKey{ch.ACLRef, ch.Direction, ch.Rule}
				br := b.lastBR
				if br == nil || rk != b.lastRK {
					if br = b.rules[rk]; br == nil {
						br = &BrokeRule{ACL: ch.ACL, ACLRef: ch.ACLRef, Direction: ch.Direction, Rule: ch.Rule, Entry: ch.Entry}
						b.rules[rk] = br
					}
					b.lastRK, b.lastBR = rk, br
				}
				peer := kr.Key.Src
				if ch.Direction == nacl.Egress {
					peer = kr.Key.Dst
				}
				gk := brokeKey{rule: rk, peer: peer, port: c.Server.Port, has: c.HasPorts(), role: l.Role}
				gi, ok := b.groups[gk]
				if !ok {
					gi = b.n
					b.n++
					if int(gi)/groupChunk == len(b.all) {
						b.all = append(b.all, make([]BrokeGroup, groupChunk))
					}
					*b.group(gi) = BrokeGroup{Peer: peer, Proto: c.Proto, Port: gk.port, HasPort: gk.has, Role: l.Role}
					b.groups[gk] = gi
					b.byRule[br] = append(b.byRule[br], gi)
				}
				g := b.group(gi)
				sk := serviceKey{rk, l.Role, c.Proto, gk.port, gk.has}
				sv := b.lastSV
				if sv == nil || sk != b.lastSK {
					if sv = b.services[sk]; sv == nil {
						sv = &BrokeService{Role: l.Role, Proto: c.Proto, Port: gk.port, HasPort: gk.has}
						b.services[sk] = sv
					}
					b.lastSK, b.lastSV = sk, sv
				}
				if sv.lastConv != id {
					sv.lastConv = id
					sv.Conversations++
				}
				sv.Packets += kr.Packets
				widen(&sv.First, &sv.Last, kr.First, kr.Last)
				if br.lastConv != id {
					br.lastConv = id
					br.Conversations++
				}
				if g.lastConv != id {
					if g.lastConv == 0 {
						sv.Peers++
					}
					g.lastConv = id
					g.Conversations++
				}
				br.Packets += kr.Packets
				g.Packets += kr.Packets
				widen(&br.First, &br.Last, kr.First, kr.Last)
				widen(&g.First, &g.Last, kr.First, kr.Last)
			}
		}
	}
}

// groupChunk is the size of brokeAcc's group chunks.
const groupChunk = 1024

// group returns group i.
func (b *brokeAcc) group(i int32) *BrokeGroup { return &b.all[i/groupChunk][i%groupChunk] }

// widen extends [first, last] to hold [f, l].
func widen(first, last *time.Time, f, l time.Time) {
	if first.IsZero() || f.Before(*first) {
		*first = f
	}
	if l.After(*last) {
		*last = l
	}
}

// list returns the rules, most denied conversations first (then packets,
// ACL, direction, rule), each with its groups in the same order (then
// peer, port).
func (b *brokeAcc) list() []BrokeRule {
	svcs := map[ruleKey][]*BrokeService{}
	for k, sv := range b.services {
		svcs[k.rule] = append(svcs[k.rule], sv)
	}
	out := make([]BrokeRule, 0, len(b.rules))
	for k, br := range b.rules {
		idx := b.byRule[br]
		gs := make([]BrokeGroup, len(idx))
		for i, gi := range idx {
			gs[i] = *b.group(gi)
		}
		slices.SortFunc(gs, func(x, y BrokeGroup) int {
			return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Packets, x.Packets),
				x.Peer.Compare(y.Peer), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Role, y.Role))
		})
		br.Groups = gs
		br.Services = services(svcs[k], gs)
		out = append(out, *br)
	}
	slices.SortFunc(out, func(x, y BrokeRule) int {
		return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Packets, x.Packets),
			cmp.Compare(x.ACL, y.ACL), cmp.Compare(x.Direction, y.Direction), cmp.Compare(x.Rule, y.Rule))
	})
	return out
}

// ChangeRule is the changes of a diff that one rule explains: for newly
// denied legs the rule of the new ACL that denies them, for newly allowed
// legs the rule of the old ACL that denied them.
type ChangeRule struct {
	Kind      ChangeKind
	ACL       string
	ACLRef    *nacl.ACL
	Direction nacl.Direction
	Rule      int
	// Entry is the index in ACLRef.Entries, -1 for a default rule.
	Entry int
	// Conversations counts the conversations, Legs the legs and Packets
	// the packets that changed.
	Conversations, Legs int
	Packets             uint64
}

// ByRule groups the changes by the rule that explains them: newly denied
// first, then most conversations first (then ACL, direction, rule).
// Changes whose checks name no denying rule are left out.
func (d *Diff) ByRule() []ChangeRule {
	type key struct {
		kind ChangeKind
		rule ruleKey
	}
	idx := map[key]int{}
	seen := map[key]map[int]bool{}
	var out []ChangeRule
	for i := range d.Changes {
		c := &d.Changes[i]
		checks := c.New
		if c.Kind == NewlyAllowed {
			checks = c.Old
		}
		var ch *Check
		for k := range checks {
			if checks[k].Action == nacl.Deny {
				ch = &checks[k]
				break
			}
		}
		if ch == nil {
			continue
		}
		k := key{c.Kind, ruleKey{ch.ACLRef, ch.Direction, ch.Rule}}
		n, ok := idx[k]
		if !ok {
			n = len(out)
			idx[k] = n
			seen[k] = map[int]bool{}
			out = append(out, ChangeRule{Kind: c.Kind, ACL: ch.ACL, ACLRef: ch.ACLRef, Direction: ch.Direction, Rule: ch.Rule, Entry: ch.Entry})
		}
		g := &out[n]
		g.Legs++
		g.Packets += c.Packets
		if !seen[k][c.Conv.ID] {
			seen[k][c.Conv.ID] = true
			g.Conversations++
		}
	}
	slices.SortStableFunc(out, func(x, y ChangeRule) int {
		return cmp.Or(boolCmp(x.Kind != NewlyDenied, y.Kind != NewlyDenied), cmp.Compare(y.Conversations, x.Conversations),
			cmp.Compare(y.Packets, x.Packets), cmp.Compare(x.ACL, y.ACL), cmp.Compare(x.Direction, y.Direction), cmp.Compare(x.Rule, y.Rule))
	})
	return out
}

// services sorts the services of one rule (most conversations first,
// then packets, leg, protocol, port) and fills their top peers from the
// rule's groups (sorted, most conversations first).
func services(svs []*BrokeService, gs []BrokeGroup) []BrokeService {
	type skey struct {
		role  Role
		proto uint8
		port  uint16
		has   bool
	}
	by := make(map[skey]*BrokeService, len(svs))
	for _, sv := range svs {
		by[skey{sv.Role, sv.Proto, sv.Port, sv.HasPort}] = sv
	}
	for i := range gs {
		g := &gs[i]
		if sv := by[skey{g.Role, g.Proto, g.Port, g.HasPort}]; sv != nil && len(sv.TopPeers) < TopPeers {
			sv.TopPeers = append(sv.TopPeers, *g)
		}
	}
	out := make([]BrokeService, 0, len(svs))
	for _, sv := range svs {
		out = append(out, *sv)
	}
	slices.SortFunc(out, func(x, y BrokeService) int {
		return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Packets, x.Packets), cmp.Compare(x.Role, y.Role),
			cmp.Compare(x.Proto, y.Proto), cmp.Compare(x.Port, y.Port))
	})
	return out
}
