package terraform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
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

// ruleFields are the arguments of aws_network_acl_rule (besides the
// meta-arguments); false marks one that is read separately.
var ruleFields = map[string]bool{
	"network_acl_id": false, "rule_number": true, "egress": true, "protocol": true, "rule_action": true,
	"cidr_block": true, "ipv6_cidr_block": true, "from_port": true, "to_port": true,
	"icmp_type": true, "icmp_code": true,
}

// hclParser reads the .tf files of one module.
type hclParser struct {
	// name is the file being parsed, for diagnostics without a range.
	name string
	c    *diag.Collector
	s    *scope
	acls []*nacl.ACL
	// byAddr finds ACLs by resource address or, for ACLs known only by an
	// ID or reference text, by that text.
	byAddr map[string]*nacl.ACL
	// defaultRefs maps default_network_acl_id text to the default ACL.
	defaultRefs map[string]*nacl.ACL
	// hasInline and hasRules flag ACLs mixing inline rules and rule resources.
	hasInline, hasRules map[*nacl.ACL]bool
}

// file is one configuration file.
type file struct {
	name string
	data []byte
}

// parseHCL reads the configuration files of one module together:
// variables and locals of every file are visible in all of them.
func parseHCL(files []file) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	p := &hclParser{
		c:      &diag.Collector{},
		s:      &scope{src: map[string][]byte{}, vars: map[string]*variable{}, locals: map[string]*local{}},
		byAddr: map[string]*nacl.ACL{}, defaultRefs: map[string]*nacl.ACL{},
		hasInline: map[*nacl.ACL]bool{}, hasRules: map[*nacl.ACL]bool{},
	}
	var bodies []*hclsyntax.Body
	for _, f := range files {
		p.name = f.name
		p.s.src[f.name] = f.data
		hf, diags := hclsyntax.ParseConfig(f.data, f.name, hcl.InitialPos)
		for _, d := range diags {
			p.hclDiag(d)
		}
		if hf == nil {
			continue
		}
		if body, ok := hf.Body.(*hclsyntax.Body); ok {
			bodies = append(bodies, body)
		}
	}
	for _, body := range bodies {
		p.declarations(body)
	}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 && (b.Labels[0] == typeACL || b.Labels[0] == typeDefaultACL) {
				p.aclResource(b)
			}
		}
	}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typeRule {
				p.ruleResource(b)
			}
			if b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == typeAssoc {
				p.assocResource(b)
			}
		}
	}
	for _, a := range p.acls {
		if p.hasInline[a] && p.hasRules[a] {
			p.c.Warnf(a.Pos, "", "%s has inline rules and aws_network_acl_rule resources; the provider documentation says they cannot be used together (they overwrite each other)", a.ID)
		}
	}
	return p.acls, p.c.Diags, p.c.Err()
}

// hclDiag records an HCL syntax diagnostic.
func (p *hclParser) hclDiag(d *hcl.Diagnostic) {
	pos := nacl.Pos{File: p.name}
	if d.Subject != nil {
		pos.File, pos.Line, pos.Col = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Severity == hcl.DiagError {
		p.c.Errorf(pos, "", "%s", msg)
	} else {
		p.c.Warnf(pos, "", "%s", msg)
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
			v := &variable{rng: b.DefRange()}
			if a, ok := b.Body.Attributes["default"]; ok {
				v.hasDef = true
				val, diags := a.Expr.Value(nil)
				if diags.HasErrors() {
					v.problem = &evalError{rng: a.Expr.Range(), msg: fmt.Sprintf("default %s is not a literal", p.s.text(a.Expr.Range()))}
				} else {
					v.val = val
				}
			}
			p.s.vars[b.Labels[0]] = v
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

// metaArgs rejects count and for_each on a resource, which would create
// several ACLs or rules from one block.
func (p *hclParser) metaArgs(b *hclsyntax.Block, addr string) bool {
	for _, m := range []string{"count", "for_each"} {
		if a, ok := b.Body.Attributes[m]; ok {
			p.c.Errorf(p.pos(a.SrcRange, addr), m, "%s on %s is not supported: flowverify reads each resource block as one resource", m, b.Labels[0])
			return false
		}
	}
	return true
}

// aclResource reads aws_network_acl and aws_default_network_acl.
func (p *hclParser) aclResource(b *hclsyntax.Block) {
	addr := b.Labels[0] + "." + b.Labels[1]
	if _, dup := p.byAddr[addr]; dup {
		p.c.Errorf(p.pos(b.DefRange(), addr), "", "duplicate resource %s", addr)
		return
	}
	if !p.metaArgs(b, addr) {
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
		p.defaultRefs[p.s.refText(a.Expr)] = acl
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
			if !isKnown && a.Name != "provider" && a.Name != "depends_on" {
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
			if v, prob := p.s.eval(item.ValueExpr, nil); prob == nil && !v.IsNull() && v.Type() == cty.String {
				return v.AsString()
			}
			p.c.Infof(p.pos(item.ValueExpr.Range(), addr), "tags.Name", "tag Name %s cannot be evaluated; the ACL is named by its address", p.s.text(item.ValueExpr.Range()))
			return ""
		}
		return ""
	}
	v, prob := p.s.eval(expr, nil)
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
// checks the meta-arguments and finds network_acl_id, recording an error
// when it is missing. ok is false when the block is not to be read.
func (p *hclParser) joinedBlock(b *hclsyntax.Block) (addr string, pos nacl.Pos, idAttr *hclsyntax.Attribute, ok bool) {
	addr = b.Labels[0] + "." + b.Labels[1]
	if !p.metaArgs(b, addr) {
		return addr, pos, nil, false
	}
	pos = p.pos(b.DefRange(), addr)
	idAttr, ok = b.Body.Attributes["network_acl_id"]
	if !ok {
		p.c.Errorf(pos, "network_acl_id", "required attribute is missing")
	}
	return addr, pos, idAttr, ok
}

// ruleResource reads aws_network_acl_rule and joins it to its ACL.
func (p *hclParser) ruleResource(b *hclsyntax.Block) {
	addr, pos, idAttr, ok := p.joinedBlock(b)
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
func (p *hclParser) assocResource(b *hclsyntax.Block) {
	addr, pos, idAttr, ok := p.joinedBlock(b)
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
// placeholder ACL for IDs and references not defined in this file.
func (p *hclParser) joinTarget(expr hclsyntax.Expression, addr string) *nacl.ACL {
	if st, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok && len(st.Traversal) == 3 {
		root := st.Traversal.RootName()
		name, ok1 := st.Traversal[1].(hcl.TraverseAttr)
		attrName, ok2 := st.Traversal[2].(hcl.TraverseAttr)
		if ok1 && ok2 && (root == typeACL || root == typeDefaultACL) && attrName.Name == "id" {
			if acl, ok := p.byAddr[root+"."+name.Name]; ok {
				return acl
			}
		}
	}
	text := p.s.refText(expr)
	if acl, ok := p.defaultRefs[text]; ok {
		return acl
	}
	if acl, ok := p.byAddr[text]; ok {
		return acl
	}
	acl := &nacl.ACL{ID: text, Pos: p.pos(expr.Range(), addr)}
	p.c.Warnf(acl.Pos, "network_acl_id", "network ACL %s is not defined in this file; its rules and associations are read as ACL %q (inline rules and the ACL's other attributes are unknown)", text, text)
	p.acls = append(p.acls, acl)
	p.byAddr[text] = acl
	return acl
}
