package terraform

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"go.yaml.in/yaml/v4"
)

// jsonParser reads `terraform show -json` output.
type jsonParser struct {
	name string
	c    *diag.Collector
	acls []*nacl.ACL
	// byID finds ACLs by their id attribute; byAddr by resource address
	// without instance keys.
	byID, byAddr map[string]*nacl.ACL
	// refs maps a configuration address of aws_network_acl_rule to the
	// references of its network_acl_id expression (plan output).
	refs map[string][]string
	// outputs maps a module output's address (module.a.acl_id, with the
	// calling module's prefix) to the references of its expression, in
	// the called module's address space (plan output).
	outputs map[string][]string
	rules   []jsonRule
}

// jsonRule is an aws_network_acl_rule waiting to be joined.
type jsonRule struct {
	n          *yaml.Node
	addr, path string
	cfgAddr    string
	modAddr    string
	// assoc marks an aws_network_acl_association (subnet_id, network_acl_id).
	assoc bool
}

// parseJSON implements ParseJSON.
func parseJSON(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	p := &jsonParser{name: name, c: &diag.Collector{}, byID: map[string]*nacl.ACL{}, byAddr: map[string]*nacl.ACL{}, refs: map[string][]string{}, outputs: map[string][]string{}}
	root, pos, err := decodeJSON(name, data)
	if err != nil {
		p.c.Errorf(pos, "", "%v", err)
		return nil, p.c.Diags, p.c.Err()
	}
	if root.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(root, "$"), "", "want a JSON object (terraform show -json output), got a %s", kindName(root))
		return nil, p.c.Diags, p.c.Err()
	}
	top, key := yamlnode.Get(root, "planned_values"), "planned_values"
	if top == nil {
		top, key = yamlnode.Get(root, "values"), "values"
	}
	if top == nil {
		if yamlnode.Get(root, "format_version") == nil {
			p.c.Errorf(p.pos(root, "$"), "values", "not terraform show -json output: no values or planned_values")
		}
		// An empty state has no values at all: no ACLs, not an error.
		return nil, p.c.Diags, p.c.Err()
	}
	if cfg := yamlnode.Get(yamlnode.Get(root, "configuration"), "root_module"); cfg != nil {
		p.configRefs(cfg, "")
	}
	if rm := yamlnode.Get(top, "root_module"); rm != nil {
		p.module(rm, key+".root_module", "")
	}
	for _, r := range p.rules {
		p.rule(r)
	}
	return p.acls, p.c.Diags, p.c.Err()
}

// pos is the position of node n with JSON path path.
func (p *jsonParser) pos(n *yaml.Node, path string) nacl.Pos {
	return nacl.Pos{File: p.name, Line: n.Line, Col: n.Column, Path: path}
}

