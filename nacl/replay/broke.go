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
	// Groups are by peer and service, the BrokeGroups with the most
	// conversations (a flood has a group per peer); Services roll them
	// up by service (leg, protocol, port), most conversations first.
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

// BrokeGroups is how many groups BrokeRule.Groups keeps.
const BrokeGroups = 64

// brokeKey identifies a group: rule (an index into brokeAcc.rules), peer,
// service port and leg.
type brokeKey struct {
	peer netip.Addr
	rule int32
	port uint16
	has  bool
	resp bool
}

// groupAcc counts one group (its key says the rest): 48 bytes, no pointer.
type groupAcc struct {
	conversations, lastConv int
	packets                 uint64
	firstNS, lastNS         int64
	proto                   uint8
}

// brokeAcc accumulates the denied keys of affected conversations. A flood
// makes a group per peer, so a group is a map entry and 48 bytes in
// chunked storage (no object per peer for the garbage collector to scan);
// the last rule and service met are looked up first (a conversation's
// denied keys mostly share them).
type brokeAcc struct {
	ruleIdx  map[ruleKey]int32
	rules    []*BrokeRule
	groups   map[brokeKey]int32
	accs     [][]groupAcc
	n        int32
	services map[serviceKey]*BrokeService
	// The last rule and service met.
	lastRK ruleKey
	lastRI int32
	lastSK serviceKey
	lastSV *BrokeService
}

// groupChunk is the size of brokeAcc's group chunks.
const groupChunk = 1024

// acc returns the counters of group i.
func (b *brokeAcc) acc(i int32) *groupAcc { return &b.accs[i/groupChunk][i%groupChunk] }

// add counts the denied keys of conversation result cr.
func (b *brokeAcc) add(cr *ConvResult) {
	if b.ruleIdx == nil {
		b.ruleIdx, b.groups, b.services = map[ruleKey]int32{}, map[brokeKey]int32{}, map[serviceKey]*BrokeService{}
		b.lastRI = -1
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
				ri := b.lastRI
				if ri < 0 || rk != b.lastRK {
					var ok bool
					if ri, ok = b.ruleIdx[rk]; !ok {
						ri = int32(len(b.rules))
						b.rules = append(b.rules, &BrokeRule{ACL: ch.ACL, ACLRef: ch.ACLRef, Direction: ch.Direction, Rule: ch.Rule, Entry: ch.Entry})
						b.ruleIdx[rk] = ri
					}
					b.lastRK, b.lastRI = rk, ri
				}
				br := b.rules[ri]
				peer := kr.Key.Src
				if ch.Direction == nacl.Egress {
					peer = kr.Key.Dst
				}
				gk := brokeKey{peer: peer, rule: ri, port: c.Server.Port, has: c.HasPorts(), resp: l.Role == RoleResponse}
				gi, ok := b.groups[gk]
				if !ok {
					gi = b.n
					b.n++
					if int(gi)/groupChunk == len(b.accs) {
						b.accs = append(b.accs, make([]groupAcc, groupChunk))
					}
					*b.acc(gi) = groupAcc{proto: c.Proto, firstNS: zeroNS, lastNS: zeroNS}
					b.groups[gk] = gi
				}
				g := b.acc(gi)
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
					g.conversations++
				}
				br.Packets += kr.Packets
				g.packets += kr.Packets
				widen(&br.First, &br.Last, kr.First, kr.Last)
				widenNS(&g.firstNS, &g.lastNS, timeNS(kr.First), timeNS(kr.Last))
			}
		}
	}
}

// widenNS is widen on times as timeNS stores them (zeroNS: the zero time).
func widenNS(first, last *int64, f, l int64) {
	if *first == zeroNS || f < *first {
		*first = f
	}
	if l > *last {
		*last = l
	}
}

// widen extends [first, last] to hold [f, l].
func widen(first, last *time.Time, f, l time.Time) {
	if first.IsZero() || f.Before(*first) {
		*first = f
	}
	if l.After(*last) {
		*last = l
	}
}

// compareGroups orders groups: most conversations first, then packets,
// peer, port, leg, then what is left of their key (a total order).
func compareGroups(x, y *BrokeGroup) int {
	return cmp.Or(cmp.Compare(y.Conversations, x.Conversations), cmp.Compare(y.Packets, x.Packets),
		x.Peer.Compare(y.Peer), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Role, y.Role), boolCmp(x.HasPort, y.HasPort))
}

// keepTop inserts g into top, sorted by compareGroups and at most n long.
func keepTop(top []BrokeGroup, g *BrokeGroup, n int) []BrokeGroup {
	if len(top) == n && compareGroups(g, &top[n-1]) >= 0 {
		return top
	}
	i := len(top)
	for i > 0 && compareGroups(g, &top[i-1]) < 0 {
		i--
	}
	if len(top) < n {
		top = append(top, BrokeGroup{})
	}
	copy(top[i+1:], top[i:])
	top[i] = *g
	return top
}

// list returns the rules, most denied conversations first (then packets,
// ACL, direction, rule), each with its top groups (BrokeGroups of them)
// and its services, each with its top peers (TopPeers), in the order of
// compareGroups: without sorting or holding every group.
func (b *brokeAcc) list() []BrokeRule {
	svcs := map[ruleKey][]*BrokeService{}
	for k, sv := range b.services {
		svcs[k.rule] = append(svcs[k.rule], sv)
	}
	for k, gi := range b.groups {
		a := b.acc(gi)
		br := b.rules[k.rule]
		g := BrokeGroup{Peer: k.peer, Proto: a.proto, Port: k.port, HasPort: k.has, Role: RoleRequest, Conversations: a.conversations,
			Packets: a.packets, First: nsTime(a.firstNS), Last: nsTime(a.lastNS), lastConv: a.lastConv}
		if k.resp {
			g.Role = RoleResponse
		}
		br.Groups = keepTop(br.Groups, &g, BrokeGroups)
		sv := b.services[serviceKey{ruleKey{br.ACLRef, br.Direction, br.Rule}, g.Role, g.Proto, g.Port, g.HasPort}]
		sv.TopPeers = keepTop(sv.TopPeers, &g, TopPeers)
	}
	out := make([]BrokeRule, 0, len(b.rules))
	for _, br := range b.rules {
		br.Services = services(svcs[ruleKey{br.ACLRef, br.Direction, br.Rule}])
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

// services sorts the services of one rule: most conversations first,
// then packets, leg, protocol, port.
func services(svs []*BrokeService) []BrokeService {
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
