package replay

import (
	"net/netip"
	"sync"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
)

// Class says whether a denied conversation is something to fix.
type Class string

// Classes of denied conversations.
const (
	// ClassBreakage: the conversation worked in the capture and a NACL
	// denies it by the default rule or by a broad rule that is not about
	// its peer or port (the seed case: replies to ephemeral ports caught
	// by a wide inbound deny). Fixes are offered for these.
	ClassBreakage Class = "breakage"
	// ClassIntended: an explicit rule targets it, or it was a scan or a
	// probe, or it never worked (refused, unanswered). No fix is offered.
	ClassIntended Class = "intended"
	// ClassUnclear: neither holds (Cause says why it cannot be told).
	ClassUnclear Class = "unclear"
)

// classNames index classes by a one-byte code (0: not denied).
var classNames = [...]Class{"", ClassBreakage, ClassIntended, ClassUnclear}

// classCode is the one-byte code of c.
func classCode(c Class) uint8 {
	for i, n := range classNames {
		if n == c {
			return uint8(i)
		}
	}
	return 0
}

// Cause is why a denied conversation got its class.
type Cause string

// Causes, by class.
const (
	// CauseHandshake (breakage): the TCP handshake completed in the capture.
	CauseHandshake Cause = "handshake-completed"
	// CauseAnswered (breakage): a UDP, ICMP or other-protocol answer came back.
	CauseAnswered Cause = "answered"

	// CauseExplicitDeny (intended): a deny rule names its peer (a CIDR
	// narrower than /0), its port (a range of fewer than
	// BroadPortRange ports), its ICMP type or its protocol (ICMP or
	// another protocol than TCP/UDP).
	CauseExplicitDeny Cause = "explicit-deny"
	// CauseRefused (intended): the server refused it (SYN answered by RST,
	// or an ICMP error came back).
	CauseRefused Cause = "refused"
	// CauseUnanswered (intended): SYNs or echo requests never answered.
	CauseUnanswered Cause = "unanswered"
	// CauseIncomplete (intended): the TCP handshake never completed
	// (half-open scan or failed attempt).
	CauseIncomplete Cause = "handshake-incomplete"
	// CauseScan (intended): the client scanned (see ScanMinTargets).
	CauseScan Cause = "scan"

	// CauseOneWay (unclear): packets one way only and no error: one-way
	// UDP (syslog, flow export) expects no answer, or the answer was lost.
	CauseOneWay Cause = "one-way"
	// CauseMidstream (unclear): TCP without a handshake, one direction
	// only (one-sided capture, asymmetric routing).
	CauseMidstream Cause = "midstream"
	// CauseBroadDenyService (unclear): the requests to the service port
	// are denied by a broad deny rule (not the default rule) whose port
	// range covers that port, such as deny tcp 1024-65535 on a service
	// at 5432: a policy of keeping high ports shut, or an oversight.
	CauseBroadDenyService Cause = "broad-deny-on-service"
	// CauseFragments (unclear): only non-first fragments were denied, and
	// how NACLs treat them is not documented by AWS.
	CauseFragments Cause = "fragments-only"
)

// BroadPortRange is the number of ports from which a deny's port range
// is broad (an ephemeral or "all high ports" range, like 1024-65535)
// rather than naming a service.
const BroadPortRange = 1024

// ScanMinTargets is how many distinct never-answered (refused,
// unanswered, half-open) TCP targets (server address and port) a client
// needs in the capture to count as a scanner.
const ScanMinTargets = 10

// Target is what a deny rule names (see IsTargeted).
type Target string

// Targets of deny rules.
const (
	TargetPeer     Target = "peer"     // a CIDR narrower than /0
	TargetPort     Target = "port"     // a TCP/UDP range of fewer than BroadPortRange ports
	TargetICMP     Target = "icmp"     // an ICMP type
	TargetProtocol Target = "protocol" // a protocol other than TCP/UDP
)

// Classification is the class of one denied conversation and why.
type Classification struct {
	Class Class
	Cause Cause
	// Check is the deny that decided the class (CauseExplicitDeny,
	// CauseBroadDenyService), nil otherwise.
	Check *Check
	// Names says what the explicit deny names (CauseExplicitDeny).
	Names Target
	// Targets is the number of never-answered targets of a scanner (CauseScan).
	Targets int
}

