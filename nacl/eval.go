package nacl

import (
	"cmp"
	"net/netip"
	"slices"
)

// Evaluator evaluates packets against one ACL. It is built once per ACL
// (entries split by direction and IP family and sorted by rule number)
// so that Evaluate never allocates. Safe for concurrent use.
type Evaluator struct {
	acl *ACL
	// rules[dir][family] holds the compiled entries of one direction and
	// family (0 = IPv4, 1 = IPv6) in ascending rule number; entries with
	// equal numbers (invalid, but possible in programmatic ACLs) keep their
	// input order.
	rules [2][2][]rule
	// all[dir] holds both families of one direction in evaluation order,
	// for Trace.
	all [2][]rule
}

// rule is one compiled entry.
type rule struct {
	num    int
	idx    int // index in ACL.Entries
	action Action
	proto  int // -1 = any
	prefix netip.Prefix
	v6     bool
	// usePorts: the entry is TCP/UDP and its port range matters.
	usePorts bool
	fullPort bool // range is 0-65535
	ports    PortRange
	// useICMP: ICMP (1), or ICMPv6 (58) with an IPv6 CIDR.
	useICMP            bool
	icmpType, icmpCode int
}

// Compile prepares acl for evaluation. The ACL must not change afterwards.
func Compile(acl *ACL) *Evaluator {
	e := &Evaluator{acl: acl}
	for i := range acl.Entries {
		en := &acl.Entries[i]
		r := rule{
			num:      en.RuleNumber,
			idx:      i,
			action:   en.Action,
			proto:    en.Protocol,
			prefix:   en.CIDR.Masked(),
			v6:       en.IsIPv6(),
			ports:    en.Ports,
			icmpType: en.ICMPType,
			icmpCode: en.ICMPCode,
		}
		r.usePorts = r.proto == ProtoTCP || r.proto == ProtoUDP
		r.fullPort = r.ports.From == 0 && r.ports.To == 65535
		r.useICMP = r.proto == ProtoICMP || (r.proto == ProtoICMPv6 && r.v6)
		d := en.Direction & 1
		fam := 0
		if r.v6 {
			fam = 1
		}
		e.rules[d][fam] = append(e.rules[d][fam], r)
		e.all[d] = append(e.all[d], r)
	}
	byNum := func(a, b rule) int {
		if c := cmp.Compare(a.num, b.num); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	}
	for d := range e.rules {
		for f := range e.rules[d] {
			slices.SortFunc(e.rules[d][f], byNum)
		}
		slices.SortFunc(e.all[d], byNum)
	}
	return e
}

// ACL returns the ACL the evaluator was built from.
func (e *Evaluator) ACL() *ACL { return e.acl }

// Evaluate returns the decision of the dir rules for p. It does not allocate.
// A TCP/UDP packet with HasPort false (non-first fragment) does not match
// entries whose port range is narrower than 0-65535, and Decision.Uncertain
// is set when such an entry was passed over. Likewise an ICMP packet with
// HasICMP false does not match entries naming a specific ICMP type.
//
// A packet whose ProtoUnknown is set (the capture cut it inside its IPv6
// extension-header chain) does not match entries naming a protocol, and
// Decision.Uncertain is set when such an entry was passed over.
//
// The IP family is that of the address the direction matches (source
// inbound, destination outbound). An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) is an IPv6 address: an IPv6 packet meets only IPv6
// entries and the IPv6 default rule, whatever its addresses look like. An
// invalid address meets only the IPv4 default rule.
func (e *Evaluator) Evaluate(dir Direction, p *Packet) Decision {
	addr := p.Src
	if dir == Egress {
		addr = p.Dst
	}
	v6 := addr.Is6()
	fam := 0
	def := DefaultRuleIPv4
	if v6 {
		fam = 1
		def = DefaultRuleIPv6
	}
	uncertain := false
	if addr.IsValid() {
		rules := e.rules[dir&1][fam]
		for i := range rules {
			r := &rules[i]
			miss, unc := r.match(p, addr)
			if miss == MissNone {
				return Decision{Action: r.action, RuleNumber: r.num, Entry: r.idx, Uncertain: uncertain}
			}
			uncertain = uncertain || unc
		}
	}
	return Decision{Action: Deny, RuleNumber: def, Entry: -1, Uncertain: uncertain}
}

// match reports why r does not match p (MissNone when it matches) and
// whether the miss was only because the port or ICMP type/code was unknown.
// addr is the address the rule's CIDR is compared with.
func (r *rule) match(p *Packet, addr netip.Addr) (Miss, bool) {
	if r.v6 != addr.Is6() {
		return MissFamily, false
	}
	if r.proto != ProtoAll && !p.ProtoUnknown && r.proto != int(p.Proto) {
		return MissProtocol, false
	}
	if !r.prefix.Contains(addr) {
		return MissAddress, false
	}
	if r.proto != ProtoAll && p.ProtoUnknown {
		// The entry would match if the protocol were its own.
		return MissProtocol, true
	}
	if r.usePorts && !r.fullPort {
		if !p.HasPort {
			return MissPort, true
		}
		if !r.ports.Contains(p.DstPort) {
			return MissPort, false
		}
	}
	if r.useICMP && r.icmpType >= 0 {
		if !p.HasICMP {
			return MissICMP, true
		}
		if int(p.ICMPType) != r.icmpType {
			return MissICMP, false
		}
		if r.icmpCode >= 0 && int(p.ICMPCode) != r.icmpCode {
			return MissICMP, false
		}
	}
	return MissNone, false
}
