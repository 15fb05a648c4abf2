package cfn

import (
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"go.yaml.in/yaml/v4"
)

// Resource types this package reads.
const (
	typeACL   = "AWS::EC2::NetworkAcl"
	typeEntry = "AWS::EC2::NetworkAclEntry"
	typeAssoc = "AWS::EC2::SubnetNetworkAclAssociation"
)

// knownEntryProps are the properties of AWS::EC2::NetworkAclEntry.
var knownEntryProps = map[string]bool{
	"NetworkAclId": true, "RuleNumber": true, "Protocol": true, "RuleAction": true, "Egress": true,
	"CidrBlock": true, "Ipv6CidrBlock": true, "PortRange": true, "Icmp": true,
}

// resource is one entry of the Resources section.
type resource struct {
	id, typ string
	key     *yaml.Node
	props   *yaml.Node
	path    string
}

// parser reads one template.
type parser struct {
	name string
	c    *diag.Collector
	r    *resolver
	acls []*nacl.ACL
	byID map[string]*nacl.ACL
}

// parse implements Parse with default options.
func parse(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	return parseWith(name, data, Options{})
}

// parseWith implements ParseWith.
func parseWith(name string, data []byte, o Options) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	p := &parser{name: name, c: &diag.Collector{}, byID: map[string]*nacl.ACL{},
		r: &resolver{params: map[string]*paramValue{}, conds: map[string]*condition{}, resources: map[string]string{}, budget: limits.New(o.Limits)}}
	root, pos, err := decode(name, data)
	if err != nil {
		p.c.Errorf(pos, "", "%v", err)
		return nil, p.c.Diags, p.c.Err()
	}
	if root.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(root, ""), "", "want a CloudFormation template (a mapping), got a %s", kindName(root))
		return nil, p.c.Diags, p.c.Err()
	}
	if tr := resolveAlias(yamlnode.Get(root, "Transform")); tr != nil {
		p.c.Warnf(p.pos(tr, "Transform"), "Transform", "the template uses Transform (macros such as AWS::Serverless run by CloudFormation): they are not applied, so ACLs or entries they would create are not read (%s)", deployedHint)
	}
	p.parameters(root, o.Parameters)
	p.r.mappings = resolveAlias(yamlnode.Get(root, "Mappings"))
	if conds := resolveAlias(yamlnode.Get(root, "Conditions")); conds != nil && conds.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(conds.Content); i += 2 {
			p.r.conds[conds.Content[i].Value] = &condition{node: conds.Content[i+1]}
		}
	}
	resNode := resolveAlias(yamlnode.Get(root, "Resources"))
	if resNode == nil || resNode.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(root, "Resources"), "Resources", "template has no Resources mapping")
		return nil, p.c.Diags, p.c.Err()
	}
	var res []resource
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		k, v := resNode.Content[i], resolveAlias(resNode.Content[i+1])
		path := "Resources." + k.Value
		if _, dup := p.r.resources[k.Value]; dup {
			p.c.Errorf(p.pos(k, path), "", "duplicate logical ID %s", k.Value)
			continue
		}
		if v == nil || v.Kind != yaml.MappingNode {
			p.c.Errorf(p.pos(k, path), "", "resource %s: want a mapping, got a %s", k.Value, kindName(v))
			continue
		}
		typ := yamlnode.Get(v, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode {
			p.c.Errorf(p.pos(v, path), "Type", "resource %s has no Type", k.Value)
			continue
		}
		p.r.resources[k.Value] = typ.Value
		r := resource{id: k.Value, typ: typ.Value, key: k, path: path}
		if props := resolveAlias(yamlnode.Get(v, "Properties")); props != nil {
			if props.Kind != yaml.MappingNode {
				if name, _, ok := intrinsic(props); ok {
					p.c.Errorf(p.pos(props, path+".Properties"), "Properties", "resource %s: intrinsic function %s (%s) is not supported here", k.Value, name, shortForm(name))
				} else {
					p.c.Errorf(p.pos(props, path+".Properties"), "Properties", "resource %s: want a mapping, got a %s", k.Value, kindName(props))
				}
				continue
			}
			r.props = props
		}
		if cond := resolveAlias(yamlnode.Get(v, "Condition")); cond != nil && (typ.Value == typeACL || typ.Value == typeEntry || typ.Value == typeAssoc) {
			if cond.Kind != yaml.ScalarNode {
				p.c.Errorf(p.pos(cond, path), "Condition", "resource %s: Condition must be a condition name; the resource is not read", k.Value)
				continue
			}
			ok, e := p.r.condition(cond.Value, cond)
			if e != nil {
				p.c.Errorf(p.pos(e.node, path), "Condition", "resource %s: %s; the resource is not read", k.Value, e.msg)
				continue
			}
			if !ok {
				p.c.Infof(p.pos(cond, path), "Condition", "resource %s is not created: condition %s is false", k.Value, cond.Value)
				continue
			}
		}
		res = append(res, r)
	}
	for _, r := range res {
		if r.typ == typeACL {
			p.acl(r)
		}
	}
	for _, r := range res {
		switch r.typ {
		case typeEntry:
			p.entry(r)
		case typeAssoc:
			p.assoc(r)
		}
	}
	return p.acls, p.c.Diags, p.c.Err()
}

