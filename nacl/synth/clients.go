package synth

import (
	"cmp"
	"iter"
	"net/netip"
	"slices"

	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/nacl"
)

// clientMapKey is clientKey as a pointer-free map key.
type clientMapKey struct {
	addr  addrKey
	proto uint8
}

// clientMap indexes the client groups by client address and transport.
// There is one entry per distinct client (on a busy public service,
// nearly one per conversation), so IPv4 clients are keyed by one integer
// (address and transport, see v4ClientKey); other addresses by
// clientMapKey.
type clientMap struct {
	v4    map[uint64]int32
	other map[clientMapKey]int32
}

// v4ClientKey packs an IPv4 client key: the address above the transport,
// so that the keys order as (address, transport).
func v4ClientKey(a uint32, proto uint8) uint64 { return uint64(a)<<8 | uint64(proto) }

// index returns the group index of client (a, proto), recording next for
// it when it has none.
func (m *clientMap) index(a netip.Addr, proto uint8, next int32) int32 {
	if k4, ok := v4Key(a); ok {
		if m.v4 == nil {
			m.v4 = map[uint64]int32{}
		}
		k := v4ClientKey(k4, proto)
		if gi, ok := m.v4[k]; ok {
			return gi
		}
		m.v4[k] = next
		return next
	}
	if m.other == nil {
		m.other = map[clientMapKey]int32{}
	}
	k := clientMapKey{addr: keyOf(a), proto: proto}
	if gi, ok := m.other[k]; ok {
		return gi
	}
	m.other[k] = next
	return next
}

// len returns the number of clients.
func (m *clientMap) len() int { return len(m.v4) + len(m.other) }

// keyedGroup is a client and the index of its group.
type keyedGroup struct {
	k  clientMapKey
	gi int32
}

// sorted yields every client with its group index, ordered by address
// (as netip.Addr.Compare) then transport. The IPv4 clients are sorted as
// integers, the others by addrKey.compare; addresses shorter than IPv4
// (the zero address) come first, IPv6 last.
func (m *clientMap) sorted() iter.Seq[keyedGroup] {
	packed, v4 := m.sortedV4()
	other := make([]keyedGroup, 0, len(m.other))
	for k, gi := range m.other {
		other = append(other, keyedGroup{k, gi})
	}
	slices.SortFunc(other, func(x, y keyedGroup) int {
		if c := x.k.addr.compare(y.k.addr); c != 0 {
			return c
		}
		return cmp.Compare(x.k.proto, y.k.proto)
	})
	return func(yield func(keyedGroup) bool) {
		i := 0
		for ; i < len(other) && other[i].k.addr.bits < 32; i++ {
			if !yield(other[i]) {
				return
			}
		}
		for _, x := range packed {
			if !yield(v4Keyed(x>>24, int32(x&(1<<24-1)))) {
				return
			}
		}
		for _, x := range v4 {
			if !yield(v4Keyed(x.k, x.gi)) {
				return
			}
		}
		for ; i < len(other); i++ {
			if !yield(other[i]) {
				return
			}
		}
	}
}

// v4Keyed returns the keyedGroup of IPv4 client key k (v4ClientKey).
func v4Keyed(k uint64, gi int32) keyedGroup {
	return keyedGroup{k: clientMapKey{addr: v4AddrKey(uint32(k >> 8)), proto: uint8(k)}, gi: gi}
}

// v4Group is an IPv4 client key (v4ClientKey) and its group index.
type v4Group struct {
	k  uint64
	gi int32
}

// packedGroups bounds the group indexes sortedV4 packs beside the 40-bit
// client key in one uint64 (a variable for tests).
var packedGroups = int32(1) << 24

// sortedV4 returns the IPv4 clients ordered by key: packed (key<<24 |
// group index, sorted as integers: the keys are distinct, so the index
// never decides) when every group index is below packedGroups, else as
// v4Groups (packed nil).
func (m *clientMap) sortedV4() (packed []uint64, groups []v4Group) {
	packed = make([]uint64, 0, len(m.v4))
	for k, gi := range m.v4 {
		if gi >= packedGroups {
			packed = nil
			break
		}
		packed = append(packed, k<<24|uint64(gi))
	}
	if packed != nil {
		slices.Sort(packed)
		return packed, nil
	}
	groups = make([]v4Group, 0, len(m.v4))
	for k, gi := range m.v4 {
		groups = append(groups, v4Group{k, gi})
	}
	slices.SortFunc(groups, func(x, y v4Group) int { return cmp.Compare(x.k, y.k) })
	return nil, groups
}

// clientKey is a client group: one client address and transport.
type clientKey struct {
	addr  netip.Addr
	proto uint8
}

// clientPorts accumulates the observed ports of one client group. It is
// small and pointer-free (one per distinct client): the rare port sets
// live in clientSets.
type clientPorts struct {
	convs  int32
	lo, hi uint16 // over ports >= 1024; valid when high
	high   bool
	// The chosen response range (see choose), for the second pass: the
	// range, its profile (an index in the builder's profiles) and whether
	// it was forced.
	rng     nacl.PortRange
	profile int16
	forced  bool
	// outIdx is the index of the group in Result.OutsideForced.
	outIdx int32
	// sets is the index of the group's port sets in the builder's
	// clientSets, plus one; 0: none.
	sets int32
}

// clientSets are the port sets of a client group that few groups have.
type clientSets struct {
	low map[uint16]struct{} // ports below 1024 (fit no profile)
	out map[uint16]struct{} // ports outside a forced range
}

// setsOf returns g's port sets in all, adding them when g has none.
func (g *clientPorts) setsOf(all *[]clientSets) *clientSets {
	if g.sets == 0 {
		*all = append(*all, clientSets{})
		g.sets = int32(len(*all))
	}
	return &(*all)[g.sets-1]
}

