// Package awsjson reads and writes NACLs as `aws ec2 describe-network-acls`
// JSON: the {"NetworkAcls": [...]} document, a single NetworkAcl object
// (also wrapped as {"NetworkAcl": {...}} as create-network-acl prints it),
// or a bare array of NetworkAcl objects.
package awsjson

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/internal/diag"
	"github.com/flowverify/flowverify/nacl/formats/internal/jsontree"
)

// Parse reads every ACL in data. name is used in positions and messages.
// Protocols may be numbers or names, as JSON strings or numbers; empty
// PortRange/IcmpTypeCode objects count as absent; the implicit 32767/32768
// entries are checked and dropped; Tags Name becomes ACL.Name and
// Associations' SubnetIds ACL.Subnets. Positions carry the JSON path
// ($.NetworkAcls[0].Entries[3].PortRange.From) and line:column. Parse
// returns what it could read even on errors; rule-number ranges and
// duplicates are left to nacl.Validate (aclfile.Read runs it).
func Parse(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	t := jsontree.New(data)
	p := &parser{name: name, t: t}
	root, err := t.Parse()
	if err != nil {
		line, col := t.LineCol(jsontree.ErrorOffset(err))
		d := nacl.Diagnostic{Severity: nacl.SevError, Pos: nacl.Pos{File: name, Line: line, Col: col}, Msg: "invalid JSON: " + err.Error()}
		return nil, []nacl.Diagnostic{d}, errors.New(d.Error())
	}
	p.document(root)
	return p.acls, p.diags, diag.Summary(p.diags)
}

// parser holds the state of one Parse call.
type parser struct {
	name  string
	t     *jsontree.Tree
	acls  []*nacl.ACL
	diags []nacl.Diagnostic
}

// pos returns the position of n with its JSON path.
func (p *parser) pos(n *jsontree.Node, path string) nacl.Pos {
	pos := nacl.Pos{File: p.name, Path: path}
	if n != nil {
		pos.Line, pos.Col = p.t.LineCol(n.Off)
	}
	return pos
}

