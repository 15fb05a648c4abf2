package replay

import (
	"fmt"
	"net/netip"

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

// Classification is the class of one denied conversation and why.
type Classification struct {
	Class Class
	Cause Cause
	// ACL and Rule name the explicit deny (CauseExplicitDeny).
	ACL  string
	Rule int
	// Detail is the reason in words ("nothing listens there: the SYN was
	// answered by RST").
	Detail string
}

// String is "intended: refused".
func (c Classification) String() string { return string(c.Class) + ": " + string(c.Cause) }

// Scanners are the client addresses that scanned in a capture, with the
// number of distinct never-answered targets each hit.
type Scanners map[netip.Addr]int

// DetectScanners finds the clients of rec with at least ScanMinTargets
// distinct TCP targets (server address and port) whose conversations
// never worked (refused, unanswered, handshake never completed).
func DetectScanners(rec *Recording) Scanners {
	type target struct {
		client netip.Addr
		server netip.AddrPort
	}
	seen := map[target]struct{}{}
	count := map[netip.Addr]int{}
	for id := 1; id <= rec.NumConversations(); id++ {
		proto, a, b := rec.endpoints(id)
		if proto != nacl.ProtoTCP {
			continue
		}
		switch rec.state(id) {
		case flows.StateRejected, flows.StateUnanswered, flows.StateHandshake:
		default:
			continue
		}
		cl, sv := a, b
		if rec.clientSide(id) == flows.SideB {
			cl, sv = b, a
		}
		t := target{cl.Addr, netip.AddrPortFrom(sv.Addr, sv.Port)}
		if _, dup := seen[t]; dup {
			continue
		}
		seen[t] = struct{}{}
		count[cl.Addr]++
	}
	out := Scanners{}
	for a, n := range count {
		if n >= ScanMinTargets {
			out[a] = n
		}
	}
	return out
}

// IsTargeted reports whether a deny entry is about particular traffic
// rather than a broad default, and says what it names: a peer (CIDR
// narrower than /0), a port (a TCP/UDP range of fewer than
// BroadPortRange ports), an ICMP type, or a protocol other than TCP/UDP.
func IsTargeted(e *nacl.Entry) (bool, string) {
	if e.Action != nacl.Deny {
		return false, ""
	}
	switch {
	case e.CIDR.Bits() > 0:
		return true, "it names the peer range " + e.CIDR.String()
	case e.UsesPorts() && int(e.Ports.To)-int(e.Ports.From)+1 < BroadPortRange:
		return true, "it names port " + e.Ports.String()
	case e.UsesICMP() && e.ICMPType >= 0:
		return true, "it names ICMP type " + entryPorts(e)
	case e.Protocol != nacl.ProtoAll && !e.UsesPorts():
		return true, "it names protocol " + entryProto(e.Protocol)
	}
	return false, ""
}

// Classify decides the class of a conversation with a denied packet;
// state is its final flows state and scanners the capture's scanners.
// It returns the zero Classification when nothing is denied.
func Classify(cr *ConvResult, state flows.State, scanners Scanners) Classification {
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
				if ok, why := IsTargeted(&c.ACLRef.Entries[c.Entry]); ok {
					return Classification{Class: ClassIntended, Cause: CauseExplicitDeny, ACL: c.ACL, Rule: c.Rule,
						Detail: fmt.Sprintf("rule %d (%s) of %s denies it on purpose: %s", c.Rule, DescribeRule(c), c.ACL, why)}
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
		return Classification{Class: ClassIntended, Cause: CauseRefused, Detail: "the server refused it (SYN answered by RST): nothing listens there"}
	case proto == nacl.ProtoTCP && state == flows.StateUnanswered:
		return Classification{Class: ClassIntended, Cause: CauseUnanswered, Detail: "its SYNs were never answered"}
	case proto == nacl.ProtoTCP && state == flows.StateHandshake:
		return Classification{Class: ClassIntended, Cause: CauseIncomplete, Detail: "the TCP handshake never completed (half-open scan or failed attempt)"}
	case proto != nacl.ProtoTCP && cr.Response.ICMPErrors > 0 && cr.Response.Packets == cr.Response.ICMPErrors:
		return Classification{Class: ClassIntended, Cause: CauseRefused, Detail: "the only answers were ICMP errors (port or host unreachable)"}
	case proto != nacl.ProtoTCP && cr.Response.Packets == 0 && isEchoRequest(cr):
		return Classification{Class: ClassIntended, Cause: CauseUnanswered, Detail: "its echo requests were never answered"}
	}
	// 3. A worked conversation of a scanner.
	if n, ok := scanners[cr.Conv.Client.Addr]; ok {
		return Classification{Class: ClassIntended, Cause: CauseScan,
			Detail: fmt.Sprintf("the client %s scanned: %d distinct targets refused or never answered it", cr.Conv.Client.Addr, n)}
	}
	if onlyFragments {
		return Classification{Class: ClassUnclear, Cause: CauseFragments, Detail: "only non-first fragments are denied, and AWS does not document how NACLs treat them"}
	}
	if broad != nil {
		return Classification{Class: ClassUnclear, Cause: CauseBroadDenyService, ACL: broad.ACL, Rule: broad.Rule,
			Detail: fmt.Sprintf("its requests are denied by rule %d (%s) of %s, a broad deny that covers the service port: a policy of keeping such ports shut, or an oversight, cannot be told", broad.Rule, DescribeRule(broad), broad.ACL)}
	}
	// 4. Cannot tell whether it worked.
	switch {
	case proto == nacl.ProtoTCP && state == flows.StateMidstream:
		return Classification{Class: ClassUnclear, Cause: CauseMidstream, Detail: "TCP without a handshake, one direction only (one-sided capture or asymmetric routing): whether it worked cannot be told"}
	case proto == nacl.ProtoTCP && (state == flows.StateEstablished || state == flows.StateClosedFIN || state == flows.StateClosedRST):
		return Classification{Class: ClassBreakage, Cause: CauseHandshake, Detail: "the handshake completed in the capture, and the denying rule is not about its peer or port"}
	case proto != nacl.ProtoTCP && cr.Response.Packets > cr.Response.ICMPErrors:
		return Classification{Class: ClassBreakage, Cause: CauseAnswered, Detail: "an answer came back in the capture, and the denying rule is not about its peer or port"}
	}
	return Classification{Class: ClassUnclear, Cause: CauseOneWay, Detail: "packets one way only and no error: one-way traffic (syslog, flow export) expects no answer, or the answer was lost; whether it worked cannot be told"}
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
