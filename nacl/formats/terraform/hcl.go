package terraform

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Resource types this package reads.
const (
	typeACL        = "aws_network_acl"
	typeRule       = "aws_network_acl_rule"
	typeDefaultACL = "aws_default_network_acl"
	typeAssoc      = "aws_network_acl_association"
)

// inlineFields are the arguments of an ingress/egress block.
var inlineFields = map[string]bool{
	"from_port": true, "to_port": true, "rule_no": true, "action": true, "protocol": true,
	"cidr_block": true, "ipv6_cidr_block": true, "icmp_type": true, "icmp_code": true,
}

// metaArguments are Terraform's resource meta-arguments, read elsewhere
// or irrelevant to the rules.
var metaArguments = map[string]bool{"provider": true, "depends_on": true, "count": true, "for_each": true}

// ruleFields are the arguments of aws_network_acl_rule (besides the
// meta-arguments); false marks one that is read separately.
var ruleFields = map[string]bool{
	"network_acl_id": false, "rule_number": true, "egress": true, "protocol": true, "rule_action": true,
	"cidr_block": true, "ipv6_cidr_block": true, "from_port": true, "to_port": true,
	"icmp_type": true, "icmp_code": true,
}

// reader holds what is shared by every module of one configuration.
type reader struct {
	c    *diag.Collector
	acls []*nacl.ACL
	// byAddr finds ACLs by resource address or, for ACLs known only by an
	// ID or reference text, by that text.
	byAddr map[string]*nacl.ACL
	// defaultRefs maps default_network_acl_id text to the default ACL.
	defaultRefs map[string]*nacl.ACL
	// hasInline and hasRules flag ACLs mixing inline rules and rule resources.
	hasInline, hasRules map[*nacl.ACL]bool
	src                 map[string][]byte
	budget              *limits.Budget
	// stack holds the module directories being read (cycle detection).
	stack []string
}

// hclParser reads the files of one module instance.
type hclParser struct {
	*reader
	// name is the file being parsed, for diagnostics without a range.
	name string
	s    *scope
	// prefix is the module instance address ("" for the root module,
	// "module.app." for a child) put before every resource address.
	prefix string
	// dir is the module's directory, for local module sources ("" when
	// unknown: module blocks cannot be followed).
	dir string
}

// file is one configuration file.
type file struct {
	name string
	data []byte
}

// newReader returns a reader charging a budget of l.
func newReader(l limits.Limits) *reader {
	return &reader{
		c:      &diag.Collector{},
		byAddr: map[string]*nacl.ACL{}, defaultRefs: map[string]*nacl.ACL{},
		hasInline: map[*nacl.ACL]bool{}, hasRules: map[*nacl.ACL]bool{},
		src: map[string][]byte{}, budget: limits.New(l),
	}
}

// parseHCL reads the configuration files of one module together:
// variables and locals of every file are visible in all of them.
func parseHCL(files []file) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	r := newReader(limits.Limits{})
	r.module(files, "", "", nil, len(files) == 1)
	return r.finish()
}

// finish checks the ACLs read and returns them with the diagnostics.
func (r *reader) finish() ([]*nacl.ACL, []nacl.Diagnostic, error) {
	for _, a := range r.acls {
		if r.hasInline[a] && r.hasRules[a] {
			r.c.Warnf(a.Pos, "", "%s has inline rules and aws_network_acl_rule resources; the provider documentation says they cannot be used together (they overwrite each other)", a.ID)
		}
	}
	return r.acls, r.c.Diags, r.c.Err()
}

// parseFiles parses the files of a module (.tf native syntax, .tf.json
// JSON syntax), recording syntax errors.
func (r *reader) parseFiles(files []file) []*hclsyntax.Body {
	var bodies []*hclsyntax.Body
	for _, f := range files {
		r.src[f.name] = f.data
		var body *hclsyntax.Body
		var diags hcl.Diagnostics
		if strings.HasSuffix(f.name, ".json") || bytes.HasPrefix(bytes.TrimLeft(f.data, " \t\r\n\ufeff"), []byte("{")) {
			body, diags = parseJSONConfig(f.name, f.data, false)
		} else {
			hf, d := parseConfig(f.data, f.name)
			diags = d
			if hf != nil {
				body, _ = hf.Body.(*hclsyntax.Body)
			}
		}
		for _, d := range diags {
			hclDiag(r.c, f.name, d)
		}
		if body != nil {
			bodies = append(bodies, body)
		}
	}
	return bodies
}