// Rule is the number of the deciding deny rule, 0 when none.
func (c Classification) Rule() int {
	if c.Check == nil {
		return 0
	}
	return c.Check.Rule
}

// String is "intended: refused".
func (c Classification) String() string { return string(c.Class) + ": " + string(c.Cause) }

// Scanners are the client addresses that scanned in a capture, with the
// number of distinct never-answered targets each hit.
type Scanners map[netip.Addr]int

// DetectScanners finds the clients of rec with at least ScanMinTargets
// distinct TCP targets (server address and port) whose conversations
// never worked (refused, unanswered, handshake never completed).
//
// It counts in two passes so that its memory follows the scanners rather
// than the conversations: the first counts never-worked conversations per
// client (an upper bound of its distinct targets), the second collects the
// distinct targets of only the clients that reach ScanMinTargets there.
func DetectScanners(rec *Recording) Scanners {
	out := Scanners{}
	perClient := map[netip.Addr]int{}
	eachNeverWorked(rec, func(cl netip.Addr, _ netip.AddrPort) { perClient[cl]++ })
	cand := map[netip.Addr]struct{}{}
	for a, n := range perClient {
		if n >= ScanMinTargets {
			cand[a] = struct{}{}
		}
	}
	clear(perClient)
	perClient = nil
	if len(cand) == 0 {
		return out
	}
	type target struct {
		client netip.Addr
		server netip.AddrPort
	}
	seen := map[target]struct{}{}
	eachNeverWorked(rec, func(cl netip.Addr, sv netip.AddrPort) {
		if _, ok := cand[cl]; !ok {
			return
		}
		t := target{cl, sv}
		if _, dup := seen[t]; dup {
			return
		}
		seen[t] = struct{}{}
		out[cl]++
	})
	for a, n := range out {
		if n < ScanMinTargets {
			delete(out, a)
		}
	}
	return out
}

// eachNeverWorked calls fn with the client and the server of every TCP
// conversation of rec that never worked (refused, unanswered, handshake
// never completed), in ID order.
func eachNeverWorked(rec *Recording, fn func(client netip.Addr, server netip.AddrPort)) {
	for id := 1; id <= rec.NumConversations(); id++ {
		switch rec.state(id) {
		case flows.StateRejected, flows.StateUnanswered, flows.StateHandshake:
		default:
			continue
		}
		proto, a, b := rec.endpoints(id)
		if proto != nacl.ProtoTCP {
			continue
		}
		cl, sv := a, b
		if rec.clientSide(id) == flows.SideB {
			cl, sv = b, a
		}
		fn(cl.Addr, netip.AddrPortFrom(sv.Addr, sv.Port))
	}
}

// scanLookup answers Classify's question: how many never-answered targets
// the client at an address hit, when it is a scanner.
type scanLookup interface {
	scanTargets(client netip.Addr) (int, bool)
}

// scanTargets looks a client up in s.
func (s Scanners) scanTargets(client netip.Addr) (int, bool) {
	n, ok := s[client]
	return n, ok
}

// lazyScanners detects the scanners of a recording the first time a
// classification asks (only a denied conversation that worked does): a
// capture with no such conversation, such as a flood judged by an
// allow-all ACL, never pays for the detection. Safe for concurrent use.
type lazyScanners struct {
	rec  *Recording
	once sync.Once
	done bool
	s    Scanners
}

// scanTargets detects the scanners on first use, then looks client up.
func (l *lazyScanners) scanTargets(client netip.Addr) (int, bool) {
	l.once.Do(func() { l.s, l.done = DetectScanners(l.rec), true })
	return l.s.scanTargets(client)
}

// IsTargeted reports whether a deny entry is about particular traffic
// rather than a broad default, and what it names: a peer (CIDR narrower
// than /0), a port (a TCP/UDP range of fewer than BroadPortRange ports),
// an ICMP type, or a protocol other than TCP/UDP.
func IsTargeted(e *nacl.Entry) (bool, Target) {
	if e.Action != nacl.Deny {
		return false, ""
	}
	switch {
	case e.CIDR.Bits() > 0:
		return true, TargetPeer
	case e.UsesPorts() && int(e.Ports.To)-int(e.Ports.From)+1 < BroadPortRange:
		return true, TargetPort
	case e.UsesICMP() && e.ICMPType >= 0:
		return true, TargetICMP
	case e.Protocol != nacl.ProtoAll && !e.UsesPorts():
		return true, TargetProtocol
	}
	return false, ""
}

