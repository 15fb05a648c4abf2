package replay

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/flowverify/flowverify/nacl"
)

// RuleFlag names something worth knowing about a rule's hits.
type RuleFlag string

// Rule flags (RuleHit.Flags).
const (
	// FlagNeverHit: no packet of this traffic was decided by the rule.
	FlagNeverHit RuleFlag = "never-hit"
	// FlagDenyWithHits: the rule denied packets of this traffic.
	FlagDenyWithHits RuleFlag = "deny-with-hits"
	// FlagAllowWiderThanUsed: the rule allows more ports or addresses than
	// the traffic it decided used (RuleHit.UsedPorts, RuleHit.UsedPeers).
	FlagAllowWiderThanUsed RuleFlag = "allow-wider-than-used"
)

// RuleHit counts the evaluated packets one rule of one ACL decided, in one
// direction: every NACL check a packet meets is decided by exactly one rule
// (an entry or the default rule 32767/32768), and a packet crossing two
// modelled subnets meets two checks, so it counts for two rules.
type RuleHit struct {
	ACL       string
	ACLRef    *nacl.ACL
	Direction nacl.Direction
	// Rule is the rule number (32767/32768 for the default rules).
	Rule   int
	Action nacl.Action
	// Entry is the index in ACLRef.Entries, -1 for a default rule.
	Entry int
	// Packets counts the packets decided by the rule; Conversations the
	// conversations with at least one of them (packets that joined no
	// conversation count only as packets).
	Packets       uint64
	Conversations int
	// First and Last bound the decided packets' times (zero without hits).
	First, Last time.Time
	// UsedPorts is the range of destination ports of the decided TCP/UDP
	// packets (valid when HasPorts); UsedPeers is the smallest prefix
	// holding the peers the rule's CIDR matched (source inbound,
	// destination outbound; invalid without hits).
	UsedPorts nacl.PortRange
	HasPorts  bool
	UsedPeers netip.Prefix
	// ResponsePackets counts the decided packets of response legs
	// (replies to a client, usually on its ephemeral port).
	ResponsePackets uint64
	Flags           []RuleFlag
	lastConv        int
	peerLo          netip.Addr
	peerHi          netip.Addr
}

// ruleKey identifies one rule of one ACL by the ACL's identity.
type ruleKey struct {
	acl  *nacl.ACL
	dir  nacl.Direction
	rule int
}

// ruleHits accumulates RuleHits while a report is built: per judged key,
// never per packet.
type ruleHits struct {
	m map[ruleKey]*RuleHit
}

// add counts key kr of conversation id (0 for none) under the rules
// that decided its checks; response says it is a response leg's key.
func (h *ruleHits) add(kr *KeyResult, id int, response bool) {
	jd := &kr.Judgement
	if jd.Verdict != Allow && jd.Verdict != Deny {
		return
	}
	if h.m == nil {
		h.m = map[ruleKey]*RuleHit{}
	}
	for i := range jd.NCheck {
		c := &jd.Checks[i]
		k := ruleKey{c.ACLRef, c.Direction, c.Rule}
		rh := h.m[k]
		if rh == nil {
			rh = &RuleHit{ACL: c.ACL, ACLRef: c.ACLRef, Direction: c.Direction, Rule: c.Rule, Action: c.Action, Entry: c.Entry}
			h.m[k] = rh
		}
		rh.count(kr, id)
		if response {
			rh.ResponsePackets += kr.Packets
		}
	}
}

// count adds one key to the hit.
func (rh *RuleHit) count(kr *KeyResult, id int) {
	rh.Packets += kr.Packets
	if id > 0 && rh.lastConv != id {
		rh.lastConv = id
		rh.Conversations++
	}
	if rh.First.IsZero() || kr.First.Before(rh.First) {
		rh.First = kr.First
	}
	if kr.Last.After(rh.Last) {
		rh.Last = kr.Last
	}
	k := &kr.Key
	if k.HasPort {
		if !rh.HasPorts {
			rh.HasPorts, rh.UsedPorts = true, nacl.PortRange{From: k.DstPort, To: k.DstPort}
		}
		rh.UsedPorts.From, rh.UsedPorts.To = min(rh.UsedPorts.From, k.DstPort), max(rh.UsedPorts.To, k.DstPort)
	}
	peer := k.Src
	if rh.Direction == nacl.Egress {
		peer = k.Dst
	}
	if !rh.peerLo.IsValid() || peer.Less(rh.peerLo) {
		rh.peerLo = peer
	}
	if !rh.peerHi.IsValid() || rh.peerHi.Less(peer) {
		rh.peerHi = peer
	}
}

