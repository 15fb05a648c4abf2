package synth

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"go4.org/netipx"
)

// PeerMode selects how the peers of a service become rule CIDRs (--peers).
type PeerMode int

// Peer modes.
const (
	// PeersIntent (the default) decides per service what its peers are a
	// sample of (see Intent) and generalises accordingly.
	PeersIntent PeerMode = iota
	// PeersExact keeps the observed peers (aggregated into exact prefixes,
	// then widened by PeerPrefix4/6 and MaxPeers).
	PeersExact
	// PeersSubnet replaces every peer by its smallest enclosing modelled
	// subnet or VPC CIDR (observed peers outside them stay exact); it
	// never opens a service to 0.0.0.0/0 by itself.
	PeersSubnet
)

// String returns the flag spelling of m.
func (m PeerMode) String() string {
	switch m {
	case PeersExact:
		return "exact"
	case PeersSubnet:
		return "subnet"
	}
	return "intent"
}

// ParsePeerMode parses --peers: exact, subnet or intent.
func ParsePeerMode(s string) (PeerMode, error) {
	for _, m := range []PeerMode{PeersIntent, PeersExact, PeersSubnet} {
		if strings.EqualFold(strings.TrimSpace(s), m.String()) {
			return m, nil
		}
	}
	return PeersIntent, fmt.Errorf("peers %q: want exact, subnet or intent", s)
}

// Intent is what the observed peers of one service are taken to be a
// sample of, and so which CIDRs its rules name.
type Intent string

// Intents, from the widest.
const (
	// IntentPublic: a service of the subnet reached from public address
	// space (or from unrelated networks): 0.0.0.0/0 (::/0).
	IntentPublic Intent = "public-service"
	// IntentPublicDestination: the subnet's own requests to public peers
	// on a well-known port (package mirrors, APIs, NTP, DNS resolvers),
	// which rotate: 0.0.0.0/0 (::/0).
	IntentPublicDestination Intent = "public-destination"
	// IntentRestricted: an administrative or database port (SSH, RDP,
	// SQL, ...) reached from public address space: kept to the observed
	// peers, because 0.0.0.0/0 on it is what AWS Security Hub flags
	// (control EC2.21 for NACL ingress to 22 and 3389); Options.PublicPorts
	// (--public-port) opens it like any public service.
	IntentRestricted Intent = "restricted-port"
	// IntentVPC: private peers generalised to the VPC CIDR (no smaller
	// modelled subnet holds them).
	IntentVPC Intent = "vpc"
	// IntentSubnet: private peers generalised to the smallest modelled
	// subnet enclosing each.
	IntentSubnet Intent = "subnet"
	// IntentFixedPeer: one private peer in every conversation (a database
	// primary, a bastion): kept exact.
	IntentFixedPeer Intent = "fixed-peer"
	// IntentUnsureRole: the client/server roles were uncertain and the
	// service port lies in an ephemeral range: kept to the observed peers
	// so that no ephemeral port is opened to the world on a guess.
	IntentUnsureRole Intent = "unsure-role"
	// IntentExact: the observed peers (--peers exact, public peers on a
	// port that is not well known, or private peers outside every modelled
	// subnet and VPC CIDR).
	IntentExact Intent = "exact"
)

// Decision is the peer generalisation of one service: a direction (of
// the request leg), IP family, protocol and service port (ICMP echo: the
// request type). The response legs of the same conversations use the
// same peers.
type Decision struct {
	Direction nacl.Direction
	IPv6      bool
	Proto     uint8
	// Port is the server port (TCP/UDP) or the echo-request type (ICMP).
	Port   uint16
	Intent Intent
	// Peers counts the distinct observed peers (at most maxDecisionPeers
	// are told apart; PeersMore is set beyond), Convs the conversations.
	Peers     int
	PeersMore bool
	Convs     int
	// Prefixes are what the peers became (before the budget merges).
	Prefixes []netip.Prefix
	// Why is the reason for Intent; the values below it are what its
	// sentence (written by render) quotes. Fields a reason does not use
	// are zero.
	Why DecisionWhy
	// Unsure counts the conversations with uncertain client/server roles
	// (WhyUnsureRole).
	Unsure int
	// PublicPeers counts the distinct peers in public address space
	// (PeersMore says there were more), PublicNets the unrelated networks
	// they come from (distinct /8s, IPv6 /32s), PublicExamples the first
	// (at most 3) of them.
	PublicPeers    int
	PublicNets     int
	PublicExamples []netip.Addr
	// FixedPeer is the one private peer of WhyFixedPeer.
	FixedPeer netip.Addr
	// Enclosing are the modelled prefixes (subnets, VPC CIDRs) the peers
	// were generalised to (WhyEnclosing); Inside counts the peers they
	// hold, Outside those outside every modelled prefix, kept exact.
	// AnyPeer is set with --peers subnet (public peers generalised too).
	Enclosing       []netip.Prefix
	Inside, Outside int
	AnyPeer         bool
	// Allowed is the number of addresses the prefixes hold, Observed the
	// number of distinct peers; OverBits = log2(1 + Allowed - Observed),
	// the over-permission this decision adds per port.
	Allowed, Observed float64
	OverBits          float64
	// index is the decision's position in Result.Decisions.
	index int
}