// parameters sets each parameter's value: its Default, overridden by
// Key=Value assignments (as aws cloudformation deploy
// --parameter-overrides). CommaDelimitedList and List<...> parameters are
// lists; a value outside AllowedValues is an error, as CloudFormation
// refuses it.
func (p *parser) parameters(root *yaml.Node, overrides []string) {
	params := resolveAlias(yamlnode.Get(root, "Parameters"))
	if params != nil && params.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(params.Content); i += 2 {
			decl := resolveAlias(params.Content[i+1])
			pv := &paramValue{decl: decl}
			p.r.params[params.Content[i].Value] = pv
			if def := resolveAlias(yamlnode.Get(decl, "Default")); def != nil {
				if _, _, isFn := intrinsic(def); isFn || def.Kind != yaml.ScalarNode {
					p.c.Errorf(p.pos(def, "Parameters."+params.Content[i].Value), "Default", "parameter %s: Default must be a literal", params.Content[i].Value)
					continue
				}
				pv.val, pv.set = p.paramVal(decl, def.Value, def), true
			}
		}
	}
	for _, kv := range overrides {
		k, v, ok := strings.Cut(kv, "=")
		pos := nacl.Pos{File: "--parameter", Path: kv}
		if !ok || k == "" {
			p.c.Errorf(pos, "", "--parameter %q: want Key=Value", kv)
			continue
		}
		pv, ok := p.r.params[k]
		if !ok {
			p.c.Errorf(pos, k, "--parameter %s: the template has no parameter %s", k, k)
			continue
		}
		pv.val, pv.set, pv.given = p.paramVal(pv.decl, v, nil), true, true
	}
	for name, pv := range p.r.params {
		allowed := resolveAlias(yamlnode.Get(pv.decl, "AllowedValues"))
		if !pv.set || allowed == nil || allowed.Kind != yaml.SequenceNode || pv.val.kind != valScalar {
			continue
		}
		found := false
		var vals []string
		for _, a := range allowed.Content {
			vals = append(vals, a.Value)
			found = found || a.Value == pv.val.text
		}
		if !found {
			pos := p.pos(pv.val.node, "Parameters."+name)
			if pv.given {
				pos = nacl.Pos{File: "--parameter", Path: name + "=" + pv.val.text}
			}
			p.c.Errorf(pos, name, "parameter %s: %q is not one of the AllowedValues %s", name, pv.val.text, strings.Join(vals, ", "))
		}
	}
}