// list returns every rule of every ACL of the topology, in ACL order
// (as the subnets name them), then direction (inbound first), then rule
// number, with its hits and flags; rules the traffic hit that the
// topology does not list (none in practice) follow.
func (h *ruleHits) list(t *Topology) []RuleHit {
	var out []RuleHit
	seen := map[*nacl.ACL]bool{}
	take := func(k ruleKey, action nacl.Action, entry int) {
		rh := h.m[k]
		if rh == nil {
			rh = &RuleHit{ACL: k.acl.ID, ACLRef: k.acl, Direction: k.dir, Rule: k.rule, Action: action, Entry: entry}
		}
		delete(h.m, k)
		rh.finish()
		out = append(out, *rh)
	}
	for _, s := range t.Subnets {
		a := s.ACL
		if a == nil || seen[a] {
			continue
		}
		seen[a] = true
		for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
			start := len(out)
			for i := range a.Entries {
				if e := &a.Entries[i]; e.Direction == dir {
					take(ruleKey{a, dir, e.RuleNumber}, e.Action, i)
				}
			}
			take(ruleKey{a, dir, nacl.DefaultRuleIPv4}, nacl.Deny, -1)
			if _, hit := h.m[ruleKey{a, dir, nacl.DefaultRuleIPv6}]; hit || a.HasIPv6() {
				take(ruleKey{a, dir, nacl.DefaultRuleIPv6}, nacl.Deny, -1)
			}
			slices.SortStableFunc(out[start:], func(x, y RuleHit) int { return cmp.Compare(x.Rule, y.Rule) })
		}
	}
	rest := make([]RuleHit, 0, len(h.m))
	for _, rh := range h.m {
		rh.finish()
		rest = append(rest, *rh)
	}
	slices.SortFunc(rest, func(x, y RuleHit) int {
		return cmp.Or(cmp.Compare(x.ACL, y.ACL), cmp.Compare(x.Direction, y.Direction), cmp.Compare(x.Rule, y.Rule))
	})
	return append(out, rest...)
}

// finish sets the used peers and the flags.
func (rh *RuleHit) finish() {
	rh.Flags = nil
	if rh.Packets == 0 {
		rh.Flags = append(rh.Flags, FlagNeverHit)
		return
	}
	rh.UsedPeers = commonPrefix(rh.peerLo, rh.peerHi)
	if rh.Action == nacl.Deny {
		rh.Flags = append(rh.Flags, FlagDenyWithHits)
		return
	}
	if rh.WiderPorts() || rh.WiderPeers() {
		rh.Flags = append(rh.Flags, FlagAllowWiderThanUsed)
	}
}

// entry returns the rule's entry, nil for a default rule.
func (rh *RuleHit) entry() *nacl.Entry {
	if rh.Entry < 0 || rh.ACLRef == nil || rh.Entry >= len(rh.ACLRef.Entries) {
		return nil
	}
	return &rh.ACLRef.Entries[rh.Entry]
}

// RepliesOnly reports whether every packet the rule decided was a reply
// (a response leg): its destination ports are clients' ephemeral ports,
// which change with every connection.
func (rh *RuleHit) RepliesOnly() bool { return rh.Packets > 0 && rh.ResponsePackets == rh.Packets }

// WiderPorts reports whether the rule is a TCP/UDP rule (or one for all
// protocols) with a port range wider than the ports its hits used. Rules
// for all protocols have no ports; they count as wider only when every
// hit was TCP or UDP.
func (rh *RuleHit) WiderPorts() bool {
	e := rh.entry()
	if e == nil || !rh.HasPorts {
		return false
	}
	if e.Protocol != nacl.ProtoTCP && e.Protocol != nacl.ProtoUDP {
		return false
	}
	return e.Ports.From < rh.UsedPorts.From || e.Ports.To > rh.UsedPorts.To
}

// WiderPeers reports whether the rule's CIDR is wider than the smallest
// prefix holding the peers its hits came from or went to. A /0 CIDR
// (any peer, as for public services) is never reported: its width is
// the intent, not an oversight.
func (rh *RuleHit) WiderPeers() bool {
	e := rh.entry()
	if e == nil || !rh.UsedPeers.IsValid() || e.CIDR.Bits() == 0 {
		return false
	}
	return e.CIDR.Bits() < rh.UsedPeers.Bits()
}

// commonPrefix returns the smallest prefix holding lo and hi (of one family).
func commonPrefix(lo, hi netip.Addr) netip.Prefix {
	if !lo.IsValid() || !hi.IsValid() || lo.Is4() != hi.Is4() {
		return netip.Prefix{}
	}
	a, b := lo.AsSlice(), hi.AsSlice()
	bits := 0
	for i := range a {
		x := a[i] ^ b[i]
		if x == 0 {
			bits += 8
			continue
		}
		for x&0x80 == 0 {
			bits++
			x <<= 1
		}
		break
	}
	p, _ := lo.Prefix(bits)
	return p
}
