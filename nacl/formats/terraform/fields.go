package terraform

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
)

// valKind is the type of a scalar attribute value.
type valKind uint8

const (
	kindNull valKind = iota
	kindString
	kindNumber
	kindBool
	// kindInvalid marks a value whose error was already reported.
	kindInvalid
)

// String names the kind for messages.
func (k valKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindBool:
		return "bool"
	}
	return "null"
}

// attr is one scalar attribute value of a rule, from HCL or JSON, with the
// position it was read from.
type attr struct {
	kind valKind
	// text is the string, the decimal form of the number, or "true"/"false".
	text string
	pos  nacl.Pos
}

// attrs are the attributes of one rule block or resource by name.
type attrs map[string]attr

// ruleSchema says which attribute names and defaults a rule source uses.
type ruleSchema struct {
	// numberField and actionField are rule_no/action (inline blocks) or
	// rule_number/rule_action (aws_network_acl_rule).
	numberField, actionField string
	// portsRequired: from_port/to_port are required for every protocol
	// (inline blocks) rather than only for tcp/udp.
	portsRequired bool
	// state: values come from terraform state, where Terraform has already
	// applied its defaults, so absent ICMP fields are not worth a warning.
	state bool
}

var inlineSchema = ruleSchema{numberField: "rule_no", actionField: "action", portsRequired: true}
var ruleResourceSchema = ruleSchema{numberField: "rule_number", actionField: "rule_action"}

// protocolNames maps the protocol names the AWS provider accepts to numbers.
var protocolNames = map[string]int{
	"all": nacl.ProtoAll, "-1": nacl.ProtoAll,
	"icmp": nacl.ProtoICMP, "tcp": nacl.ProtoTCP, "udp": nacl.ProtoUDP,
	"icmpv6": nacl.ProtoICMPv6, "icmp6": nacl.ProtoICMPv6, "ipv6-icmp": nacl.ProtoICMPv6,
	"gre": 47, "esp": 50, "ah": 51, "sctp": 132,
}

// parseProtocol parses a Terraform protocol: a name or a number -1..255.
func parseProtocol(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if n, ok := protocolNames[t]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("unknown protocol %q (want tcp, udp, icmp, icmpv6, all, -1 or a number 0-255)", s)
	}
	if n < -1 || n > 255 {
		return 0, fmt.Errorf("protocol %d outside -1..255", n)
	}
	return n, nil
}

// get returns the attribute, treating null and (in state) "" as absent.
func (a attrs) get(name string) (attr, bool) {
	v, ok := a[name]
	if !ok || v.kind == kindNull || v.kind == kindInvalid {
		return attr{}, false
	}
	if v.kind == kindString && v.text == "" {
		return attr{}, false
	}
	return v, true
}

// ruleBuilder turns one rule's attributes into an Entry.
type ruleBuilder struct {
	c *diag.Collector
	a attrs
	// pos is the rule's own position, used for absent attributes.
	pos    nacl.Pos
	schema ruleSchema
	// ok is false once an error was recorded; newRuleBuilder sets it.
	ok bool
}

// newRuleBuilder returns a builder for one rule.
func newRuleBuilder(c *diag.Collector, a attrs, pos nacl.Pos, schema ruleSchema) *ruleBuilder {
	return &ruleBuilder{c: c, a: a, pos: pos, schema: schema, ok: true}
}

// fieldPos is where field was read, or the rule's position when absent.
func (b *ruleBuilder) fieldPos(name string) nacl.Pos {
	if v, ok := b.a[name]; ok && (v.pos.Line > 0 || v.pos.Path != "") {
		return v.pos
	}
	return b.pos
}

// missing reports an absent attribute as an error when required, unless
// it is absent because its expression already failed.
func (b *ruleBuilder) missing(name string, required bool) {
	if v, ok := b.a[name]; ok && v.kind == kindInvalid {
		b.ok = false
		return
	}
	if required {
		b.fail(name, "required attribute is missing")
	}
}