// paramVal converts a parameter's text to its value: a list for
// CommaDelimitedList and List<...> types, else a string.
func (p *parser) paramVal(decl *yaml.Node, text string, at *yaml.Node) value {
	typ := ""
	if t := resolveAlias(yamlnode.Get(decl, "Type")); t != nil {
		typ = t.Value
	}
	if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
		v := value{kind: valList, node: at}
		for _, part := range strings.Split(text, ",") {
			v.list = append(v.list, strVal(strings.TrimSpace(part), at))
		}
		return v
	}
	return strVal(text, at)
}

// pos is the position of node n with path.
func (p *parser) pos(n *yaml.Node, path string) nacl.Pos {
	if n == nil {
		return nacl.Pos{File: p.name, Path: path}
	}
	return nacl.Pos{File: p.name, Line: n.Line, Col: n.Column, Path: path}
}

// prop returns property name of r and the position to report it at
// (the property's value, or the resource when absent). A property whose
// value is !If resolves to the chosen branch, and to nothing when that is
// AWS::NoValue.
func (p *parser) prop(r resource, name string) (*yaml.Node, nacl.Pos) {
	return p.member(r.props, name, r.key, r.path+".Properties")
}

// member returns key name of mapping m (resolving !If), and its position
// (def's when absent).
func (p *parser) member(m *yaml.Node, name string, def *yaml.Node, path string) (*yaml.Node, nacl.Pos) {
	n := resolveAlias(yamlnode.Get(m, name))
	if n == nil {
		return nil, p.pos(def, path)
	}
	pos := p.pos(n, path)
	for i := 0; i < maxDepth; i++ {
		fn, arg, ok := intrinsic(n)
		if !ok || fn != "Fn::If" {
			break
		}
		args, e := p.r.args(n, arg, "!If", 3)
		if e != nil || args[0].Kind != yaml.ScalarNode {
			break // eval reports it
		}
		c, e := p.r.condition(args[0].Value, args[0])
		if e != nil {
			break
		}
		n = args[2]
		if c {
			n = args[1]
		}
		if fn, arg, ok := intrinsic(n); ok && fn == "Ref" && arg.Kind == yaml.ScalarNode && arg.Value == "AWS::NoValue" {
			return nil, p.pos(def, path)
		}
	}
	return n, pos
}

// acl reads an AWS::EC2::NetworkAcl.
func (p *parser) acl(r resource) {
	acl := &nacl.ACL{ID: r.id, Pos: p.pos(r.key, r.path)}
	p.acls = append(p.acls, acl)
	p.byID[r.id] = acl
	if v, _ := p.prop(r, "VpcId"); v != nil {
		acl.VPCID = p.r.text(v)
	}
	tags, tpos := p.prop(r, "Tags")
	if tags == nil {
		return
	}
	if tags.Kind != yaml.SequenceNode {
		p.c.Warnf(tpos, "Tags", "want a list of {Key, Value}, got a %s; ignored", kindName(tags))
		return
	}
	for _, t := range tags.Content {
		t = resolveAlias(t)
		if k := resolveAlias(yamlnode.Get(t, "Key")); k == nil || k.Value != "Name" {
			continue
		}
		vn := resolveAlias(yamlnode.Get(t, "Value"))
		if vn == nil {
			continue
		}
		v, e := p.r.eval(vn)
		if e != nil || v.kind != valScalar {
			p.c.Infof(p.pos(vn, r.path+".Properties"), "Tags.Name", "tag Name cannot be evaluated; the ACL is named by its logical ID")
			continue
		}
		acl.Name = v.text
	}
}