// DecisionWhy says why a Decision has its Intent.
type DecisionWhy uint8

// The reasons of a Decision.
const (
	// WhyPeersExact: --peers exact asked for the observed peers.
	WhyPeersExact DecisionWhy = iota + 1
	// WhyUnsureRole: roles uncertain (Unsure conversations) on a port in
	// an ephemeral range: the observed peers only.
	WhyUnsureRole
	// WhyRestricted: an administrative or database port reached from
	// public peers, kept to them (--public-port opens it).
	WhyRestricted
	// WhyPublicService: a service of the subnet reached from public peers.
	WhyPublicService
	// WhyPublicDestination: the subnet's own requests to public peers on
	// a well-known port (or echo requests).
	WhyPublicDestination
	// WhyNotWellKnown: requests to public peers on a port that is not a
	// well-known service port: the observed peers only.
	WhyNotWellKnown
	// WhyFixedPeer: one private peer (FixedPeer) in every conversation.
	WhyFixedPeer
	// WhyEnclosing: the peers' smallest enclosing modelled prefixes
	// (Enclosing); with none, the observed peers.
	WhyEnclosing
)

// maxDecisionPeers bounds the distinct peers a decision remembers.
const maxDecisionPeers = 4096

// decKey identifies a decision.
type decKey struct {
	dir   nacl.Direction
	v6    bool
	proto uint8
	port  uint16
}

// decAcc accumulates the evidence of one decision (first pass), then
// holds the decision.
type decAcc struct {
	key    decKey
	peers  peerSet
	more   bool
	convs  int
	unsure int
	// unsureEx is an example unsure conversation.
	unsureEx ConvExample
	d        *Decision
}

// noteDecision records the request-leg peers of a used conversation.
func (b *builder) noteDecision(u *usedConv) {
	c := u.c
	port, ok := servicePort(c)
	if !ok {
		return
	}
	for _, dir := range []nacl.Direction{nacl.Ingress, nacl.Egress} {
		if u.req&(1<<dir) == 0 {
			continue
		}
		k := decKey{dir: dir, v6: c.Client.Addr.Is6(), proto: c.Proto, port: port}
		a := b.decs[k]
		if a == nil {
			a = &decAcc{key: k}
			b.decs[k] = a
		}
		peer := c.Client.Addr
		if dir == nacl.Egress {
			peer = c.Server.Addr
		}
		if !a.peers.has(peer) {
			if a.peers.len() < maxDecisionPeers {
				a.peers.add(peer)
			} else {
				a.more = true
			}
		}
		a.convs++
		if unsureRole(c) {
			a.unsure++
			if a.unsureEx.Conv.ID == 0 {
				a.unsureEx = convExample(c)
			}
		}
	}
}

// servicePort returns the decision port of c: the server port, or the
// request type of an ICMP echo; false for conversations without one.
func servicePort(c *flows.Conversation) (uint16, bool) {
	switch {
	case c.HasPorts():
		return c.Server.Port, true
	case isEcho(c):
		if c.Proto == nacl.ProtoICMP {
			return 8, true
		}
		return 128, true
	}
	return 0, false
}

// unsureRole reports whether the roles of c may be reversed in a way that
// matters: low confidence or fan-in, with a server port in an ephemeral
// range (a reversed role would turn a client's ephemeral port into a
// service rule).
func unsureRole(c *flows.Conversation) bool {
	if !c.HasPorts() || c.Server.Port < 1024 {
		return false
	}
	return c.Confidence == flows.Low || c.Evidence == flows.EvidenceFanIn
}

