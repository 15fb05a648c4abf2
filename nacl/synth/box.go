package synth

import (
	"cmp"
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/nacl"
)

// Rule kinds, recorded per generated rule.
const (
	KindService  = "service"   // request leg on a server port
	KindResponse = "response"  // response leg on a client's ephemeral range
	KindICMP     = "icmp"      // observed ICMP (echo, errors, other types)
	KindProtocol = "protocol"  // another IP protocol (GRE, ESP, ...)
	KindPMTUD    = "pmtud"     // path MTU discovery, added by default
	KindMerged   = "merged"    // result of a budget merge of different kinds
	KindKeptDeny = "kept-deny" // deny rule carried over from --keep-denies
)

// usage is what a rule serves: counts, time span and an example peer.
type usage struct {
	convs       int
	first, last time.Time
	example     netip.Addr
}

// merge adds the use o to u.
func (u *usage) merge(o usage) {
	u.convs += o.convs
	if o.example.IsValid() && (!u.example.IsValid() || o.example.Less(u.example)) {
		u.example = o.example
	}
	if !o.first.IsZero() && (u.first.IsZero() || o.first.Before(u.first)) {
		u.first = o.first
	}
	if o.last.After(u.last) {
		u.last = o.last
	}
}

// peerUse is what one peer of one service did: compact, since there is
// one per distinct (peer, service) pair.
type peerUse struct {
	convs int32
	// dec is the index in Result.Decisions, plus one, of the decision
	// giving the peer its widest prefix (see builder.prefixFor); 0: none,
	// the peer is kept exact.
	dec         int32
	first, last int64 // UnixNano; 0 = unknown
}

func (p *peerUse) add(first, last time.Time) {
	p.convs++
	if !first.IsZero() {
		if f := first.UnixNano(); p.first == 0 || f < p.first {
			p.first = f
		}
	}
	if !last.IsZero() {
		if l := last.UnixNano(); l > p.last {
			p.last = l
		}
	}
}

// usage expands p for peer.
func (p peerUse) usage(peer netip.Addr) usage {
	u := usage{convs: int(p.convs), example: peer}
	if p.first != 0 {
		u.first = time.Unix(0, p.first).UTC()
	}
	if p.last != 0 {
		u.last = time.Unix(0, p.last).UTC()
	}
	return u
}

// box is one allow rule under construction: a prefix times a service
// (protocol with a port range or ICMP type/code range).
type box struct {
	dir nacl.Direction
	v6  bool
	// proto is an IP protocol number or nacl.ProtoAll.
	proto  int
	prefix netip.Prefix
	// lo/hi bound the service dimension: ports for TCP/UDP; for ICMP
	// type*256+code, kept as a (type range x code range) by icmp fields.
	ports nacl.PortRange
	// icmpType/icmpCode: -1 means any (ICMP only).
	icmpType, icmpCode int
	kind               string
	// profile names the ephemeral profile of a response rule.
	profile  string
	use      usage
	intended float64
	// intent is the peer decision all the rule's peers share ("" when
	// they differ or none applies).
	intent Intent
	mixed  bool
}

func isPortProto(p int) bool { return p == nacl.ProtoTCP || p == nacl.ProtoUDP }

func (b *box) isICMP() bool {
	return b.proto == nacl.ProtoICMP || (b.proto == nacl.ProtoICMPv6 && b.v6)
}

// span returns the closed ranges of the service dimension as
// (first axis, second axis): ports x [0,0] for TCP/UDP, types x codes for
// ICMP, [0,65535] x [0,0] for other protocols; protocol all is handled by
// the callers.
func (b *box) span() (a0, a1, c0, c1 int) {
	switch {
	case isPortProto(b.proto):
		return int(b.ports.From), int(b.ports.To), 0, 0
	case b.isICMP():
		a0, a1, c0, c1 = 0, 255, 0, 255
		if b.icmpType >= 0 {
			a0, a1 = b.icmpType, b.icmpType
			if b.icmpCode >= 0 {
				c0, c1 = b.icmpCode, b.icmpCode
			}
		}
		return
	}
	return 0, 65535, 0, 0
}

