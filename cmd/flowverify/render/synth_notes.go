package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/text"
	"github.com/flowverify/flowverify/nacl/synth"
)

// This file writes the sentences of flowverify synth: the summaries of
// the self-check and of the unseen-data replays, the denied replies
// outside a forced ephemeral range, the peer decisions' reasons and the
// builder's warnings and notes. nacl/synth returns them as data.

// SynthOutsideForced is "tcp client 198.51.100.57 used port 37897,
// outside the forced windows range 49152-65535: its replies will be
// denied (1 conversation(s))".
func SynthOutsideForced(o *synth.OutsideForced) string {
	what := "port " + synthPorts(o.Ports)
	if len(o.Ports) > 1 {
		what = "ports " + synthPorts(o.Ports)
	}
	return fmt.Sprintf("%s client %s used %s, outside the forced %s range %s: its replies will be denied (%d conversation(s))",
		flows.ProtoName(o.Proto), o.Client, what, o.Profile, o.Range, o.Convs)
}

// SynthCheckSummary summarises the self-check in one line ("PASS: 194
// packets replayed: ...").
func SynthCheckSummary(c *synth.CheckResult) string {
	s := fmt.Sprintf("%d packets replayed: %d allowed, %d exempt, %d not filtered, %d denied as intended (excluded conversations)",
		c.Packets, c.Allowed, c.Exempt, c.NotFiltered, c.Expected)
	if c.OutsideForced > 0 {
		s += fmt.Sprintf(", %d denied as intended (replies to client ports outside the forced ephemeral range)", c.OutsideForced)
	}
	if c.Uncertain > 0 {
		s += fmt.Sprintf(", %d denied with unknown ports (fragments; AWS behaviour UNCONFIRMED)", c.Uncertain)
	}
	if c.OK() {
		return "PASS: " + s
	}
	return fmt.Sprintf("FAIL: %d packets of used conversations denied (%d distinct shapes); %s", c.FailedPackets, len(c.Failures), s)
}