// module reads one module instance: its variables (values from args, the
// module call's arguments or the root's tfvars), locals, child modules,
// ACL resources, rules and associations. It returns the module's scope
// (for its outputs) and bodies.
func (r *reader) module(files []file, dir, prefix string, args func(*scope), single bool) (*scope, []*hclsyntax.Body) {
	name := ""
	if len(files) > 0 {
		name = files[0].name
	}
	return r.moduleBodies(r.parseFiles(files), name, dir, prefix, args, single)
}

// moduleBodies is module on files already parsed (the instances of one
// module block share them; evaluation does not change them).
func (r *reader) moduleBodies(bodies []*hclsyntax.Body, name, dir, prefix string, args func(*scope), single bool) (*scope, []*hclsyntax.Body) {
	p := &hclParser{reader: r, s: newScope(r.src, r.budget), prefix: prefix, dir: dir, name: name}
	p.s.single = single
	for _, body := range bodies {
		p.declarations(body)
	}
	if args != nil {
		args(p.s)
	}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type == "module" && len(b.Labels) == 1 {
				p.moduleCall(b)
			}
		}
	}
	var aclBlocks []*hclsyntax.Block
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 && (b.Labels[0] == typeACL || b.Labels[0] == typeDefaultACL) {
				aclBlocks = append(aclBlocks, b)
			}
		}
	}
	for _, b := range aclBlocks {
		p.eachInstance(b, p.aclResource)
	}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typeRule {
				p.eachInstance(b, p.ruleResource)
			}
			if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typeAssoc {
				p.eachInstance(b, p.assocResource)
			}
		}
	}
	return p.s, bodies
}