// decisionFor returns the decision of the leg of c crossing dir (resp:
// the response leg, whose decision is the request leg's in the opposite
// direction), or nil. It serves the second pass, when the decisions are
// all made: the last answer is remembered (the legs of a conversation,
// and runs of conversations, share their decision).
func (b *builder) decisionFor(c *flows.Conversation, dir nacl.Direction, resp bool) *decAcc {
	port, ok := servicePort(c)
	if !ok {
		return nil
	}
	if resp {
		dir = 1 - dir
	}
	k := decKey{dir: dir, v6: c.Client.Addr.Is6(), proto: c.Proto, port: port}
	if m := &b.decMemo; m.ok && m.k == k {
		return m.a
	}
	a := b.decs[k]
	b.decMemo.k, b.decMemo.a, b.decMemo.ok = k, a, true
	return a
}

// modelled returns the prefixes peers may be generalised to: the given
// peer subnets, the protected subnets and the VPC CIDRs.
func (o *Options) modelled() []netip.Prefix {
	out := slices.Concat(o.PeerSubnets, o.Subnets, o.VPCCIDRs)
	for i := range out {
		out[i] = out[i].Masked()
	}
	return out
}

// enclosing returns the smallest modelled prefix holding a.
func enclosing(modelled []netip.Prefix, a netip.Addr) (netip.Prefix, bool) {
	best, ok := netip.Prefix{}, false
	for _, p := range modelled {
		if p.Contains(a) && (!ok || p.Bits() > best.Bits()) {
			best, ok = p, true
		}
	}
	return best, ok
}

// cgnat is the shared address space of RFC 6598, private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// isPrivate reports whether a is private address space (RFC 1918, ULA,
// RFC 6598) or inside a modelled prefix.
func isPrivate(modelled []netip.Prefix, a netip.Addr) bool {
	if a.IsPrivate() || cgnat.Contains(a) {
		return true
	}
	_, ok := enclosing(modelled, a)
	return ok
}

// wellKnown reports whether a destination port is one a client reaches
// on any server of a kind (below 1024, or a listed service port).
func wellKnown(proto uint8, port uint16) bool {
	if proto == nacl.ProtoICMP || proto == nacl.ProtoICMPv6 {
		return true // echo
	}
	return port < 1024 || flows.IsServicePort(port)
}

// RestrictedPort reports whether a TCP or UDP server port is an
// administrative or database port that intent inference keeps to the
// observed peers even when they are public (see IntentRestricted and
// flows.RestrictedPorts).
func RestrictedPort(proto uint8, port uint16) bool {
	return (proto == nacl.ProtoTCP || proto == nacl.ProtoUDP) && flows.IsRestrictedPort(port)
}

// decide turns the evidence of every decision into a Decision, in a
// deterministic order.
func (b *builder) decide() {
	keys := make([]decKey, 0, len(b.decs))
	for k := range b.decs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y decKey) int {
		if c := cmp.Compare(x.dir, y.dir); c != 0 {
			return c
		}
		if c := cmp.Compare(boolInt(x.v6), boolInt(y.v6)); c != 0 {
			return c
		}
		if c := cmp.Compare(x.proto, y.proto); c != 0 {
			return c
		}
		return cmp.Compare(x.port, y.port)
	})
	modelled := b.modelled
	for _, k := range keys {
		a := b.decs[k]
		a.d = b.decideOne(a, modelled)
		a.d.index = len(b.res.Decisions)
		if a.d.Intent == IntentUnsureRole {
			b.warn(Message{Kind: MsgUnsureRole, Direction: k.dir, IPv6: k.v6, Proto: k.proto, Port: k.port,
				Count: a.unsure, Of: a.convs, Convs: []ConvExample{a.unsureEx}, Peers: a.d.Peers})
		}
		b.res.Decisions = append(b.res.Decisions, *a.d)
	}
}