// Classify decides the class of a conversation with a denied packet;
// state is its final flows state and scanners the capture's scanners.
// It returns the zero Classification when nothing is denied.
func Classify(cr *ConvResult, state flows.State, scanners Scanners) Classification {
	return classify(cr, state, scanners)
}

// classify is Classify with the scanners behind a lookup (see lazyScanners).
func classify(cr *ConvResult, state flows.State, scanners scanLookup) Classification {
	if cr.Request.Denied == 0 && cr.Response.Denied == 0 {
		return Classification{}
	}
	// 1. A deny that names this traffic.
	onlyFragments := true
	var broad *Check // a broad deny rule (not the default) taking requests
	for _, l := range []*Leg{&cr.Request, &cr.Response} {
		for i := range l.Keys {
			kr := &l.Keys[i]
			if kr.Judgement.Verdict != Deny {
				continue
			}
			if !kr.Fragment {
				onlyFragments = false
			}
			for n := 0; n < kr.Judgement.NCheck; n++ {
				c := &kr.Judgement.Checks[n]
				if c.Action != nacl.Deny || c.ACLRef == nil || c.Entry < 0 || c.Entry >= len(c.ACLRef.Entries) {
					continue
				}
				if ok, names := IsTargeted(&c.ACLRef.Entries[c.Entry]); ok {
					cc := *c
					return Classification{Class: ClassIntended, Cause: CauseExplicitDeny, Check: &cc, Names: names}
				}
				if l.Role == RoleRequest && !kr.Fragment && broad == nil {
					broad = c
				}
			}
		}
	}
	// 2. Never worked.
	proto := cr.Conv.Proto
	switch {
	case proto == nacl.ProtoTCP && state == flows.StateRejected:
		return Classification{Class: ClassIntended, Cause: CauseRefused}
	case proto == nacl.ProtoTCP && state == flows.StateUnanswered:
		return Classification{Class: ClassIntended, Cause: CauseUnanswered}
	case proto == nacl.ProtoTCP && state == flows.StateHandshake:
		return Classification{Class: ClassIntended, Cause: CauseIncomplete}
	case proto != nacl.ProtoTCP && cr.Response.ICMPErrors > 0 && cr.Response.Packets == cr.Response.ICMPErrors:
		return Classification{Class: ClassIntended, Cause: CauseRefused}
	case proto != nacl.ProtoTCP && cr.Response.Packets == 0 && isEchoRequest(cr):
		return Classification{Class: ClassIntended, Cause: CauseUnanswered}
	}
	// 3. A worked conversation of a scanner.
	if n, ok := scanners.scanTargets(cr.Conv.Client.Addr); ok {
		return Classification{Class: ClassIntended, Cause: CauseScan, Targets: n}
	}
	if onlyFragments {
		return Classification{Class: ClassUnclear, Cause: CauseFragments}
	}
	if broad != nil {
		cc := *broad
		return Classification{Class: ClassUnclear, Cause: CauseBroadDenyService, Check: &cc}
	}
	// 4. Cannot tell whether it worked.
	switch {
	case proto == nacl.ProtoTCP && state == flows.StateMidstream:
		return Classification{Class: ClassUnclear, Cause: CauseMidstream}
	case proto == nacl.ProtoTCP && (state == flows.StateEstablished || state == flows.StateClosedFIN || state == flows.StateClosedRST):
		return Classification{Class: ClassBreakage, Cause: CauseHandshake}
	case proto != nacl.ProtoTCP && cr.Response.Packets > cr.Response.ICMPErrors:
		return Classification{Class: ClassBreakage, Cause: CauseAnswered}
	}
	return Classification{Class: ClassUnclear, Cause: CauseOneWay}
}

// isEchoRequest reports whether the request leg carries ICMP/ICMPv6 echo requests.
func isEchoRequest(cr *ConvResult) bool {
	for i := range cr.Request.Keys {
		k := &cr.Request.Keys[i].Key
		if k.HasICMP && ((k.Proto == nacl.ProtoICMP && k.ICMPType == 8) || (k.Proto == nacl.ProtoICMPv6 && k.ICMPType == 128)) {
			return true
		}
	}
	return false
}