// SynthUnseenSummary summarises a replay of data the synthesis did not
// learn from in one line.
func SynthUnseenSummary(u *synth.Unseen) string {
	verdict := "PASS"
	if !u.OK() {
		verdict = "FAIL"
	}
	if u.Incomplete {
		verdict += " (INCOMPLETE: the data could not be read whole; counts cover what was read)"
	}
	s := fmt.Sprintf("%s: %d working conversation(s): %d allowed, %d denied", verdict, u.Working, u.Working-len(u.Denied)-len(u.Restricted), len(u.Denied))
	if len(u.Denied) > 0 {
		n := map[synth.DenialReason]int{}
		var order []synth.DenialReason
		for _, d := range u.Denied {
			if n[d.Reason] == 0 {
				order = append(order, d.Reason)
			}
			n[d.Reason]++
		}
		parts := make([]string, len(order))
		for i, r := range order {
			parts[i] = fmt.Sprintf("%d %s", n[r], r)
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if len(u.Restricted) > 0 {
		s += fmt.Sprintf(", %d kept out on purpose (new peer on an administrative or database port kept to its observed peers; --public-port opens it)", len(u.Restricted))
	}
	s += fmt.Sprintf("; %d never-worked conversation(s) (scans, refused): %d denied", u.Failed, u.Failed-len(u.FailedAllowed)-len(u.FailedViaResponse)-u.FailedServedPort)
	if u.FailedServedPort > 0 {
		s += fmt.Sprintf(", %d on a served port (refused by the host)", u.FailedServedPort)
	}
	if len(u.FailedViaResponse) > 0 {
		s += fmt.Sprintf(", %d admitted by a response range (stateless NACL)", len(u.FailedViaResponse))
	}
	if len(u.FailedAllowed) > 0 {
		s += fmt.Sprintf(", %d let through on a port no working conversation used", len(u.FailedAllowed))
	}
	if u.Exempt > 0 {
		s += fmt.Sprintf("; %d need no rule", u.Exempt)
	}
	return s
}

// synthExclusion says why a conversation produced no rule: "rejected:
// SYN answered by RST", "denied by kept rule inbound 90", or the replay
// reason of exempt traffic ("amazon-dns").
func synthExclusion(r *synth.ExclusionReason) string {
	if r.Reason == synth.ReasonKeptDeny {
		return fmt.Sprintf("denied by kept rule %s %d", r.Direction, r.Rule)
	}
	return synthFailure(r.Reason)
}

// synthFailure says how a conversation failed (a synth.Fail* code); other
// codes print as they are.
func synthFailure(code string) string {
	switch code {
	case synth.FailRejected:
		return "rejected: SYN answered by RST"
	case synth.FailUnanswered:
		return "unanswered: SYN never answered"
	case synth.FailHandshake:
		return "handshake never completed (half-open scan or failed attempt)"
	case synth.FailPingUnanswered:
		return "ping never answered"
	case synth.FailICMPErrors:
		return "answered only by ICMP errors (e.g. port unreachable)"
	}
	return code
}

// synthFailedAllowed is "#7 tcp A:P -> B:P (rejected: SYN answered by
// RST), let through by a service rule".
func synthFailedAllowed(f *synth.FailedConv) string {
	return fmt.Sprintf("%s (%s), let through by a %s rule", synthConvLabel(&f.Conv), synthFailure(f.Why), f.Through)
}

// synthFailedViaResponse is "#7 tcp A:P -> B:P (rejected: SYN answered
// by RST)".
func synthFailedViaResponse(f *synth.FailedConv) string {
	return fmt.Sprintf("%s (%s)", synthConvLabel(&f.Conv), synthFailure(f.Why))
}

// synthCurveMerge is the merge that reached a curve point: "A + B -> TO"
// ("" for the first point).
func synthCurveMerge(r *synth.Result, p *synth.CurvePoint) string {
	if p.Merge < 0 || p.Merge >= len(r.Merges) {
		return ""
	}
	m := &r.Merges[p.Merge]
	return m.A + " + " + m.B + " -> " + m.To
}

// SynthDecisionReason explains a peer decision in one sentence ("public
// service: 3 peers from public address space in 2 different /8s, e.g.
// ...").
func SynthDecisionReason(d *synth.Decision) string {
	switch d.Why {
	case synth.WhyPeersExact:
		return "--peers exact: the observed peers"
	case synth.WhyUnsureRole:
		return fmt.Sprintf("roles uncertain in %d conversation(s) on a port in an ephemeral range: the observed peers only", d.Unsure)
	case synth.WhyRestricted:
		return fmt.Sprintf("administrative or database port reached from %s: kept to the observed peers, since 0.0.0.0/0 on it is what AWS Security Hub flags; --public-port %d opens it to the world", synthPublicPeers(d), d.Port)
	case synth.WhyPublicService:
		return "public service: " + synthPublicPeers(d)
	case synth.WhyPublicDestination:
		what := fmt.Sprintf("on the well-known port %d", d.Port)
		if d.Proto == nacl.ProtoICMP || d.Proto == nacl.ProtoICMPv6 {
			what = "with echo requests"
		}
		return fmt.Sprintf("the subnet's own requests to %s %s: such peers (mirrors, APIs, resolvers) rotate", synthPublicPeers(d), what)
	case synth.WhyNotWellKnown:
		return fmt.Sprintf("requests to %s on port %d, which is not a well-known service port: the observed peers only", synthPublicPeers(d), d.Port)
	case synth.WhyFixedPeer:
		return fmt.Sprintf("one private peer %s in %d conversation(s): a fixed peer (a database primary, a bastion); --peers subnet widens it", d.FixedPeer, d.Convs)
	case synth.WhyEnclosing:
		kind := "private peer(s)"
		if d.AnyPeer {
			kind = "peer(s)"
		}
		if len(d.Enclosing) == 0 {
			return fmt.Sprintf("%d %s outside every modelled subnet and VPC CIDR: the observed peers only (give --vpc-cidr, --peer-subnet or --subnets to generalise)", d.Outside, kind)
		}
		what := "modelled subnet(s)"
		if d.Intent == synth.IntentVPC {
			what = "modelled subnet(s) / VPC CIDR(s)"
		}
		names := make([]string, len(d.Enclosing))
		for i, p := range d.Enclosing {
			names[i] = p.String()
		}
		if d.Outside > 0 {
			return fmt.Sprintf("%d %s in the %s %s (the smallest enclosing modelled prefix of each); %d outside them kept exact", d.Inside, kind, what, strings.Join(names, ", "), d.Outside)
		}
		return fmt.Sprintf("%d %s, all in the %s %s: the smallest enclosing modelled prefix of each", d.Inside, kind, what, strings.Join(names, ", "))
	}
	return ""
}

// synthPublicPeers is "1 peer from public address space (A)" or "3 peers
// from public address space in 2 different /8s, e.g. A, B, C".
func synthPublicPeers(d *synth.Decision) string {
	if d.PublicPeers == 1 && !d.PeersMore {
		return fmt.Sprintf("1 peer from public address space (%s)", d.PublicExamples[0])
	}
	n := strconv.Itoa(d.PublicPeers)
	if d.PeersMore {
		n = "more than " + n
	}
	unit := "/8"
	if d.IPv6 {
		unit = "/32"
	}
	where := "one " + unit
	if d.PublicNets > 1 {
		where = fmt.Sprintf("%d different %ss", d.PublicNets, unit)
	}
	ex := make([]string, len(d.PublicExamples))
	for i, p := range d.PublicExamples {
		ex[i] = p.String()
	}
	return fmt.Sprintf("%s peers from public address space in %s, e.g. %s", n, where, strings.Join(ex, ", "))
}

// SynthMessages writes each warning or note of a synthesis as a sentence
// (nil for none).
func SynthMessages(ms []synth.Message) []string {
	out := make([]string, len(ms)) // never nil: JSON lists are [] when empty
	for i := range ms {
		out[i] = SynthMessage(&ms[i])
	}
	return out
}

// SynthMessage writes a warning or note of a synthesis as a sentence.
func SynthMessage(m *synth.Message) string {
	pn := flows.ProtoName(m.Proto)
	var s string
	switch m.Kind {
	case synth.MsgPMTUDCovered:
		return fmt.Sprintf("%s %s: observed rule %q already allows path MTU discovery (%s); no separate rule", m.Direction, family(m.IPv6), text.Rule(&m.Rule), text.Rule(&m.PMTUD))
	case synth.MsgPMTUDNoRoom:
		return fmt.Sprintf("%s %s: no room for the path MTU discovery rule %s within --max-rules %d: left out (it is recommended by AWS, not observed traffic; raise --max-rules or add it by hand)",
			m.Direction, family(m.IPv6), text.Rule(&m.PMTUD), m.Limit)
	case synth.MsgOverQuota:
		return fmt.Sprintf("%s %s: %d rules needed (including the default rule), more than --max-rules %d: every further merge would allow a port that a scan or refused connection found closed; raise --max-rules (at most %d) or accept the longer list",
			m.Direction, family(m.IPv6), m.Count, m.Limit, m.Max)
	case synth.MsgUnsureRole:
		d := synth.Decision{Direction: m.Direction, Proto: m.Proto, Port: m.Port}
		ex := ""
		if len(m.Convs) > 0 {
			c := m.Convs[0]
			ex = fmt.Sprintf("%s (%s, %s confidence)", synthConvLabel(&c.Conv), c.Evidence, c.Confidence)
		}
		return fmt.Sprintf("%s: client/server roles uncertain in %d of %d conversation(s) (e.g. %s) and the port is in an ephemeral range: kept to the %d observed peer(s) instead of generalising (a reversed role would open an ephemeral port to the world); check the roles with flowverify flows",
			synthService(&d), m.Count, m.Of, ex, m.Peers)
	case synth.MsgKeptDenyICMP:
		p := &m.Packet
		return fmt.Sprintf("ICMP %s -> %s type %d code %d is denied by kept rule %s %d", p.Src, p.Dst, p.ICMPType, p.ICMPCode, m.Direction, m.Rule.RuleNumber)
	case synth.MsgLowConfidence:
		ex := make([]string, 0, len(m.Convs))
		for i, c := range m.Convs {
			if i == 3 {
				break
			}
			ex = append(ex, fmt.Sprintf("%s (%s)", synthConvLabel(&c.Conv), c.Evidence))
		}
		return fmt.Sprintf("%d conversation(s) producing rules had low-confidence client/server roles (no handshake; decided by port or first packet), e.g. %s",
			m.Count, strings.Join(ex, "; "))
	case synth.MsgUnknownICMP:
		return fmt.Sprintf("%d ICMP conversation(s) of unknown type (no packet observations given): allowed as all ICMP types", m.Count)
	case synth.MsgNothingAllowed:
		return fmt.Sprintf("no conversation needs a rule: the generated ACL allows nothing (%d conversation(s) read, all excluded)", m.Count)
	case synth.MsgMergeWorkLimit:
		return fmt.Sprintf("%s %s: budget merging of %d rules stopped at its work limit (%d pair costs per rule; analysis-incomplete): %d rules remain, over --max-rules",
			m.Direction, family(m.IPv6), m.Count, m.Limit, m.Count)
	case synth.MsgOutsideForced:
		s = fmt.Sprintf("%s client ports outside the forced %s range %s get no rule: their replies will be denied (see \"Replies outside the forced ephemeral range\")", pn, m.Profile, m.Range)
	case synth.MsgSymmetricPorts:
		s = fmt.Sprintf("%s client ports below 1024 fit no ephemeral profile (symmetric service ports): allowed exactly", pn)
	case synth.MsgFallback:
		s = fmt.Sprintf("%s client ports below 1024 and above fit no ephemeral profile; falling back to %s plus exact rules for the low ports", pn, m.Range)
	case synth.MsgProfileUnion:
		s = fmt.Sprintf("%s client ports fit both %s; allowing their union %s", pn, strings.ReplaceAll(m.Profile, "+", " and "), m.Range)
	case synth.MsgAWSManaged:
		s = fmt.Sprintf("%s client ports spread beyond every OS range (below 10000 and above 5000): an AWS-managed sender (Elastic Load Balancing, NAT gateway, Lambda) or a tuned host; aws-managed %s", pn, m.Range)
	case synth.MsgTooFewForOS:
		s = fmt.Sprintf("%s client ports fit the %s range, but fewer than %d conversations cannot tell that OS from an AWS-managed sender (ports spread over 1024-65535): aws-managed %s so that the next connection holds",
			pn, m.Profile, m.Limit, m.Range)
	case synth.MsgModernClients:
		s = fmt.Sprintf("public %s clients of unknown OS: %s covers Linux (32768-60999), Windows Vista and later, macOS and the IANA range (49152-65535), as in the AWS example NACL; not FreeBSD (10000-65535) or Windows Server 2003 (1025-5000) clients: --ephemeral 0.0.0.0/0=aws-managed opens 1024-65535 for them", pn, m.Range)
	case synth.MsgAnyClient:
		s = fmt.Sprintf("public %s clients of unknown OS, using ports below 32768: %s covers every client OS", pn, m.Range)
	default:
		return fmt.Sprintf("synth message of unknown kind %d", m.Kind)
	}
	s += fmt.Sprintf(": %d client(s)", m.Clients)
	if len(m.Examples) > 0 {
		ex := make([]string, len(m.Examples))
		for i, e := range m.Examples {
			ex[i] = synthClientExample(m.Kind, &e)
		}
		s += ", e.g. " + strings.Join(ex, "; ")
	}
	return s
}

// synthClientExample quotes a client group: "198.51.100.57 (2000,40000)"
// for the ports a client-range message is about, "... (123 and
// 40000-50000)" for a fallback, "... (40000-50000)" for a profile choice.
func synthClientExample(k synth.MessageKind, e *synth.ClientExample) string {
	switch k {
	case synth.MsgOutsideForced, synth.MsgSymmetricPorts:
		return fmt.Sprintf("%s (%s)", e.Client, synthPorts(e.Ports))
	case synth.MsgFallback:
		return fmt.Sprintf("%s (%s and %d-%d)", e.Client, synthPorts(e.Ports), e.Lo, e.Hi)
	}
	return fmt.Sprintf("%s (%d-%d)", e.Client, e.Lo, e.Hi)
}

// synthPorts lists ports as the synth report prints them: "80,443", the
// first 8 of more with their count ("1,2,...,8,... (12 in all)").
func synthPorts(ps []uint16) string {
	var b strings.Builder
	for i, p := range ps {
		if i == 8 {
			fmt.Fprintf(&b, ",... (%d in all)", len(ps))
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(p)))
	}
	return b.String()
}

// synthService names a decision's service: "inbound tcp 443", "outbound
// icmp echo".
func synthService(d *synth.Decision) string {
	if d.Proto == nacl.ProtoICMP || d.Proto == nacl.ProtoICMPv6 {
		return fmt.Sprintf("%s %s echo", d.Direction, flows.ProtoName(d.Proto))
	}
	return fmt.Sprintf("%s %s %d", d.Direction, flows.ProtoName(d.Proto), d.Port)
}