// join finds the ACL a NetworkAclId property refers to.
func (p *parser) join(r resource) *nacl.ACL {
	n, pos := p.prop(r, "NetworkAclId")
	if n == nil {
		p.c.Errorf(pos, "NetworkAclId", "required property is missing")
		return nil
	}
	v, e := p.r.eval(n)
	if e != nil {
		p.c.Errorf(p.pos(e.node, r.path+".Properties"), "NetworkAclId", "resource %s: %s", r.id, e.msg)
		return nil
	}
	switch v.kind {
	case valRef, valGetAtt:
		if p.r.resources[v.resource] != typeACL {
			p.c.Errorf(pos, "NetworkAclId", "resource %s: %s is a %s, not an %s", r.id, v.resource, p.r.resources[v.resource], typeACL)
			return nil
		}
		if v.kind == valGetAtt && v.attr != "Id" {
			p.c.Errorf(pos, "NetworkAclId", "resource %s: !GetAtt %s.%s: want the Id attribute", r.id, v.resource, v.attr)
			return nil
		}
		acl, ok := p.byID[v.resource]
		if !ok {
			// Its Condition is false or could not be evaluated:
			// CloudFormation refuses a reference to a resource it does
			// not create.
			p.c.Errorf(pos, "NetworkAclId", "resource %s refers to %s, which is not created (see its Condition)", r.id, v.resource)
			return nil
		}
		return acl
	case valScalar:
		if v.tag == "!!null" || v.text == "" {
			p.c.Errorf(pos, "NetworkAclId", "resource %s: NetworkAclId is empty", r.id)
			return nil
		}
		if acl, ok := p.byID[v.text]; ok {
			return acl
		}
		acl := &nacl.ACL{ID: v.text, Pos: pos}
		p.c.Warnf(pos, "NetworkAclId", "network ACL %s is not defined in this template; its entries are read as ACL %q (other attributes unknown)", v.text, v.text)
		p.acls = append(p.acls, acl)
		p.byID[v.text] = acl
		return acl
	}
	p.c.Errorf(pos, "NetworkAclId", "resource %s: want a !Ref to an %s, got a %s", r.id, typeACL, kindName(v.node))
	return nil
}

// assoc reads an AWS::EC2::SubnetNetworkAclAssociation.
func (p *parser) assoc(r resource) {
	acl := p.join(r)
	if acl == nil {
		return
	}
	n, pos := p.prop(r, "SubnetId")
	if n == nil {
		p.c.Errorf(pos, "SubnetId", "resource %s: required property is missing", r.id)
		return
	}
	if _, e := p.r.eval(n); e != nil {
		p.c.Warnf(p.pos(e.node, r.path+".Properties"), "SubnetId", "resource %s: %s; the subnet is kept as %q", r.id, e.msg, p.r.text(n))
	}
	if s := p.r.text(n); s != "" {
		acl.Subnets = append(acl.Subnets, s)
	}
}

// entry reads an AWS::EC2::NetworkAclEntry.
func (p *parser) entry(r resource) {
	if r.props == nil {
		p.c.Errorf(p.pos(r.key, r.path), "Properties", "resource %s has no Properties", r.id)
		return
	}
	for i := 0; i+1 < len(r.props.Content); i += 2 {
		if k := r.props.Content[i]; !knownEntryProps[k.Value] {
			p.c.Warnf(p.pos(k, r.path+".Properties"), k.Value, "unknown property %s of %s ignored", k.Value, typeEntry)
		}
	}
	acl := p.join(r)
	b := &entryBuilder{p: p, r: r, ok: acl != nil}
	e := b.build()
	if b.ok {
		acl.Entries = append(acl.Entries, e)
	}
}

// entryBuilder converts one NetworkAclEntry's properties.
type entryBuilder struct {
	p  *parser
	r  resource
	ok bool
}

func (b *entryBuilder) fail(pos nacl.Pos, field, format string, args ...any) {
	b.p.c.Errorf(pos, field, format, args...)
	b.ok = false
}