// stripKeys removes instance keys: module.a["x"].aws_x.y[0] -> module.a.aws_x.y.
func stripKeys(addr string) string {
	var b strings.Builder
	depth := 0
	inStr := false
	for i := 0; i < len(addr); i++ {
		ch := addr[i]
		switch {
		case inStr:
			if ch == '\\' {
				i++
			} else if ch == '"' {
				inStr = false
			}
		case ch == '"' && depth > 0:
			inStr = true
		case ch == '[':
			depth++
		case ch == ']':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// configRefs records network_acl_id references of rule resources in the
// configuration section of plan output, recursively through module calls.
func (p *jsonParser) configRefs(mod *yaml.Node, prefix string) {
	if rs := yamlnode.Get(mod, "resources"); rs != nil && rs.Kind == yaml.SequenceNode {
		for _, r := range rs.Content {
			if t := str(yamlnode.Get(r, "type")); t != typeRule && t != typeAssoc {
				continue
			}
			refs := yamlnode.Get(yamlnode.Get(yamlnode.Get(r, "expressions"), "network_acl_id"), "references")
			if refs == nil || refs.Kind != yaml.SequenceNode {
				continue
			}
			var list []string
			for _, x := range refs.Content {
				list = append(list, str(x))
			}
			p.refs[prefix+str(yamlnode.Get(r, "address"))] = list
		}
	}
	if mc := yamlnode.Get(mod, "module_calls"); mc != nil && mc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(mc.Content); i += 2 {
			child := yamlnode.Get(mc.Content[i+1], "module")
			call := prefix + "module." + mc.Content[i].Value
			if outs := yamlnode.Get(child, "outputs"); outs != nil && outs.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(outs.Content); j += 2 {
					refs := yamlnode.Get(yamlnode.Get(outs.Content[j+1], "expression"), "references")
					if refs == nil || refs.Kind != yaml.SequenceNode {
						continue
					}
					var list []string
					for _, x := range refs.Content {
						list = append(list, str(x))
					}
					p.outputs[call+"."+outs.Content[j].Value] = list
				}
			}
			p.configRefs(child, call+".")
		}
	}
}

// refACL resolves one configuration reference made in module modAddr
// ("" for the root) to an ACL of this output: aws_network_acl.NAME(.id),
// or a child module's output that refers to one (followed through nested
// modules, at most maxModuleDepth deep).
func (p *jsonParser) refACL(ref, modAddr string, depth int) (*nacl.ACL, bool) {
	prefix := ""
	if modAddr != "" {
		prefix = modAddr + "."
	}
	parts := strings.Split(ref, ".")
	switch {
	case len(parts) >= 2 && (parts[0] == typeACL || parts[0] == typeDefaultACL):
		acl, ok := p.byAddr[prefix+parts[0]+"."+stripKeys(parts[1])]
		return acl, ok
	case len(parts) >= 3 && parts[0] == "module" && depth < maxModuleDepth:
		call := prefix + "module." + stripKeys(parts[1])
		for _, r := range p.outputs[call+"."+parts[2]] {
			if acl, ok := p.refACL(r, call, depth+1); ok {
				return acl, true
			}
		}
	}
	return nil, false
}

// module reads the resources of one module and its child modules.
func (p *jsonParser) module(mod *yaml.Node, path, modAddr string) {
	if mod.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(mod, path), "", "want an object, got a %s", kindName(mod))
		return
	}
	if rs := yamlnode.Get(mod, "resources"); rs != nil {
		if rs.Kind != yaml.SequenceNode {
			p.c.Errorf(p.pos(rs, path+".resources"), "resources", "want a list, got a %s", kindName(rs))
		} else {
			for i, r := range rs.Content {
				p.resource(r, fmt.Sprintf("%s.resources[%d]", path, i), modAddr)
			}
		}
	}
	if cm := yamlnode.Get(mod, "child_modules"); cm != nil {
		if cm.Kind != yaml.SequenceNode {
			p.c.Errorf(p.pos(cm, path+".child_modules"), "child_modules", "want a list, got a %s", kindName(cm))
			return
		}
		for i, m := range cm.Content {
			p.module(m, fmt.Sprintf("%s.child_modules[%d]", path, i), str(yamlnode.Get(m, "address")))
		}
	}
}

// resource reads one resource object.
func (p *jsonParser) resource(r *yaml.Node, path, modAddr string) {
	if r.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(r, path), "", "want a resource object, got a %s", kindName(r))
		return
	}
	if m := str(yamlnode.Get(r, "mode")); m != "" && m != "managed" {
		return
	}
	typ := str(yamlnode.Get(r, "type"))
	if typ != typeACL && typ != typeDefaultACL && typ != typeRule && typ != typeAssoc {
		return
	}
	addr := str(yamlnode.Get(r, "address"))
	if addr == "" {
		addr = typ + "." + str(yamlnode.Get(r, "name"))
		if modAddr != "" {
			addr = modAddr + "." + addr
		}
	}
	vals := yamlnode.Get(r, "values")
	vpath := path + ".values"
	if vals == nil || vals.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(r, path), "values", "%s has no values object", addr)
		return
	}
	if typ == typeRule || typ == typeAssoc {
		cfg := stripKeys(modAddr)
		if cfg != "" {
			cfg += "."
		}
		cfg += typ + "." + str(yamlnode.Get(r, "name"))
		if typ == typeAssoc && yamlnode.Get(vals, "subnet_id") == nil {
			p.c.Infof(p.pos(r, path), "subnet_id", "%s: subnet_id not known yet (plan); the subnet is not listed", addr)
			return
		}
		p.rules = append(p.rules, jsonRule{n: vals, addr: addr, path: vpath, cfgAddr: cfg, modAddr: stripKeys(modAddr), assoc: typ == typeAssoc})
		return
	}
	acl := &nacl.ACL{ID: str(yamlnode.Get(vals, "id")), IsDefault: typ == typeDefaultACL, Pos: p.pos(r, path)}
	if acl.ID == "" {
		acl.ID = addr
	} else {
		p.byID[acl.ID] = acl
	}
	p.byAddr[stripKeys(addr)] = acl
	acl.VPCID = str(yamlnode.Get(vals, "vpc_id"))
	acl.Name = str(yamlnode.Get(yamlnode.Get(vals, "tags"), "Name"))
	if s := yamlnode.Get(vals, "subnet_ids"); s != nil && s.Kind == yaml.SequenceNode {
		for _, x := range s.Content {
			if v := str(x); v != "" {
				acl.Subnets = append(acl.Subnets, v)
			}
		}
	}
	if id := str(yamlnode.Get(vals, "default_network_acl_id")); id != "" && acl.IsDefault {
		p.byID[id] = acl
	}
	p.acls = append(p.acls, acl)
	for _, dir := range []string{"ingress", "egress"} {
		list := yamlnode.Get(vals, dir)
		if list == nil || list.Tag == "!!null" {
			continue
		}
		lpath := vpath + "." + dir
		if list.Kind != yaml.SequenceNode {
			p.c.Errorf(p.pos(list, lpath), dir, "want a list of rules, got a %s", kindName(list))
			continue
		}
		for i, rn := range list.Content {
			rp := fmt.Sprintf("%s[%d]", lpath, i)
			a, ok := p.attrs(rn, rp)
			if !ok {
				continue
			}
			schema := inlineSchema
			schema.state = true
			b := newRuleBuilder(p.c, a, p.pos(rn, rp), schema)
			if e, ok := b.build(dirOf(dir)); ok {
				acl.Entries = append(acl.Entries, e)
			}
		}
	}
}