// hclDiag records an HCL syntax diagnostic.
func hclDiag(c *diag.Collector, name string, d *hcl.Diagnostic) {
	pos := nacl.Pos{File: name}
	if d.Subject != nil {
		pos.File, pos.Line, pos.Col = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Severity == hcl.DiagError {
		c.Errorf(pos, "", "%s", msg)
	} else {
		c.Warnf(pos, "", "%s", msg)
	}
}

// pos converts an HCL range start to a position with path.
func (p *hclParser) pos(rng hcl.Range, path string) nacl.Pos {
	return nacl.Pos{File: rng.Filename, Line: rng.Start.Line, Col: rng.Start.Column, Path: path}
}

// declarations reads variable and locals blocks.
func (p *hclParser) declarations(body *hclsyntax.Body) {
	for _, b := range body.Blocks {
		switch {
		case b.Type == "variable" && len(b.Labels) == 1:
			if _, dup := p.s.vars[b.Labels[0]]; dup {
				p.c.Errorf(p.pos(b.DefRange(), "var."+b.Labels[0]), "", "duplicate variable %s", b.Labels[0])
				continue
			}
			p.s.vars[b.Labels[0]] = p.variable(b)
		case b.Type == "locals":
			for _, a := range sortedAttrs(b.Body) {
				if _, dup := p.s.locals[a.Name]; dup {
					p.c.Errorf(p.pos(a.NameRange, "local."+a.Name), a.Name, "duplicate local value %s", a.Name)
					continue
				}
				p.s.locals[a.Name] = &local{expr: a.Expr}
			}
		}
	}
}

// sortedAttrs returns a body's attributes in source order.
func sortedAttrs(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// aclResource reads aws_network_acl and aws_default_network_acl.
func (p *hclParser) aclResource(b *hclsyntax.Block, addr string) {
	if _, dup := p.byAddr[addr]; dup {
		p.c.Errorf(p.pos(b.DefRange(), addr), "", "duplicate resource %s", addr)
		return
	}
	acl := &nacl.ACL{ID: addr, IsDefault: b.Labels[0] == typeDefaultACL, Pos: p.pos(b.DefRange(), addr)}
	p.acls = append(p.acls, acl)
	p.byAddr[addr] = acl
	attrsByName := b.Body.Attributes
	if a, ok := attrsByName["vpc_id"]; ok {
		if acl.IsDefault {
			p.c.Warnf(p.pos(a.SrcRange, addr), "vpc_id", "aws_default_network_acl has no vpc_id argument (it is computed); ignored")
		} else {
			acl.VPCID = p.s.refText(a.Expr)
		}
	}
	if a, ok := attrsByName["default_network_acl_id"]; ok && acl.IsDefault {
		p.defaultRefs[p.prefix+p.s.refText(a.Expr)] = acl
	} else if acl.IsDefault {
		p.c.Errorf(acl.Pos, "default_network_acl_id", "required attribute is missing")
	}
	if a, ok := attrsByName["subnet_ids"]; ok {
		acl.Subnets = p.s.refList(a.Expr)
	}
	if a, ok := attrsByName["tags"]; ok {
		acl.Name = p.tagName(a.Expr, addr)
	}
	counts := map[string]int{}
	for _, dir := range []string{"ingress", "egress"} {
		if a, ok := attrsByName[dir]; ok {
			p.inlineAttr(acl, a, addr, counts)
		}
	}
	for _, blk := range b.Body.Blocks {
		switch blk.Type {
		case "ingress", "egress":
			path := fmt.Sprintf("%s.%s[%d]", addr, blk.Type, counts[blk.Type])
			counts[blk.Type]++
			p.addInline(acl, blk.Type, p.bodyAttrs(blk.Body, path, inlineFields), p.pos(blk.DefRange(), path))
		case "dynamic":
			p.dynamic(acl, blk, addr)
		}
	}
}

// dirOf maps a block type to a direction.
func dirOf(t string) nacl.Direction {
	if t == "egress" {
		return nacl.Egress
	}
	return nacl.Ingress
}

// addInline builds one inline rule and appends it to acl.
func (p *hclParser) addInline(acl *nacl.ACL, dir string, a attrs, pos nacl.Pos) {
	p.hasInline[acl] = true
	b := newRuleBuilder(p.c, a, pos, inlineSchema)
	if e, ok := b.build(dirOf(dir)); ok {
		acl.Entries = append(acl.Entries, e)
	}
}

// bodyAttrs evaluates every attribute of a rule body to a scalar.
func (p *hclParser) bodyAttrs(body *hclsyntax.Body, path string, known map[string]bool) attrs {
	out := attrs{}
	for _, a := range sortedAttrs(body) {
		evaluate, isKnown := known[a.Name]
		if !evaluate {
			if !isKnown && !metaArguments[a.Name] {
				p.c.Warnf(p.pos(a.SrcRange, path), a.Name, "unknown argument %s ignored", a.Name)
			}
			continue
		}
		out[a.Name] = p.scalar(a.Expr, path, a.Name)
	}
	return out
}

// scalar evaluates expr to a scalar attribute, reporting problems.
func (p *hclParser) scalar(expr hclsyntax.Expression, path, field string) attr {
	pos := p.pos(expr.Range(), path)
	v, prob := p.s.eval(expr, nil)
	if prob != nil {
		p.c.Errorf(p.pos(prob.rng, path), field, "%s", prob.msg)
		return attr{kind: kindInvalid, pos: pos}
	}
	a, err := ctyScalar(v)
	if err != nil {
		p.c.Errorf(pos, field, "%s: %v", p.s.text(expr.Range()), err)
		return attr{kind: kindInvalid, pos: pos}
	}
	a.pos = pos
	return a
}

// ctyScalar converts a string, number, bool or null value.
func ctyScalar(v cty.Value) (attr, error) {
	if v.IsNull() {
		return attr{kind: kindNull}, nil
	}
	switch v.Type() {
	case cty.String:
		return attr{kind: kindString, text: v.AsString()}, nil
	case cty.Number:
		return attr{kind: kindNumber, text: v.AsBigFloat().Text('f', -1)}, nil
	case cty.Bool:
		if v.True() {
			return attr{kind: kindBool, text: "true"}, nil
		}
		return attr{kind: kindBool, text: "false"}, nil
	}
	return attr{}, fmt.Errorf("want a string, number or bool, got %s", v.Type().FriendlyName())
}

// tagName returns tags.Name when it can be evaluated.
func (p *hclParser) tagName(expr hclsyntax.Expression, addr string) string {
	if oc, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range oc.Items {
			key := hcl.ExprAsKeyword(item.KeyExpr)
			if key == "" {
				if kv, prob := p.s.eval(item.KeyExpr, nil); prob == nil && kv.Type() == cty.String && !kv.IsNull() {
					key = kv.AsString()
				}
			}
			if key != "Name" {
				continue
			}
			v, prob := p.s.eval(item.ValueExpr, nil)
			if prob == nil && !v.IsNull() && v.Type() == cty.String {
				return v.AsString()
			}
			if prob != nil && prob.budget {
				p.c.Errorf(p.pos(prob.rng, addr), "tags.Name", "%s", prob.msg)
				return ""
			}
			p.c.Infof(p.pos(item.ValueExpr.Range(), addr), "tags.Name", "tag Name %s cannot be evaluated; the ACL is named by its address", p.s.text(item.ValueExpr.Range()))
			return ""
		}
		return ""
	}
	v, prob := p.s.eval(expr, nil)
	if prob != nil && prob.budget {
		p.c.Errorf(p.pos(prob.rng, addr), "tags", "%s", prob.msg)
		return ""
	}
	if prob != nil || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		p.c.Infof(p.pos(expr.Range(), addr), "tags", "tags %s cannot be evaluated; the ACL is named by its address", p.s.text(expr.Range()))
		return ""
	}
	var n cty.Value
	if v.Type().IsObjectType() {
		if !v.Type().HasAttribute("Name") {
			return ""
		}
		n = v.GetAttr("Name")
	} else {
		if !v.HasIndex(cty.StringVal("Name")).True() {
			return ""
		}
		n = v.Index(cty.StringVal("Name"))
	}
	if n.IsNull() || n.Type() != cty.String {
		return ""
	}
	return n.AsString()
}