// serviceUnits is the size of the service dimension (see package doc).
func (b *box) serviceUnits() float64 {
	if b.proto == nacl.ProtoAll {
		return 65536 * 256
	}
	a0, a1, c0, c1 := b.span()
	return float64(a1-a0+1) * float64(c1-c0+1)
}

func addrUnits(p netip.Prefix) float64 { return math.Ldexp(1, p.Addr().BitLen()-p.Bits()) }

// volume is the allowed address x service space.
func (b *box) volume() float64 { return addrUnits(b.prefix) * b.serviceUnits() }

// overlapLen returns the length of [a0,a1] ∩ [b0,b1].
func overlapLen(a0, a1, b0, b1 int) float64 {
	lo, hi := max(a0, b0), min(a1, b1)
	if hi < lo {
		return 0
	}
	return float64(hi - lo + 1)
}

// intersection is the volume of a ∩ b (same direction and family).
func intersection(a, b *box) float64 {
	if !a.prefix.Overlaps(b.prefix) {
		return 0
	}
	addr := addrUnits(a.prefix)
	if b.prefix.Bits() > a.prefix.Bits() {
		addr = addrUnits(b.prefix)
	}
	switch {
	case a.proto == nacl.ProtoAll:
		return addr * b.serviceUnits()
	case b.proto == nacl.ProtoAll:
		return addr * a.serviceUnits()
	case a.proto != b.proto:
		return 0
	}
	a0, a1, ac0, ac1 := a.span()
	b0, b1, bc0, bc1 := b.span()
	return addr * overlapLen(a0, a1, b0, b1) * overlapLen(ac0, ac1, bc0, bc1)
}

// contains reports whether a allows everything b allows.
func contains(a, b *box) bool {
	if a.prefix.Bits() > b.prefix.Bits() || !a.prefix.Contains(b.prefix.Addr()) {
		return false
	}
	if a.proto == nacl.ProtoAll {
		return true
	}
	if a.proto != b.proto {
		return false
	}
	a0, a1, ac0, ac1 := a.span()
	b0, b1, bc0, bc1 := b.span()
	return a0 <= b0 && b1 <= a1 && ac0 <= bc0 && bc1 <= ac1
}

// supernet returns the smallest prefix containing both p and q.
func supernet(p, q netip.Prefix) netip.Prefix {
	n := min(p.Bits(), q.Bits())
	a, b := p.Addr().As16(), q.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 96
	}
	// common is the number of leading bits the two 128-bit forms share.
	common := 128
	if x := binary.BigEndian.Uint64(a[:8]) ^ binary.BigEndian.Uint64(b[:8]); x != 0 {
		common = bits.LeadingZeros64(x)
	} else if x := binary.BigEndian.Uint64(a[8:]) ^ binary.BigEndian.Uint64(b[8:]); x != 0 {
		common = 64 + bits.LeadingZeros64(x)
	}
	n = min(n, common-off)
	s, _ := p.Addr().Prefix(max(n, 0))
	return s
}

// mergeBoxes returns the smallest rule allowing both a and b.
func mergeBoxes(a, b *box) *box {
	m := merged(a, b)
	return &m
}

