package nacl

import (
	"cmp"
	"fmt"
	"slices"
)

// Validate checks an ACL as AWS would when its entries are created and
// returns every problem found, in entry order: rule numbers outside
// 1-32766 (32767/32768 are the implicit defaults and must not be listed),
// protocols outside -1..255, missing or non-canonical CIDRs, port ranges
// with From > To, ICMP type/code outside -1..255, and entries whose
// protocol does not fit their family. ICMPv6 (58) with an IPv4 CIDR: AWS
// ignores the type/code and matches every type, but IPv4 entries only ever
// see IPv4 packets, so such an entry matches only IPv4 packets carrying
// protocol number 58 (rare: tunnels), never real ICMPv6, which is IPv6.
// Each diagnostic carries the entry's Pos and the field in AWS API
// spelling (RuleNumber, Protocol, CidrBlock, PortRange, IcmpTypeCode).
// Duplicate rule numbers are left to DuplicateRuleNumbers: the ACL can
// still be read and linted, only evaluating it is meaningless.
func Validate(acl *ACL) []Diagnostic {
	var ds []Diagnostic
	add := func(sev Severity, e *Entry, field, format string, args ...any) {
		ds = append(ds, Diagnostic{Severity: sev, Pos: e.Pos, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for i := range acl.Entries {
		e := &acl.Entries[i]
		switch {
		case IsDefaultRuleNumber(e.RuleNumber):
			add(SevError, e, "RuleNumber", "rule %d is the implicit default deny rule; it cannot be listed among the entries", e.RuleNumber)
		case e.RuleNumber < 1 || e.RuleNumber > MaxRuleNumber:
			add(SevError, e, "RuleNumber", "rule number %d outside 1-%d", e.RuleNumber, MaxRuleNumber)
		}
		if e.Protocol < ProtoAll || e.Protocol > 255 {
			add(SevError, e, "Protocol", "protocol %d outside -1..255", e.Protocol)
		}
		cidrField := "CidrBlock"
		if e.IsIPv6() {
			cidrField = "Ipv6CidrBlock"
		}
		switch {
		case !e.CIDR.IsValid():
			add(SevError, e, "CidrBlock", "missing CidrBlock or Ipv6CidrBlock")
		case e.CIDR.Masked() != e.CIDR:
			add(SevWarning, e, cidrField, "%s is not canonical; AWS stores %s", e.CIDR, e.CIDR.Masked())
		}
		if e.UsesPorts() && e.Ports.From > e.Ports.To {
			add(SevError, e, "PortRange", "port range %d-%d: From is greater than To", e.Ports.From, e.Ports.To)
		}
		if e.UsesICMP() {
			if err := CheckICMP("type", e.ICMPType); err != nil {
				add(SevError, e, "IcmpTypeCode", "%v", err)
			}
			if err := CheckICMP("code", e.ICMPCode); err != nil {
				add(SevError, e, "IcmpTypeCode", "%v", err)
			}
			if e.ICMPType == -1 && e.ICMPCode != -1 {
				add(SevWarning, e, "IcmpTypeCode", "code %d is ignored when type is -1 (all types)", e.ICMPCode)
			}
		}
		if e.CIDR.IsValid() {
			if e.Protocol == ProtoICMPv6 && !e.IsIPv6() {
				add(SevWarning, e, "Protocol", "ICMPv6 (58) with IPv4 CIDR %s: AWS ignores the ICMP type/code and matches every type, but IPv4 entries only ever see IPv4 packets, so this entry only matches IPv4 packets carrying protocol 58 (never ICMPv6, which travels over IPv6)", e.CIDR)
			}
			if e.Protocol == ProtoICMP && e.IsIPv6() {
				add(SevWarning, e, "Protocol", "ICMP (1) with IPv6 CIDR %s: IPv6 uses ICMPv6 (58); this entry only matches protocol 1 inside IPv6", e.CIDR)
			}
		}
	}
	return ds
}

// DuplicateRuleNumbers returns an error at both entries for every rule
// number used twice in one direction, in entry order. AWS refuses such an
// entry (numbers are unique per direction; whether an IPv4 and an IPv6
// entry may share one is UNCONFIRMED, and the message says so), so an ACL
// with duplicates cannot exist in AWS and evaluating it means nothing;
// lint reports them as findings instead.
func DuplicateRuleNumbers(acl *ACL) []Diagnostic {
	var ds []Diagnostic
	type key struct {
		dir Direction
		num int
	}
	first := map[key]int{}
	for i := range acl.Entries {
		e := &acl.Entries[i]
		k := key{e.Direction, e.RuleNumber}
		j, ok := first[k]
		if !ok {
			first[k] = i
			continue
		}
		o := &acl.Entries[j]
		note := ""
		if o.IsIPv6() != e.IsIPv6() {
			note = " (AWS numbers entries per direction; UNCONFIRMED whether an IPv4 and an IPv6 entry may share a number)"
		}
		msg := func(other *Entry, oi int) string {
			return fmt.Sprintf("duplicate %s rule number %d (also %s)%s", e.Direction, e.RuleNumber, posOrIndex(other, oi), note)
		}
		ds = append(ds, Diagnostic{Severity: SevError, Pos: e.Pos, Field: "RuleNumber", Msg: msg(o, j)},
			Diagnostic{Severity: SevError, Pos: o.Pos, Field: "RuleNumber", Msg: msg(e, i)})
	}
	return ds
}

// posOrIndex names an entry by its position, or by its index when unknown.
func posOrIndex(e *Entry, i int) string {
	if s := e.Pos.String(); s != "" {
		return "at " + s
	}
	return fmt.Sprintf("entry %d", i)
}

// HasErrors reports whether any diagnostic is an error.
func HasErrors(ds []Diagnostic) bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SevError })
}

// SortDiagnostics orders diagnostics by file, line and column, keeping the
// original order otherwise (stable).
func SortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		if c := cmp.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Col, b.Pos.Col)
	})
}
