package flows

import (
	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows/ephemeral"
)

// decision is the classifier's verdict: the canonical side of the client.
type decision struct {
	client uint8
	// learn, when learnFiltered is set, says which of the endpoints
	// knownRoles.learn records: only those of conversations the early
	// rules leave undecided (the fan-in table's), the only ones a weak
	// decision (the only kind known roles override) can ask about. It
	// fits in the struct's padding.
	learn      uint8
	evidence   Evidence
	confidence Confidence
}

// decision.learn bits.
const (
	learnFiltered uint8 = 1 << iota
	learnClient
	learnServer
)

// classify decides client and server of r, strongest evidence first:
//
//  1. TCP SYN without ACK: its sender is the client (certain; high when
//     both sides sent a SYN, a simultaneous open, and the first SYN wins).
//  2. TCP SYN-ACK without any SYN: its sender is the server (high when
//     the other side then sent an ACK or data, medium for a lone SYN-ACK).
//  3. ICMP echo: the request sender is the client (certain); with replies
//     only, the replier is the server (high).
//  4. Other protocols (GRE, ESP, ...): no roles, A is called client
//     (evidence none, low). ICMP other than echo: first-packet, low.
//  5. Payload (TCP without handshake, UDP): the first payload bytes of the
//     conversation's first packets name the client (see payload.go; high
//     when both sides' payloads agree, else medium).
//  6. Ports (TCP without handshake, UDP), see classifyPortsEarly.
//
// SYN+RST and SYN+FIN segments are no evidence (tcpUpdate ignores them).
func classify(r *rec, fan *fanIn) decision {
	d, ok := classifyEarly(r)
	if !ok {
		d = classifyLate(r, fan)
	}
	if fan != nil {
		d.learn = learnFiltered
		if r.k.kind&^kindV6 == kindPorts && len(fan.count) > 0 && strong(d) {
			if fan.wants(endpointOf(&r.k, d.client)) {
				d.learn |= learnClient
			}
			if fan.wants(endpointOf(&r.k, 1-d.client)) {
				d.learn |= learnServer
			}
		}
	}
	return d
}

// classifyEarly is classify up to the port rules that need no other
// conversation (1-4 above, and rules 1-2 of classifyPortsEarly); ok is false
// when the decision needs fan-in or later rules. Only such conversations
// (TCP/UDP) can end with a weak decision.
func classifyEarly(r *rec) (decision, bool) {
	s0, s1 := r.side[0], r.side[1]
	switch {
	case r.k.proto == capture.ProtoTCP && (s0|s1)&sSYN != 0:
		if s0&sSYN != 0 && s1&sSYN != 0 {
			return decision{client: r.firstSynSide(), evidence: EvidenceSYN, confidence: High}, true
		}
		return decision{client: sideWith(s0, sSYN), evidence: EvidenceSYN, confidence: Certain}, true
	case r.k.proto == capture.ProtoTCP && (s0^s1)&sSYNACK != 0:
		server := sideWith(s0, sSYNACK)
		client := 1 - server
		if r.side[client]&sAckAfterSynAck != 0 {
			return decision{client: client, evidence: EvidenceSYNACK, confidence: High}, true
		}
		return decision{client: client, evidence: EvidenceSYNACK, confidence: Medium}, true
	case r.k.kind&^kindV6 == kindEcho:
		switch {
		case s0&sSYN != 0 && s1&sSYN != 0:
			// Both sides sent requests with one identifier: the first packet's
			// sender (whose request started the conversation) is the client.
			return decision{client: r.aSide(), evidence: EvidenceICMPEcho, confidence: High}, true
		case (s0|s1)&sSYN != 0:
			return decision{client: sideWith(s0, sSYN), evidence: EvidenceICMPEcho, confidence: Certain}, true
		case (s0^s1)&sSYNACK != 0:
			return decision{client: 1 - sideWith(s0, sSYNACK), evidence: EvidenceICMPEcho, confidence: High}, true
		}
		return decision{client: r.aSide(), evidence: EvidenceFirstPacket, confidence: Low}, true
	case r.k.kind&^kindV6 == kindAddrs:
		if isICMP(r.k.proto) {
			return decision{client: r.aSide(), evidence: EvidenceFirstPacket, confidence: Low}, true
		}
		return decision{client: r.aSide(), evidence: EvidenceNone, confidence: Low}, true
	}
	if d, ok := payloadDecision(r); ok {
		return d, true
	}
	return classifyPortsEarly(r)
}

// sideWith returns 0 when bits of side 0 contain bit, else 1.
func sideWith(side0, bit uint8) uint8 {
	if side0&bit != 0 {
		return 0
	}
	return 1
}