// scalar resolves field (a property path such as PortRange.From) in
// mapping m to a literal.
func (b *entryBuilder) scalar(m *yaml.Node, field string, required bool) (value, nacl.Pos, bool) {
	key := field[strings.LastIndexByte(field, '.')+1:]
	path := b.r.path + ".Properties"
	def := m
	if m == b.r.props {
		def = b.r.key
	}
	n, pos := b.p.member(m, key, def, path)
	if n == nil {
		if required {
			b.fail(pos, field, "required property is missing")
		}
		return value{}, pos, false
	}
	v, e := b.p.r.eval(n)
	if e != nil {
		b.fail(b.p.pos(e.node, path), field, "resource %s: %s", b.r.id, e.msg)
		return value{}, pos, false
	}
	switch v.kind {
	case valRef, valGetAtt:
		b.fail(pos, field, "resource %s: refers to resource %s; a rule value must be a literal or a Parameter with a Default", b.r.id, v.resource)
		return value{}, pos, false
	case valComplex:
		b.fail(pos, field, "want a scalar, got a %s", kindName(v.node))
		return value{}, pos, false
	case valList:
		b.fail(pos, field, "want a scalar, got a list")
		return value{}, pos, false
	case valNoValue:
		if required {
			b.fail(pos, field, "required property is AWS::NoValue")
		}
		return value{}, pos, false
	}
	if v.tag == "!!null" {
		if required {
			b.fail(pos, field, "required property is null")
		}
		return value{}, pos, false
	}
	return v, pos, true
}

// integer resolves an integer property (numbers or numeric strings, as
// CloudFormation converts them).
func (b *entryBuilder) integer(m *yaml.Node, field string, required bool) (int, nacl.Pos, bool) {
	v, pos, ok := b.scalar(m, field, required)
	if !ok {
		return 0, pos, false
	}
	if v.tag == "!!bool" {
		b.fail(pos, field, "want an integer, got %s", v.text)
		return 0, pos, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.text))
	if err != nil {
		b.fail(pos, field, "want an integer, got %q", v.text)
		return 0, pos, false
	}
	return n, pos, true
}

// build converts the properties; b.ok tells whether the entry is usable.
func (b *entryBuilder) build() nacl.Entry {
	props := b.r.props
	e := nacl.Entry{ICMPType: -1, ICMPCode: -1, Pos: b.p.pos(b.r.key, b.r.path)}
	if n, _, ok := b.integer(props, "RuleNumber", true); ok {
		e.RuleNumber = n
	}
	if v, pos, ok := b.scalar(props, "RuleAction", true); ok {
		switch strings.ToLower(v.text) {
		case "allow":
			e.Action = nacl.Allow
		case "deny":
			e.Action = nacl.Deny
		default:
			b.fail(pos, "RuleAction", "unknown rule action %q (want allow or deny)", v.text)
		}
	}
	if v, pos, ok := b.scalar(props, "Egress", false); ok {
		switch strings.ToLower(v.text) {
		case "true":
			e.Direction = nacl.Egress
		case "false":
		default:
			b.fail(pos, "Egress", "want true or false, got %q", v.text)
		}
	}
	protoOK := false
	if v, pos, ok := b.scalar(props, "Protocol", true); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v.text))
		switch {
		case err != nil:
			hint := ""
			switch strings.ToLower(v.text) {
			case "tcp":
				hint = " (tcp is 6)"
			case "udp":
				hint = " (udp is 17)"
			case "icmp":
				hint = " (icmp is 1)"
			case "all":
				hint = " (all is -1)"
			}
			b.fail(pos, "Protocol", "want a protocol number (-1 for all), got %q%s", v.text, hint)
		case n < -1 || n > 255:
			b.fail(pos, "Protocol", "protocol %d outside -1..255", n)
		default:
			e.Protocol, protoOK = n, true
		}
	}
	b.cidr(&e)
	if !protoOK {
		return e
	}
	if e.Protocol == nacl.ProtoTCP || e.Protocol == nacl.ProtoUDP {
		pr, pos := b.p.prop(b.r, "PortRange")
		switch {
		case pr == nil:
			b.fail(pos, "PortRange", "required for protocol %d", e.Protocol)
		case pr.Kind != yaml.MappingNode:
			b.fail(pos, "PortRange", "want a mapping {From, To}, got a %s", kindName(pr))
		default:
			from, fpos, ok1 := b.integer(pr, "PortRange.From", true)
			to, tpos, ok2 := b.integer(pr, "PortRange.To", true)
			switch {
			case ok1 && (from < 0 || from > 65535):
				b.fail(fpos, "PortRange.From", "port %d outside 0..65535", from)
			case ok2 && (to < 0 || to > 65535):
				b.fail(tpos, "PortRange.To", "port %d outside 0..65535", to)
			case ok1 && ok2:
				e.Ports = nacl.PortRange{From: uint16(from), To: uint16(to)}
			}
		}
	}
	if e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && e.CIDR.IsValid() && e.CIDR.Addr().Is6()) {
		b.icmp(&e)
	}
	return e
}