func (b *ruleBuilder) fail(name, format string, args ...any) {
	b.c.Errorf(b.fieldPos(name), name, format, args...)
	b.ok = false
}

// integer reads an integer attribute given as a number or a numeric string.
func (b *ruleBuilder) integer(name string, required bool) (int, bool) {
	v, ok := b.a.get(name)
	if !ok {
		b.missing(name, required)
		return 0, false
	}
	switch v.kind {
	case kindNumber, kindString:
		t := strings.TrimSpace(v.text)
		n, err := strconv.Atoi(t)
		if err != nil {
			if f, _, ferr := big.ParseFloat(t, 10, 64, big.ToNearestEven); ferr == nil && f.IsInt() {
				b.fail(name, "integer %s out of range", t)
			} else {
				b.fail(name, "want an integer, got %s %q", v.kind, v.text)
			}
			return 0, false
		}
		return n, true
	}
	b.fail(name, "want an integer, got %s %s", v.kind, v.text)
	return 0, false
}

// str reads a string attribute (numbers convert to strings as in Terraform).
func (b *ruleBuilder) str(name string, required bool) (string, bool) {
	v, ok := b.a.get(name)
	if !ok {
		b.missing(name, required)
		return "", false
	}
	if v.kind == kindBool {
		b.fail(name, "want a string, got bool %s", v.text)
		return "", false
	}
	return v.text, true
}

// boolean reads a bool attribute (Terraform converts "true"/"false").
func (b *ruleBuilder) boolean(name string) (bool, bool) {
	v, ok := b.a.get(name)
	if !ok {
		b.missing(name, false)
		return false, false
	}
	switch strings.ToLower(v.text) {
	case "true":
		if v.kind != kindNumber {
			return true, true
		}
	case "false":
		if v.kind != kindNumber {
			return false, true
		}
	}
	b.fail(name, "want a bool, got %s %q", v.kind, v.text)
	return false, false
}

// direction reads the rule resource's egress attribute: Egress when it is
// true, else (false, absent or invalid) Ingress.
func (b *ruleBuilder) direction() nacl.Direction {
	if egress, _ := b.boolean("egress"); egress {
		return nacl.Egress
	}
	return nacl.Ingress
}

// build converts the attributes to an entry of direction dir. ok is false
// when an error was recorded; the entry is then not usable.
func (b *ruleBuilder) build(dir nacl.Direction) (nacl.Entry, bool) {
	e := nacl.Entry{Direction: dir, Pos: b.pos, ICMPType: -1, ICMPCode: -1}
	if n, ok := b.integer(b.schema.numberField, true); ok {
		e.RuleNumber = n
	}
	if s, ok := b.str(b.schema.actionField, true); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "allow":
			e.Action = nacl.Allow
		case "deny":
			e.Action = nacl.Deny
		default:
			b.fail(b.schema.actionField, "unknown rule action %q (want allow or deny)", s)
		}
	}
	protoOK := false
	if s, ok := b.str("protocol", true); ok {
		p, err := parseProtocol(s)
		if err != nil {
			b.fail("protocol", "%v", err)
		} else {
			e.Protocol, protoOK = p, true
		}
	}
	b.cidr(&e)
	from, hasFrom := b.integer("from_port", b.schema.portsRequired)
	to, hasTo := b.integer("to_port", b.schema.portsRequired)
	if protoOK && (e.Protocol == nacl.ProtoTCP || e.Protocol == nacl.ProtoUDP) {
		if !b.schema.portsRequired {
			if !hasFrom && b.a["from_port"].kind != kindInvalid {
				b.fail("from_port", "required for protocol %s", protoText(e.Protocol))
			}
			if !hasTo && b.a["to_port"].kind != kindInvalid {
				b.fail("to_port", "required for protocol %s", protoText(e.Protocol))
			}
		}
		if hasFrom && hasTo {
			if from < 0 || from > 65535 {
				b.fail("from_port", "port %d outside 0..65535", from)
			} else if to < 0 || to > 65535 {
				b.fail("to_port", "port %d outside 0..65535", to)
			} else {
				e.Ports = nacl.PortRange{From: uint16(from), To: uint16(to)}
			}
		}
	} else if protoOK && e.Protocol == nacl.ProtoAll && b.schema.portsRequired && !b.schema.state && ((hasFrom && from != 0) || (hasTo && to != 0)) {
		b.c.Warnf(b.fieldPos("from_port"), "from_port", "protocol -1 (all) ignores ports; the provider documentation requires from_port = 0 and to_port = 0")
	}
	if protoOK && (e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && e.CIDR.IsValid() && e.CIDR.Addr().Is6())) {
		b.icmp(&e)
	}
	return e, b.ok
}