// Port evidence decides, in this order:
//
//  1. service-port: exactly one side is in ServicePorts; it is the server
//     (high when the other port is >= 1024, i.e. in an ephemeral range;
//     medium when it is below 1024, e.g. an NFS client's privileged port).
//  2. ephemeral-port: one port is below 1024 (in no ephemeral profile) and
//     the other in at least one: the low port is the server (medium).
//  3. known-role (applied in Classify, see knownRoles.apply): an endpoint
//     is the client, or the server, of another conversation decided by a
//     SYN, a confirmed SYN-ACK, agreeing payloads or a service port (medium).
//  4. fan-in: exactly one endpoint (address:port) was come to by at least
//     Config.FanInPeers distinct peers over the whole capture (a peer
//     comes to an endpoint when it sent the first packet of their
//     conversation; the peers an endpoint itself called, fan-out, do not
//     count); when both were, the one with more peers (medium).
//  5. shared-port: one endpoint talked with at least two peers of
//     different addresses and different ports, at least one of which came
//     to it (sent the first packet), and the other endpoint talked only
//     with it: the shared one is the listening side (low). Peers sharing
//     one port (a client calling one service on several hosts) or one
//     address (a client using two ports of one server) do not count.
//  6. ephemeral-port: one port lies only in the narrow "registered" part of
//     the profiles (1024-9999) and the other in a modern dynamic range
//     (a profile starting at 10000 or above): the former is the server (low).
//  7. first-packet: the sender of the first packet is the client (low);
//     skipped for TCP conversations that began by splitting an idle or
//     closed one, whose first packet says nothing.
//  8. lower-port: the lower port is the server (low).
//
// Equal ports (NTP 123<->123, IKE 4500<->4500) and two service ports
// (BGP 179<->179, DNS 53<->53) are thus left to known-role, fan-in,
// shared-port, first-packet and lower-port (payload evidence, which comes
// before all port rules, often decides them first).
//
// classifyPortsEarly applies the port rules 1-2, classifyLate the others.
func classifyPortsEarly(r *rec) (decision, bool) {
	pa, pb := r.k.pa, r.k.pb
	sa, sb := IsServicePort(pa), IsServicePort(pb)
	if sa != sb {
		server, other := uint8(0), pb
		if sb {
			server, other = 1, pa
		}
		conf := High
		if other < 1024 {
			conf = Medium
		}
		return decision{client: 1 - server, evidence: EvidenceServicePort, confidence: conf}, true
	}
	ra, rb := ephemeralRank(pa), ephemeralRank(pb)
	if (ra == 0) != (rb == 0) {
		return decision{client: serverIf(ra == 0), evidence: EvidenceEphemeral, confidence: Medium}, true
	}
	return decision{}, false
}

// classifyLate applies the port rules 4-8 (3 is applied in Classify).
func classifyLate(r *rec, fan *fanIn) decision {
	pa, pb := r.k.pa, r.k.pb
	ra, rb := ephemeralRank(pa), ephemeralRank(pb)
	if fan != nil {
		fa, fb := fan.peers(r, 0), fan.peers(r, 1)
		qa, qb := fa >= fan.min, fb >= fan.min
		switch {
		case qa && !qb, qa && qb && fa > fb:
			return decision{client: 1, evidence: EvidenceFanIn, confidence: Medium}
		case qb && !qa, qa && qb && fb > fa:
			return decision{client: 0, evidence: EvidenceFanIn, confidence: Medium}
		}
		sa, sb := fan.shared(r, 0), fan.shared(r, 1)
		switch {
		case sa && fan.total(r, 1) == 1:
			return decision{client: 1, evidence: EvidenceSharedPort, confidence: Low}
		case sb && fan.total(r, 0) == 1:
			return decision{client: 0, evidence: EvidenceSharedPort, confidence: Low}
		}
	}
	if ra != rb {
		return decision{client: serverIf(ra < rb), evidence: EvidenceEphemeral, confidence: Low}
	}
	if r.flags&fContinued == 0 || pa == pb {
		return decision{client: r.aSide(), evidence: EvidenceFirstPacket, confidence: Low}
	}
	return decision{client: serverIf(pa < pb), evidence: EvidenceLowerPort, confidence: Low}
}

// serverIf returns the client side given whether side 0 is the server.
func serverIf(side0IsServer bool) uint8 {
	if side0IsServer {
		return 1
	}
	return 0
}

// ephemeralRank grades how much a port looks like a client port: 0 when
// it is in no ephemeral profile (below 1024), 2 when it is in a modern
// dynamic range (a profile starting at 10000 or above: Linux, Windows,
// IANA, FreeBSD), 1 otherwise (1024-9999: only the wide AWS-managed range
// or the old Windows 2003 range).
func ephemeralRank(port uint16) int {
	rank := 0
	for _, p := range ephemeral.Profiles {
		if !p.Contains(port) {
			continue
		}
		if p.From >= 10000 {
			return 2
		}
		rank = 1
	}
	return rank
}