// inlineAttr reads the attribute form `ingress = [{...}, ...]`.
func (p *hclParser) inlineAttr(acl *nacl.ACL, a *hclsyntax.Attribute, addr string, counts map[string]int) {
	dir := a.Name
	if tc, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, item := range tc.Exprs {
			path := fmt.Sprintf("%s.%s[%d]", addr, dir, counts[dir])
			counts[dir]++
			if oc, ok := item.(*hclsyntax.ObjectConsExpr); ok {
				at := attrs{}
				for _, it := range oc.Items {
					key := hcl.ExprAsKeyword(it.KeyExpr)
					if key == "" {
						if kv, prob := p.s.eval(it.KeyExpr, nil); prob == nil && kv.Type() == cty.String && !kv.IsNull() {
							key = kv.AsString()
						}
					}
					if !inlineFields[key] {
						p.c.Warnf(p.pos(it.KeyExpr.Range(), path), key, "unknown argument %s ignored", key)
						continue
					}
					at[key] = p.scalar(it.ValueExpr, path, key)
				}
				p.addInline(acl, dir, at, p.pos(item.Range(), path))
				continue
			}
			p.addValueRules(acl, dir, item, path, false, counts)
		}
		return
	}
	p.addValueRules(acl, dir, a.Expr, fmt.Sprintf("%s.%s", addr, dir), true, counts)
}

// addValueRules evaluates expr to an object (single) or a collection of
// objects and adds each as an inline rule of direction dir.
func (p *hclParser) addValueRules(acl *nacl.ACL, dir string, expr hclsyntax.Expression, path string, collection bool, counts map[string]int) {
	v, prob := p.s.eval(expr, nil)
	if prob != nil {
		p.c.Errorf(p.pos(prob.rng, path), dir, "%s", prob.msg)
		return
	}
	if v.IsNull() {
		return
	}
	var objs []cty.Value
	if collection {
		if !v.CanIterateElements() || v.Type().IsObjectType() || v.Type().IsMapType() {
			p.c.Errorf(p.pos(expr.Range(), path), dir, "want a list of rule objects, got %s", v.Type().FriendlyName())
			return
		}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			objs = append(objs, ev)
		}
	} else {
		objs = []cty.Value{v}
	}
	base := strings.TrimSuffix(path, "."+dir)
	for _, o := range objs {
		rp := path
		if collection {
			rp = fmt.Sprintf("%s.%s[%d]", base, dir, counts[dir])
			counts[dir]++
		}
		pos := p.pos(expr.Range(), rp)
		at, ok := p.objectAttrs(o, pos, dir)
		if ok {
			p.addInline(acl, dir, at, pos)
		}
	}
}

// objectAttrs converts an evaluated rule object to attrs positioned at pos.
func (p *hclParser) objectAttrs(o cty.Value, pos nacl.Pos, field string) (attrs, bool) {
	if o.IsNull() || !(o.Type().IsObjectType() || o.Type().IsMapType()) {
		p.c.Errorf(pos, field, "want a rule object, got %s", o.Type().FriendlyName())
		return nil, false
	}
	at := attrs{}
	for it := o.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		key := k.AsString()
		if !inlineFields[key] {
			continue
		}
		a, err := ctyScalar(ev)
		if err != nil {
			p.c.Errorf(pos, key, "%v", err)
			a = attr{kind: kindInvalid}
		}
		a.pos = pos
		at[key] = a
	}
	return at, true
}