// merged is mergeBoxes by value (no allocation).
func merged(a, b *box) box {
	m := box{dir: a.dir, v6: a.v6, proto: a.proto, prefix: supernet(a.prefix, b.prefix), kind: a.kind, profile: a.profile}
	ab, ba := contains(a, b), contains(b, a)
	switch {
	case ab && ba:
		// Same rule twice: keep the smaller label so that the result does
		// not depend on which came first.
		if b.kind < a.kind || (b.kind == a.kind && b.profile < a.profile) {
			m.kind, m.profile = b.kind, b.profile
		}
	case ba:
		m.kind, m.profile = b.kind, b.profile
	case ab:
	default:
		if a.kind != b.kind {
			m.kind = KindMerged
		}
		if a.profile != b.profile {
			m.profile = ""
		}
	}
	switch {
	case a.proto != b.proto:
		m.proto = nacl.ProtoAll
	case isPortProto(a.proto):
		m.ports = nacl.PortRange{From: min(a.ports.From, b.ports.From), To: max(a.ports.To, b.ports.To)}
	case a.isICMP():
		m.icmpType, m.icmpCode = -1, -1
		if a.icmpType == b.icmpType && a.icmpType >= 0 {
			m.icmpType = a.icmpType
			if a.icmpCode == b.icmpCode {
				m.icmpCode = a.icmpCode
			}
		}
	}
	m.use = a.use
	m.use.merge(b.use)
	m.intended = a.intended + b.intended
	m.intent, m.mixed = a.intent, a.mixed || b.mixed || a.intent != b.intent
	if m.mixed {
		m.intent = ""
	}
	return m
}

// unionIsBox reports whether a ∪ b is exactly a rule (a free merge).
func unionIsBox(a, b *box) bool {
	if contains(a, b) || contains(b, a) {
		return true
	}
	if a.proto != b.proto {
		return false
	}
	a0, a1, ac0, ac1 := a.span()
	b0, b1, bc0, bc1 := b.span()
	sameService := a0 == b0 && a1 == b1 && ac0 == bc0 && ac1 == bc1
	if sameService {
		// Sibling prefixes: both halves of their supernet.
		return a.prefix.Bits() == b.prefix.Bits() && a.prefix.Bits() > 0 &&
			supernet(a.prefix, b.prefix).Bits() == a.prefix.Bits()-1
	}
	if a.prefix == b.prefix && isPortProto(a.proto) {
		return a0 <= b1+1 && b0 <= a1+1
	}
	return false
}

// mergeCostOf returns the space a merge admits that neither a nor b
// allowed and, when it is not 0, the merged box.
func mergeCostOf(a, b *box) (float64, box) {
	if unionIsBox(a, b) {
		return 0, box{}
	}
	m := merged(a, b)
	c := m.volume() - a.volume() - b.volume() + intersection(a, b)
	return max(c, math.SmallestNonzeroFloat64), m
}

// compareBoxes orders rules deterministically: family, protocol, service,
// prefix, kind.
func compareBoxes(a, b *box) int {
	if a.v6 != b.v6 {
		if a.v6 {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(protoOrder(a.proto), protoOrder(b.proto)); c != 0 {
		return c
	}
	a0, a1, ac0, ac1 := a.span()
	b0, b1, bc0, bc1 := b.span()
	if c := cmp.Compare(a0, b0); c != 0 {
		return c
	}
	if c := cmp.Compare(a1, b1); c != 0 {
		return c
	}
	if c := cmp.Compare(ac0, bc0); c != 0 {
		return c
	}
	if c := cmp.Compare(ac1, bc1); c != 0 {
		return c
	}
	if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.prefix.Bits(), b.prefix.Bits()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	return cmp.Compare(a.profile, b.profile)
}

// protoOrder sorts TCP, UDP, ICMP, ICMPv6, other protocols, then all.
func protoOrder(p int) int {
	switch p {
	case nacl.ProtoTCP:
		return 0
	case nacl.ProtoUDP:
		return 1
	case nacl.ProtoICMP:
		return 2
	case nacl.ProtoICMPv6:
		return 3
	case nacl.ProtoAll:
		return 1000
	}
	return 10 + p
}

// entry converts the box to a NACL entry (without number and comment).
func (b *box) entry() nacl.Entry {
	e := nacl.Entry{Direction: b.dir, Action: nacl.Allow, Protocol: b.proto, CIDR: b.prefix, ICMPType: -1, ICMPCode: -1}
	switch {
	case isPortProto(b.proto):
		e.Ports = b.ports
	case b.isICMP():
		e.ICMPType, e.ICMPCode = b.icmpType, b.icmpCode
		if e.ICMPType < 0 {
			e.ICMPCode = -1
		}
	}
	return e
}