func (b *builder) decideOne(a *decAcc, modelled []netip.Prefix) *Decision {
	k := a.key
	d := &Decision{Direction: k.dir, IPv6: k.v6, Proto: k.proto, Port: k.port, Peers: a.peers.len(), PeersMore: a.more, Convs: a.convs}
	peers := a.peers.appendAddrs(make([]netip.Addr, 0, a.peers.len()))
	slices.SortFunc(peers, netip.Addr.Compare)
	var public, private []netip.Addr
	for _, p := range peers {
		if isPrivate(modelled, p) {
			private = append(private, p)
		} else {
			public = append(public, p)
		}
	}
	mode := b.opts.Peers
	d.PublicPeers, d.PublicNets, d.PublicExamples = describePublic(public)
	switch {
	case mode == PeersExact:
		d.Intent, d.Why = IntentExact, WhyPeersExact
	case a.unsure > 0 && mode == PeersIntent:
		d.Intent, d.Why, d.Unsure = IntentUnsureRole, WhyUnsureRole, a.unsure
	case mode == PeersIntent && len(public) > 0 && k.dir == nacl.Ingress && RestrictedPort(k.proto, k.port) && !slices.Contains(b.opts.PublicPorts, k.port):
		d.Intent, d.Why = IntentRestricted, WhyRestricted
	case mode == PeersIntent && len(public) > 0 && k.dir == nacl.Ingress:
		d.Intent, d.Why = IntentPublic, WhyPublicService
	case mode == PeersIntent && len(public) > 0 && wellKnown(k.proto, k.port):
		d.Intent, d.Why = IntentPublicDestination, WhyPublicDestination
	case mode == PeersIntent && len(public) > 0:
		d.Intent, d.Why = IntentExact, WhyNotWellKnown
	case mode == PeersIntent && len(private) == 1 && !a.more:
		d.Intent, d.Why, d.FixedPeer = IntentFixedPeer, WhyFixedPeer, private[0]
	default:
		d.Why = WhyEnclosing
		b.enclosingIntent(d, modelled, private, public)
	}
	b.decisionPrefixes(d, peers)
	return d
}

// enclosingIntent decides private peers (and, with --peers subnet, public
// ones) by their smallest enclosing modelled prefixes.
func (b *builder) enclosingIntent(d *Decision, modelled []netip.Prefix, private, public []netip.Addr) {
	peers := private
	if b.opts.Peers == PeersSubnet {
		peers = slices.Concat(private, public)
		d.AnyPeer = true
	}
	vpc := map[netip.Prefix]bool{}
	for _, p := range b.opts.VPCCIDRs {
		vpc[p.Masked()] = true
	}
	var to []netip.Prefix
	outside, inVPC := 0, false
	for _, a := range peers {
		p, ok := enclosing(modelled, a)
		if !ok {
			outside++
			continue
		}
		inVPC = inVPC || vpc[p]
		if !slices.Contains(to, p) {
			to = append(to, p)
		}
	}
	slices.SortFunc(to, netipx.ComparePrefix)
	d.Enclosing, d.Inside, d.Outside = to, len(peers)-outside, outside
	switch {
	case len(to) == 0:
		d.Intent = IntentExact
	case inVPC:
		d.Intent = IntentVPC
	default:
		d.Intent = IntentSubnet
	}
}

// describePublic counts the public peers and the unrelated networks
// they come from (distinct /8s, or /32s for IPv6, the usual
// regional-registry allocation), with the first 3 as examples.
func describePublic(public []netip.Addr) (peers, nets int, examples []netip.Addr) {
	seen := map[netip.Prefix]bool{}
	for _, p := range public {
		bits := 8
		if p.Is6() {
			bits = 32
		}
		n, _ := p.Prefix(bits)
		seen[n] = true
	}
	return len(public), len(seen), slices.Clone(public[:min(len(public), 3)])
}

// prefixFor returns the rule prefix of peer a under decision d (nil d:
// the peer itself), widened to the --peer-prefix knobs when those are wider.
func (b *builder) prefixFor(d *Decision, a netip.Addr) netip.Prefix {
	bits := b.opts.PeerPrefix4
	if a.Is6() {
		bits = b.opts.PeerPrefix6
	}
	knob, _ := a.Prefix(bits)
	var p netip.Prefix
	switch {
	case d == nil:
		return knob
	case d.Intent == IntentPublic || d.Intent == IntentPublicDestination:
		if a.Is6() {
			return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	case d.Intent == IntentSubnet || d.Intent == IntentVPC:
		var ok bool
		if p, ok = enclosing(b.modelled, a); !ok {
			p, _ = a.Prefix(a.BitLen())
		}
	default:
		p, _ = a.Prefix(a.BitLen())
	}
	if knob.Bits() < p.Bits() {
		return knob
	}
	return p
}

// decisionPrefixes fills the prefixes and the over-permission of d.
func (b *builder) decisionPrefixes(d *Decision, peers []netip.Addr) {
	var sb netipx.IPSetBuilder
	for _, p := range peers {
		sb.AddPrefix(b.prefixFor(d, p))
	}
	set, err := sb.IPSet()
	if err == nil {
		d.Prefixes = set.Prefixes()
	}
	for _, p := range d.Prefixes {
		d.Allowed += addrUnits(p)
	}
	d.Observed = float64(len(peers))
	d.OverBits = math.Log2(1 + max(0, d.Allowed-d.Observed))
}