// cidr reads CidrBlock or Ipv6CidrBlock (exactly one).
func (b *entryBuilder) cidr(e *nacl.Entry) {
	v4, pos4, has4 := b.scalar(b.r.props, "CidrBlock", false)
	v6, pos6, has6 := b.scalar(b.r.props, "Ipv6CidrBlock", false)
	if !b.ok {
		return
	}
	switch {
	case has4 && has6:
		b.fail(pos6, "Ipv6CidrBlock", "only one of CidrBlock and Ipv6CidrBlock may be set")
		return
	case !has4 && !has6:
		b.fail(pos4, "CidrBlock", "one of CidrBlock or Ipv6CidrBlock is required")
		return
	}
	field, text, pos, want6 := "CidrBlock", v4.text, pos4, false
	if has6 {
		field, text, pos, want6 = "Ipv6CidrBlock", v6.text, pos6, true
	}
	pfx, warn, err := nacl.ParseCIDR(text)
	if err != nil {
		b.fail(pos, field, "invalid CIDR block %q", text)
		return
	}
	if pfx.Addr().Is6() != want6 {
		fam := "IPv4"
		if want6 {
			fam = "IPv6"
		}
		b.fail(pos, field, "%s must be an %s CIDR block, got %s", field, fam, text)
		return
	}
	if warn != "" {
		// Not canonical (AWS stores the masked prefix), or IPv4-mapped.
		b.p.c.Warnf(pos, field, "%s", warn)
	}
	e.CIDR = pfx
}

// icmp reads Icmp {Type, Code} of an ICMP entry.
func (b *entryBuilder) icmp(e *nacl.Entry) {
	ic, pos := b.p.prop(b.r, "Icmp")
	if ic == nil {
		b.fail(pos, "Icmp", "required for protocol %d (use Type: -1, Code: -1 for all ICMP types)", e.Protocol)
		return
	}
	if ic.Kind != yaml.MappingNode {
		b.fail(pos, "Icmp", "want a mapping {Type, Code}, got a %s", kindName(ic))
		return
	}
	t, tpos, okT := b.integer(ic, "Icmp.Type", false)
	c, cpos, okC := b.integer(ic, "Icmp.Code", false)
	if !b.ok {
		return
	}
	if !okT {
		t = -1
		b.p.c.Warnf(tpos, "Icmp.Type", "Icmp.Type not set; read as -1 (all types): AWS behaviour when it is absent is UNCONFIRMED")
	}
	if !okC && t != -1 {
		b.p.c.Warnf(cpos, "Icmp.Code", "Icmp.Code not set; read as -1 (all codes of type %d): AWS behaviour when it is absent is UNCONFIRMED", t)
	}
	if !okC {
		c = -1
	}
	if t < -1 || t > 255 {
		b.fail(tpos, "Icmp.Type", "ICMP type %d outside -1..255", t)
		return
	}
	if c < -1 || c > 255 {
		b.fail(cpos, "Icmp.Code", "ICMP code %d outside -1..255", c)
		return
	}
	if t == -1 {
		c = -1
	}
	e.ICMPType, e.ICMPCode = t, c

}