// dynamic expands `dynamic "ingress" { for_each = ... content { ... } }`.
func (p *hclParser) dynamic(acl *nacl.ACL, blk *hclsyntax.Block, addr string) {
	if len(blk.Labels) != 1 || (blk.Labels[0] != "ingress" && blk.Labels[0] != "egress") {
		return
	}
	dir := blk.Labels[0]
	path := fmt.Sprintf("%s.dynamic.%s", addr, dir)
	fe, ok := blk.Body.Attributes["for_each"]
	if !ok {
		p.c.Errorf(p.pos(blk.DefRange(), path), "for_each", "required attribute is missing")
		return
	}
	coll, prob := p.s.eval(fe.Expr, nil)
	if prob != nil {
		p.c.Errorf(p.pos(prob.rng, path), "for_each", "%s", prob.msg)
		return
	}
	if coll.IsNull() || !coll.CanIterateElements() {
		p.c.Errorf(p.pos(fe.Expr.Range(), path), "for_each", "want a list, set or map, got %s", coll.Type().FriendlyName())
		return
	}
	iterName := dir
	if it, ok := blk.Body.Attributes["iterator"]; ok {
		if kw := hcl.ExprAsKeyword(it.Expr); kw != "" {
			iterName = kw
		} else {
			p.c.Errorf(p.pos(it.Expr.Range(), path), "iterator", "want a bare name")
			return
		}
	}
	var content *hclsyntax.Block
	for _, cb := range blk.Body.Blocks {
		if cb.Type == "content" {
			content = cb
		}
	}
	if content == nil {
		p.c.Errorf(p.pos(blk.DefRange(), path), "content", "dynamic block has no content block")
		return
	}
	defer func() { p.s.iter = nil }()
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		key := ""
		if k.Type() == cty.String {
			key = fmt.Sprintf("%q", k.AsString())
		} else if k.Type() == cty.Number {
			key = k.AsBigFloat().Text('f', -1)
		}
		if coll.Type().IsSetType() {
			k = v
		}
		p.s.iter = map[string]cty.Value{iterName: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		rp := fmt.Sprintf("%s[%s]", path, key)
		p.addInline(acl, dir, p.bodyAttrs(content.Body, rp, inlineFields), p.pos(content.DefRange(), rp))
	}
}

// joinedBlock starts reading a resource joined to its ACL through
// network_acl_id (aws_network_acl_rule, aws_network_acl_association): it
// finds network_acl_id, recording an error when it is missing. ok is false
// when the block is not to be read.
func (p *hclParser) joinedBlock(b *hclsyntax.Block, addr string) (pos nacl.Pos, idAttr *hclsyntax.Attribute, ok bool) {
	pos = p.pos(b.DefRange(), addr)
	idAttr, ok = b.Body.Attributes["network_acl_id"]
	if !ok {
		p.c.Errorf(pos, "network_acl_id", "required attribute is missing")
	}
	return pos, idAttr, ok
}

// ruleResource reads aws_network_acl_rule and joins it to its ACL.
func (p *hclParser) ruleResource(b *hclsyntax.Block, addr string) {
	pos, idAttr, ok := p.joinedBlock(b, addr)
	if !ok {
		return
	}
	acl := p.joinTarget(idAttr.Expr, addr)
	a := p.bodyAttrs(b.Body, addr, ruleFields)
	rb := newRuleBuilder(p.c, a, pos, ruleResourceSchema)
	dir := rb.direction()
	ok = rb.ok
	e, built := rb.build(dir)
	if !ok || !built {
		return
	}
	p.hasRules[acl] = true
	acl.Entries = append(acl.Entries, e)
}

// assocResource reads aws_network_acl_association into the ACL's subnets.
func (p *hclParser) assocResource(b *hclsyntax.Block, addr string) {
	pos, idAttr, ok := p.joinedBlock(b, addr)
	if !ok {
		return
	}
	sub, ok := b.Body.Attributes["subnet_id"]
	if !ok {
		p.c.Errorf(pos, "subnet_id", "required attribute is missing")
		return
	}
	acl := p.joinTarget(idAttr.Expr, addr)
	acl.Subnets = append(acl.Subnets, p.s.refText(sub.Expr))
}

// joinTarget finds the ACL network_acl_id refers to, creating a
// placeholder ACL for IDs and references not defined in this
// configuration. A reference to an ACL resource of this module evaluates
// to its address (with instance key and module prefix).
func (p *hclParser) joinTarget(expr hclsyntax.Expression, addr string) *nacl.ACL {
	text := p.s.refText(expr)
	if acl, ok := p.defaultRefs[p.prefix+text]; ok {
		return acl
	}
	if acl, ok := p.byAddr[text]; ok {
		return acl
	}
	acl := &nacl.ACL{ID: text, Pos: p.pos(expr.Range(), addr)}
	p.c.Warnf(acl.Pos, "network_acl_id", "network ACL %s is not defined in this configuration; its rules and associations are read as ACL %q (inline rules and the ACL's other attributes are unknown)", text, text)
	p.acls = append(p.acls, acl)
	p.byAddr[text] = acl
	return acl
}