// attrs converts a rule object's scalar members.
func (p *jsonParser) attrs(n *yaml.Node, path string) (attrs, bool) {
	if n.Kind != yaml.MappingNode {
		p.c.Errorf(p.pos(n, path), "", "want a rule object, got a %s", kindName(n))
		return nil, false
	}
	a := attrs{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if !inlineFields[k] && !ruleFields[k] && k != "egress" {
			continue
		}
		at, err := nodeAttr(v, p.pos(v, path+"."+k))
		if err != nil {
			p.c.Errorf(at.pos, k, "%v", err)
		}
		at.pos.Path = path
		a[k] = at
	}
	return a, true
}

// rule joins one aws_network_acl_rule to its ACL and adds its entry, or
// one aws_network_acl_association and adds its subnet.
func (p *jsonParser) rule(r jsonRule) {
	pos := p.pos(r.n, r.path)
	if r.assoc {
		sub := str(yamlnode.Get(r.n, "subnet_id"))
		if sub == "" {
			p.c.Errorf(pos, "subnet_id", "%s: subnet_id is missing or unknown", r.addr)
			return
		}
		if acl := p.joinTarget(r, pos); acl != nil {
			acl.Subnets = append(acl.Subnets, sub)
		}
		return
	}
	a, ok := p.attrs(r.n, r.path)
	if !ok {
		return
	}
	acl := p.joinTarget(r, pos)
	if acl == nil {
		return
	}
	schema := ruleResourceSchema
	schema.state = true
	b := newRuleBuilder(p.c, a, pos, schema)
	dir := b.direction()
	ok = b.ok
	if e, built := b.build(dir); ok && built {
		acl.Entries = append(acl.Entries, e)
	}
}

// joinTarget finds the ACL of a rule: by the network_acl_id value, else
// (plan output, id unknown) by the configuration reference.
func (p *jsonParser) joinTarget(r jsonRule, pos nacl.Pos) *nacl.ACL {
	id := str(yamlnode.Get(r.n, "network_acl_id"))
	if acl, ok := p.byID[id]; ok && id != "" {
		return acl
	}
	for _, ref := range p.refs[r.cfgAddr] {
		if acl, ok := p.refACL(ref, r.modAddr, 0); ok {
			return acl
		}
	}
	if id == "" {
		p.c.Errorf(pos, "network_acl_id", "%s: network_acl_id is unknown and no configuration reference names an ACL in this output", r.addr)
		return nil
	}
	acl := &nacl.ACL{ID: id, Pos: pos}
	p.c.Warnf(pos, "network_acl_id", "%s: network ACL %s is not in this output; its rules and associations are read as ACL %q (other attributes unknown)", r.addr, id, id)
	p.acls = append(p.acls, acl)
	p.byID[id] = acl
	return acl
}
