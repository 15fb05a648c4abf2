package flows

// Endpoint role bits in knownRoles.
const (
	roleClient uint8 = 1 << iota
	roleServer
)

// knownRoles remembers the TCP/UDP endpoints whose role was decided by
// strong evidence (a SYN, a confirmed SYN-ACK, or a service port with an
// ephemeral peer, payloads of both sides that agree) in some conversation
// of the capture.
type knownRoles map[endpointKey]uint8

// strong reports whether d may teach roles to other conversations.
func strong(d decision) bool {
	switch d.evidence {
	case EvidenceSYN, EvidenceSYNACK, EvidencePayload, EvidenceServicePort:
		return d.confidence == Certain || d.confidence == High
	}
	return false
}

// weak reports whether d may be overridden by a known role: decisions
// ranked below known-role (fan-in, shared-port, the weak ephemeral rule,
// first-packet, lower-port).
func weak(d decision) bool {
	switch d.evidence {
	case EvidenceFanIn, EvidenceSharedPort, EvidenceFirstPacket, EvidenceLowerPort:
		return true
	case EvidenceEphemeral:
		return d.confidence == Low
	}
	return false
}

// learn records the roles of r's endpoints from a strong decision.
func (kr knownRoles) learn(r *rec, d decision) {
	if r.k.kind&^kindV6 != kindPorts || !strong(d) {
		return
	}
	f := d.learn&learnFiltered != 0 // only endpoints that may be asked about
	if !f || d.learn&learnClient != 0 {
		kr[endpointOf(&r.k, d.client)] |= roleClient
	}
	if !f || d.learn&learnServer != 0 {
		kr[endpointOf(&r.k, 1-d.client)] |= roleServer
	}
}

// apply returns the known-role decision for r, if the roles learnt
// elsewhere name exactly one consistent client side: side X is a known
// client (and never a server) or side Y a known server (and never a
// client), without the other side contradicting it. This carries a
// handshake's verdict over to the continuation of a TCP connection split
// by an idle timeout, and names the client of a TFTP transfer that the
// server answers from a new port.
func (kr knownRoles) apply(r *rec) (decision, bool) {
	if r.k.kind&^kindV6 != kindPorts {
		return decision{}, false
	}
	var votes [2]int // votes[s]: evidence that side s is the client
	for s := uint8(0); s < 2; s++ {
		switch kr[endpointOf(&r.k, s)] {
		case roleClient:
			votes[s]++
		case roleServer:
			votes[1-s]++
		}
	}
	switch {
	case votes[0] > 0 && votes[1] == 0:
		return decision{client: 0, evidence: EvidenceKnownRole, confidence: Medium}, true
	case votes[1] > 0 && votes[0] == 0:
		return decision{client: 1, evidence: EvidenceKnownRole, confidence: Medium}, true
	}
	return decision{}, false
}
