package nacl

import "fmt"

// Miss says why an entry did not match a packet.
type Miss uint8

// Reasons an entry did not match, in the order they are checked.
const (
	// MissNone: the entry matched.
	MissNone Miss = iota
	// MissDirection: the entry is for the other direction.
	MissDirection
	// MissFamily: an IPv4 entry and an IPv6 packet, or vice versa.
	MissFamily
	// MissProtocol: the entry names another protocol.
	MissProtocol
	// MissAddress: the source (inbound) or destination (outbound) address
	// is outside the entry's CIDR.
	MissAddress
	// MissPort: the destination port is outside the entry's port range
	// (or unknown, for a non-first fragment).
	MissPort
	// MissICMP: the ICMP type or code differs (or is unknown).
	MissICMP
	// MissNotReached: an earlier entry already decided (TraceFull only).
	MissNotReached
)

// String returns a short name: "", "direction", "family", "protocol",
// "address", "port", "icmp", "not-reached".
func (m Miss) String() string {
	switch m {
	case MissNone:
		return ""
	case MissDirection:
		return "direction"
	case MissFamily:
		return "family"
	case MissProtocol:
		return "protocol"
	case MissAddress:
		return "address"
	case MissPort:
		return "port"
	case MissICMP:
		return "icmp"
	case MissNotReached:
		return "not-reached"
	}
	return fmt.Sprintf("miss(%d)", uint8(m))
}

// Step is one entry considered while evaluating a packet.
type Step struct {
	// Entry is the index in ACL.Entries, -1 for the implicit default rule.
	Entry int
	// RuleNumber is the entry's number (32767/32768 for the default rule).
	RuleNumber int
	Action     Action
	// Matched is true for the one step that decided (always the last).
	Matched bool
	// Miss says why the entry did not match (MissNone when Matched).
	Miss Miss
	// Why explains the miss or match in words, e.g.
	// "source 203.0.113.9 not in 10.0.0.0/16".
	Why string
	// Uncertain is true when the entry was passed over only because the
	// packet's port or ICMP type was unknown (non-first fragment).
	Uncertain bool
}

// Trace evaluates p like Evaluate but returns every entry of direction dir
// it considered, in evaluation order (ascending rule number, both IP
// families interleaved as the console shows them; entries of the other
// family fail with MissFamily), ending with the step that decided, which
// is the default rule 32767/32768 when nothing else matched. Entries of
// the other direction are never considered and are not listed. The last
// step always agrees with Evaluate. Trace allocates; use it for
// explanations only.
func (e *Evaluator) Trace(dir Direction, p *Packet) []Step {
	addr := p.Src
	side := "source"
	if dir == Egress {
		addr = p.Dst
		side = "destination"
	}
	def := DefaultRuleIPv4
	if addr.Is6() {
		def = DefaultRuleIPv6
	}
	var steps []Step
	if addr.IsValid() {
		for i := range e.all[dir&1] {
			r := &e.all[dir&1][i]
			miss, unc := r.match(p, addr)
			st := Step{Entry: r.idx, RuleNumber: r.num, Action: r.action, Miss: miss, Uncertain: unc}
			if miss == MissNone {
				st.Matched = true
				st.Why = "matches"
				steps = append(steps, st)
				return steps
			}
			st.Why = r.why(miss, p, addr, side)
			steps = append(steps, st)
		}
	}
	why := "no numbered rule matched: the implicit default rule denies"
	if !addr.IsValid() {
		why = "packet has no valid " + side + " address"
	}
	return append(steps, Step{Entry: -1, RuleNumber: def, Action: Deny, Matched: true, Why: why})
}

// why words a miss for people.
func (r *rule) why(m Miss, p *Packet, addr interface{ String() string }, side string) string {
	switch m {
	case MissFamily:
		if r.v6 {
			return "IPv6 entry, IPv4 packet"
		}
		return "IPv4 entry, IPv6 packet"
	case MissProtocol:
		if p.ProtoUnknown {
			return fmt.Sprintf("protocol unknown (the capture cut the IPv6 extension headers), entry needs %s", ProtocolName(r.proto))
		}
		return fmt.Sprintf("protocol %s, entry is %s", ProtocolName(int(p.Proto)), ProtocolName(r.proto))
	case MissAddress:
		return fmt.Sprintf("%s %s not in %s", side, addr, r.prefix)
	case MissPort:
		if !p.HasPort {
			return fmt.Sprintf("destination port unknown (a non-first fragment, or a header the capture cut), entry needs %s; AWS does not document fragment handling", r.ports)
		}
		return fmt.Sprintf("destination port %d not in %s", p.DstPort, r.ports)
	case MissICMP:
		if !p.HasICMP {
			return fmt.Sprintf("ICMP type unknown (a non-first fragment, or a header the capture cut), entry needs %s; AWS does not document fragment handling", icmpText(r.icmpType, r.icmpCode))
		}
		return fmt.Sprintf("ICMP type %d code %d, entry needs %s", p.ICMPType, p.ICMPCode, icmpText(r.icmpType, r.icmpCode))
	}
	return m.String()
}

// icmpText formats an ICMP type/code filter: "any", "type 3", "type 3 code 4".
func icmpText(typ, code int) string {
	switch {
	case typ < 0:
		return "any type"
	case code < 0:
		return fmt.Sprintf("type %d", typ)
	default:
		return fmt.Sprintf("type %d code %d", typ, code)
	}
}

// TraceFull is Trace followed by the entries evaluation never reached:
// the rest of direction dir (MissNotReached, in rule order, after the
// deciding step) and then every entry of the other direction
// (MissDirection, in rule order). Only the deciding step has Matched set.
func (e *Evaluator) TraceFull(dir Direction, p *Packet) []Step {
	steps := e.Trace(dir, p)
	decided := steps[len(steps)-1]
	seen := map[int]bool{}
	for _, s := range steps {
		seen[s.Entry] = true
	}
	if decided.Entry >= 0 {
		for _, r := range e.all[dir&1] {
			if !seen[r.idx] {
				steps = append(steps, Step{Entry: r.idx, RuleNumber: r.num, Action: r.action, Miss: MissNotReached,
					Why: fmt.Sprintf("not reached: rule %d decided first", decided.RuleNumber)})
			}
		}
	}
	other := Egress
	if dir&1 == Egress {
		other = Ingress
	}
	for _, r := range e.all[other] {
		steps = append(steps, Step{Entry: r.idx, RuleNumber: r.num, Action: r.action, Miss: MissDirection,
			Why: fmt.Sprintf("n/a: %s rule, the packet is %s", other, dir&1)})
	}
	return steps
}