// cidr reads cidr_block or ipv6_cidr_block (exactly one) into e.CIDR.
func (b *ruleBuilder) cidr(e *nacl.Entry) {
	if b.a["cidr_block"].kind == kindInvalid || b.a["ipv6_cidr_block"].kind == kindInvalid {
		b.ok = false
		return
	}
	v4, has4 := b.str("cidr_block", false)
	v6, has6 := b.str("ipv6_cidr_block", false)
	switch {
	case has4 && has6:
		b.fail("ipv6_cidr_block", "only one of cidr_block and ipv6_cidr_block may be set")
		return
	case !has4 && !has6:
		b.fail("cidr_block", "one of cidr_block or ipv6_cidr_block is required")
		return
	}
	field, text, want6 := "cidr_block", v4, false
	if has6 {
		field, text, want6 = "ipv6_cidr_block", v6, true
	}
	p, warn, err := nacl.ParseCIDR(text)
	if err != nil {
		b.fail(field, "invalid CIDR block %q", text)
		return
	}
	if p.Addr().Is6() != want6 {
		fam := "IPv4"
		if want6 {
			fam = "IPv6"
		}
		b.fail(field, "%s must be an %s CIDR block, got %s", field, fam, text)
		return
	}
	if warn != "" {
		// Not canonical (AWS stores the masked prefix), or IPv4-mapped.
		b.c.Warnf(b.fieldPos(field), field, "%s", warn)
	}
	e.CIDR = p
}

// icmp reads icmp_type/icmp_code for an ICMP entry.
func (b *ruleBuilder) icmp(e *nacl.Entry) {
	t, hasT := b.integer("icmp_type", false)
	c, hasC := b.integer("icmp_code", false)
	if !hasT && !b.schema.state {
		if b.schema.portsRequired {
			b.c.Warnf(b.pos, "icmp_type", "icmp_type not set: in inline rules it defaults to 0 (echo reply), not -1 (all types)")
		} else {
			b.c.Warnf(b.pos, "icmp_type", "icmp_type not set for an ICMP rule: the provider sends 0 (echo reply), not -1 (all types); AWS behaviour when the type is absent is UNCONFIRMED")
		}
	}
	if !hasC && hasT && t != -1 && !b.schema.state {
		b.c.Infof(b.pos, "icmp_code", "icmp_code not set: defaults to 0, not -1 (all codes)")
	}
	if t < -1 || t > 255 {
		b.fail("icmp_type", "ICMP type %d outside -1..255", t)
		return
	}
	if c < -1 || c > 255 {
		b.fail("icmp_code", "ICMP code %d outside -1..255", c)
		return
	}
	if t == -1 {
		c = -1
	}
	e.ICMPType, e.ICMPCode = t, c
}

// protoText names a protocol number for messages and output.
func protoText(p int) string {
	switch p {
	case nacl.ProtoAll:
		return "-1"
	case nacl.ProtoICMP:
		return "icmp"
	case nacl.ProtoTCP:
		return "tcp"
	case nacl.ProtoUDP:
		return "udp"
	}
	// ICMPv6 is written as "58": the provider's aws_network_acl rejects the
	// name ("unsupported NACL protocol: icmpv6", seen with terraform validate).
	return strconv.Itoa(p)
}