func (p *parser) diag(sev nacl.Severity, n *jsontree.Node, path, field, format string, args ...any) {
	p.diags = append(p.diags, nacl.Diagnostic{Severity: sev, Pos: p.pos(n, path), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// document finds the ACL objects in the root value.
func (p *parser) document(root *jsontree.Node) {
	switch {
	case root.Kind == 'a':
		for i, a := range root.Elems {
			p.acl(a, fmt.Sprintf("$[%d]", i), i)
		}
	case root.Kind != 'o':
		p.diag(nacl.SevError, root, "$", "", "not a describe-network-acls document: the top level is %s", root.KindName())
	case root.Get("NetworkAcls") != nil:
		list := root.Get("NetworkAcls")
		if list.Kind != 'a' {
			p.diag(nacl.SevError, list, "$.NetworkAcls", "NetworkAcls", "want an array, got %s", list.KindName())
			return
		}
		for i, a := range list.Elems {
			p.acl(a, fmt.Sprintf("$.NetworkAcls[%d]", i), i)
		}
	case root.Get("NetworkAcl") != nil:
		p.acl(root.Get("NetworkAcl"), "$.NetworkAcl", 0)
	case root.Get("Entries") != nil || root.Get("NetworkAclId") != nil:
		p.acl(root, "$", 0)
	default:
		p.diag(nacl.SevError, root, "$", "", "not a describe-network-acls document: no NetworkAcls, NetworkAcl, Entries or NetworkAclId key")
	}
}

// acl reads one NetworkAcl object.
func (p *parser) acl(n *jsontree.Node, path string, index int) {
	if n.Kind != 'o' {
		p.diag(nacl.SevError, n, path, "", "want a NetworkAcl object, got %s", n.KindName())
		return
	}
	a := &nacl.ACL{Pos: p.pos(n, path)}
	if v := n.Get("NetworkAclId"); v != nil && v.Kind == 's' && v.Text != "" {
		a.ID = v.Text
	} else {
		base := strings.TrimSuffix(filepath.Base(p.name), filepath.Ext(p.name))
		a.ID = fmt.Sprintf("%s-%d", base, index+1)
		p.diag(nacl.SevWarning, n, path, "NetworkAclId", "missing or not a string; calling the ACL %q", a.ID)
	}
	if v := n.Get("VpcId"); v != nil && v.Kind == 's' {
		a.VPCID = v.Text
	}
	if v := n.Get("IsDefault"); v != nil {
		b, err := boolOf(v)
		if err != nil {
			p.diag(nacl.SevError, v, path+".IsDefault", "IsDefault", "%v", err)
		}
		a.IsDefault = b
	}
	if tags := n.Get("Tags"); tags != nil && tags.Kind == 'a' {
		for _, tg := range tags.Elems {
			if k := tg.Get("Key"); k != nil && k.Kind == 's' && k.Text == "Name" {
				if v := tg.Get("Value"); v != nil && v.Kind == 's' {
					a.Name = v.Text
				}
			}
		}
	}
	if as := n.Get("Associations"); as != nil {
		if as.Kind != 'a' {
			p.diag(nacl.SevError, as, path+".Associations", "Associations", "want an array, got %s", as.KindName())
		} else {
			for i, s := range as.Elems {
				if v := s.Get("SubnetId"); v != nil && v.Kind == 's' && v.Text != "" {
					a.Subnets = append(a.Subnets, v.Text)
				} else {
					p.diag(nacl.SevWarning, s, fmt.Sprintf("%s.Associations[%d]", path, i), "SubnetId", "association without a SubnetId ignored")
				}
			}
		}
	}
	if es := n.Get("Entries"); es != nil {
		if es.Kind != 'a' {
			p.diag(nacl.SevError, es, path+".Entries", "Entries", "want an array, got %s", es.KindName())
		} else {
			for i, en := range es.Elems {
				if e, ok := p.entry(en, fmt.Sprintf("%s.Entries[%d]", path, i)); ok {
					a.Entries = append(a.Entries, e)
				}
			}
		}
	} else {
		p.diag(nacl.SevWarning, n, path, "Entries", "no Entries: the ACL denies everything")
	}
	p.acls = append(p.acls, a)
}

// entry reads one NetworkAclEntry; ok is false when it has errors or is
// an implicit default entry.
func (p *parser) entry(n *jsontree.Node, path string) (nacl.Entry, bool) {
	e := nacl.Entry{ICMPType: -1, ICMPCode: -1, Pos: p.pos(n, path)}
	if n.Kind != 'o' {
		p.diag(nacl.SevError, n, path, "", "want an entry object, got %s", n.KindName())
		return e, false
	}
	ok := true
	bad := func(v *jsontree.Node, field string, err error) {
		fp := path + "." + field
		if v == nil {
			v = n
		}
		p.diag(nacl.SevError, v, fp, field, "%v", err)
		ok = false
	}
	req := func(field string) *jsontree.Node {
		v := n.Get(field)
		if v == nil {
			bad(nil, field, fmt.Errorf("missing %s", field))
		}
		return v
	}
	if v := req("RuleNumber"); v != nil {
		num, err := intOf(v)
		if err != nil {
			bad(v, "RuleNumber", err)
		}
		e.RuleNumber = num
	}
	if v := req("Egress"); v != nil {
		b, err := boolOf(v)
		if err != nil {
			bad(v, "Egress", err)
		}
		if b {
			e.Direction = nacl.Egress
		}
	}
	if v := req("RuleAction"); v != nil {
		var err error
		if v.Kind != 's' {
			err = fmt.Errorf("want \"allow\" or \"deny\", got %s", v.KindName())
		} else {
			e.Action, err = nacl.ParseAction(v.Text)
		}
		if err != nil {
			bad(v, "RuleAction", err)
		}
	}
	if v := req("Protocol"); v != nil {
		var err error
		if v.Kind != 's' && v.Kind != 'n' {
			err = fmt.Errorf("want a protocol number or name, got %s", v.KindName())
		} else {
			e.Protocol, err = nacl.ParseProtocol(v.Text)
		}
		if err != nil {
			bad(v, "Protocol", err)
		}
	}
	v4, v6 := n.Get("CidrBlock"), n.Get("Ipv6CidrBlock")
	switch {
	case v4 == nil && v6 == nil:
		bad(nil, "CidrBlock", errors.New("missing CidrBlock or Ipv6CidrBlock"))
	case v4 != nil && v6 != nil:
		bad(v6, "Ipv6CidrBlock", errors.New("an entry has either CidrBlock or Ipv6CidrBlock, not both"))
	default:
		field, v := "CidrBlock", v4
		if v == nil {
			field, v = "Ipv6CidrBlock", v6
		}
		p.cidr(&e, v, path, field, &ok)
	}
	if !ok {
		return e, false
	}
	p.portRange(&e, n, path, &ok)
	p.icmp(&e, n.Get("IcmpTypeCode"), path, &ok)
	if !ok {
		return e, false
	}
	if nacl.IsDefaultRuleNumber(e.RuleNumber) {
		if err := nacl.CheckDefaultEntry(&e); err != nil {
			p.diag(nacl.SevError, n.Get("RuleNumber"), path+".RuleNumber", "RuleNumber", "%v", err)
		}
		return e, false // implicit: dropped
	}
	e.Normalize()
	return e, true
}

// cidr reads CidrBlock or Ipv6CidrBlock.
func (p *parser) cidr(e *nacl.Entry, v *jsontree.Node, path, field string, ok *bool) {
	fp := path + "." + field
	if v.Kind != 's' {
		p.diag(nacl.SevError, v, fp, field, "want a CIDR string, got %s", v.KindName())
		*ok = false
		return
	}
	pfx, warn, err := nacl.ParseCIDR(v.Text)
	if err != nil {
		p.diag(nacl.SevError, v, fp, field, "%v", err)
		*ok = false
		return
	}
	if (field == "Ipv6CidrBlock") != pfx.Addr().Is6() {
		p.diag(nacl.SevError, v, fp, field, "%s is not an %s CIDR", v.Text, map[bool]string{true: "IPv6", false: "IPv4"}[field == "Ipv6CidrBlock"])
		*ok = false
		return
	}
	if warn != "" {
		p.diag(nacl.SevWarning, v, fp, field, "%s", warn)
	}
	e.CIDR = pfx
}

// portRange reads PortRange; {} counts as absent.
func (p *parser) portRange(e *nacl.Entry, en *jsontree.Node, path string, ok *bool) {
	fp := path + ".PortRange"
	v := en.Get("PortRange")
	if v != nil && v.Kind == 'o' && len(v.Keys) == 0 {
		v = nil
	}
	if !e.UsesPorts() {
		return // AWS ignores PortRange for other protocols
	}
	if v == nil {
		p.diag(nacl.SevError, en, fp, "PortRange", "missing: protocol %s needs a PortRange", nacl.ProtocolName(e.Protocol))
		*ok = false
		return
	}
	if v.Kind != 'o' {
		p.diag(nacl.SevError, v, fp, "PortRange", "want an object {From, To}, got %s", v.KindName())
		*ok = false
		return
	}
	var ends [2]int
	for i, k := range []string{"From", "To"} {
		f := v.Get(k)
		if f == nil {
			p.diag(nacl.SevError, v, fp, "PortRange."+k, "missing %s", k)
			*ok = false
			return
		}
		n, err := intOf(f)
		if err == nil && (n < 0 || n > 65535) {
			err = fmt.Errorf("port %d outside 0-65535", n)
		}
		if err != nil {
			p.diag(nacl.SevError, f, fp+"."+k, "PortRange."+k, "%v", err)
			*ok = false
			return
		}
		ends[i] = n
	}
	r, err := nacl.CheckPorts(ends[0], ends[1])
	if err != nil {
		p.diag(nacl.SevError, v, fp, "PortRange", "%v", err)
		*ok = false
		return
	}
	e.Ports = r
}

// icmp reads IcmpTypeCode; {} or absent means any type and code.
func (p *parser) icmp(e *nacl.Entry, v *jsontree.Node, path string, ok *bool) {
	fp := path + ".IcmpTypeCode"
	if v == nil || !e.UsesICMP() || (v.Kind == 'o' && len(v.Keys) == 0) {
		return
	}
	if v.Kind != 'o' {
		p.diag(nacl.SevError, v, fp, "IcmpTypeCode", "want an object {Type, Code}, got %s", v.KindName())
		*ok = false
		return
	}
	read := func(k string) int {
		f := v.Get(k)
		if f == nil {
			return -1
		}
		n, err := intOf(f)
		if err == nil {
			err = nacl.CheckICMP(strings.ToLower(k), n)
		}
		if err != nil {
			p.diag(nacl.SevError, f, fp+"."+k, "IcmpTypeCode."+k, "%v", err)
			*ok = false
		}
		return n
	}
	e.ICMPType, e.ICMPCode = read("Type"), read("Code")
	if *ok && e.ICMPType == -1 && e.ICMPCode != -1 {
		p.diag(nacl.SevWarning, v, fp, "IcmpTypeCode.Code", "code %d is ignored when type is -1 (all types)", e.ICMPCode)
	}
}

// intOf reads an integer given as a JSON number or a numeric string.
func intOf(n *jsontree.Node) (int, error) {
	if n.Kind != 'n' && n.Kind != 's' {
		return 0, fmt.Errorf("want an integer, got %s", n.KindName())
	}
	v, err := strconv.Atoi(strings.TrimSpace(n.Text))
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %q", n.Text)
	}
	return v, nil
}

// boolOf reads a boolean given as true/false or "true"/"false".
func boolOf(n *jsontree.Node) (bool, error) {
	switch {
	case n.Kind == 'b':
		return n.Bool, nil
	case n.Kind == 's' && strings.EqualFold(n.Text, "true"):
		return true, nil
	case n.Kind == 's' && strings.EqualFold(n.Text, "false"):
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %s", n.KindName())
}