func (g *clientPorts) add(port uint16, forced *EphemeralChoice, sets *[]clientSets) {
	g.convs++
	if forced != nil && !forced.Range.Contains(port) {
		x := g.setsOf(sets)
		if x.out == nil {
			x.out = map[uint16]struct{}{}
		}
		x.out[port] = struct{}{}
	}
	if port < 1024 {
		x := g.setsOf(sets)
		if x.low == nil {
			x.low = map[uint16]struct{}{}
		}
		x.low[port] = struct{}{}
		return
	}
	if !g.high {
		g.lo, g.hi, g.high = port, port, true
		return
	}
	g.lo, g.hi = min(g.lo, port), max(g.hi, port)
}

func sortedPorts(m map[uint16]struct{}) []uint16 {
	out := make([]uint16, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// fallbackRange is used when observed client ports fit no profile.
var fallbackRange = nacl.PortRange{From: 1024, To: 65535}

// minOSEvidence is how many conversations of one client it takes to pick
// a narrow OS profile (windows-2003, freebsd) that an AWS-managed sender's
// ports (spread over 1024-65535) would also fit: from a few ports the two
// cannot be told apart, and the narrow pick would break the next
// connection.
const minOSEvidence = 16

// Response ranges for public clients of unknown OS (Options.Peers intent).
var (
	modernClients = nacl.PortRange{From: 32768, To: 65535}
	anyClient     = nacl.PortRange{From: 1024, To: 65535}
)

// Profile names of the ranges above.
const (
	ProfileModernClient = "modern-client" // 32768-65535
	ProfileAnyClient    = "any-client"    // 1024-65535
)

// choose decides the group's response range. public says the client is
// a remote host in public address space whose OS is unknown (intent
// mode). It returns what there is to say (a warning or a note, kind 0
// when nothing) without the client, so that many clients share one
// message, and an example naming the client.
func (g *clientPorts) choose(k clientKey, forced *EphemeralChoice, public bool, sets []clientSets) (cr ClientRange, msg Message, warning bool, example ClientExample) {
	var x clientSets
	if g.sets > 0 {
		x = sets[g.sets-1]
	}
	cr = ClientRange{Client: k.addr, Proto: k.proto, Convs: int(g.convs)}
	if g.high {
		cr.Lo, cr.Hi = g.lo, g.hi
	} else if len(x.low) > 0 {
		ps := sortedPorts(x.low)
		cr.Lo, cr.Hi = ps[0], ps[len(ps)-1]
	}
	msg.Proto = k.proto
	example = ClientExample{Client: k.addr, Lo: g.lo, Hi: g.hi}
	switch {
	case forced != nil:
		cr.Profile, cr.Range, cr.Forced = forced.Name, forced.Range, true
		cr.Outside = sortedPorts(x.out)
		if len(cr.Outside) > 0 {
			msg.Kind, msg.Profile, msg.Range, warning = MsgOutsideForced, forced.Name, cr.Range, true
		}
	case !g.high:
		// Only ports below 1024: a symmetric service (NTP 123<->123, IKE
		// 500<->500, DNS 53<->53). Allow exactly those.
		cr.Profile = "exact"
		cr.Outside = sortedPorts(x.low)
		msg.Kind = MsgSymmetricPorts
	case len(x.low) > 0:
		cr.Profile, cr.Range = "fallback", fallbackRange
		cr.Outside = sortedPorts(x.low)
		msg.Kind, msg.Range, warning = MsgFallback, fallbackRange, true
	default:
		var union bool
		cr.Profile, cr.Range, union = narrowest(g.lo, g.hi)
		if union {
			msg.Kind, msg.Profile, msg.Range = MsgProfileUnion, cr.Profile, cr.Range
		}
		switch {
		case cr.Profile == "aws-managed":
			msg.Kind, msg.Range = MsgAWSManaged, cr.Range
		case (cr.Profile == "freebsd" || cr.Profile == "windows-2003") && g.convs < minOSEvidence:
			msg.Kind, msg.Profile, msg.Limit, msg.Range = MsgTooFewForOS, cr.Profile, minOSEvidence, anyClient
			cr.Profile, cr.Range = "aws-managed", anyClient
		case public && g.lo >= modernClients.From:
			cr.Profile, cr.Range = ProfileModernClient, modernClients
			msg.Kind, msg.Profile, msg.Range = MsgModernClients, "", modernClients
		case public:
			cr.Profile, cr.Range = ProfileAnyClient, anyClient
			msg.Kind, msg.Profile, msg.Range = MsgAnyClient, "", anyClient
		}
	}
	example.Ports = cr.Outside
	return cr, msg, warning, example
}

// narrowest returns the narrowest profile covering lo..hi. When another
// covering profile is neither a superset nor a subset of it, the
// observations cannot tell the two operating systems apart (ports
// 49152-60999 fit both linux and windows), so the union of both is used
// and union is set.
func narrowest(lo, hi uint16) (name string, r nacl.PortRange, union bool) {
	p, ok := ephemeral.Narrowest([]uint16{lo, hi})
	if !ok {
		return "fallback", fallbackRange, false
	}
	r, name = nacl.PortRange{From: p.From, To: p.To}, p.Name
	for _, q := range ephemeral.Profiles {
		if q.Name == p.Name || !q.Contains(lo) || !q.Contains(hi) {
			continue
		}
		sub := q.From >= p.From && q.To <= p.To
		sup := q.From <= p.From && q.To >= p.To
		if sub || sup || (q.From >= r.From && q.To <= r.To) {
			continue
		}
		r.From, r.To = min(r.From, q.From), max(r.To, q.To)
		name, union = name+"+"+q.Name, true
	}
	return name, r, union
}
