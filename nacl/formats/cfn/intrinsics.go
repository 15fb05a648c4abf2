package cfn

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"go.yaml.in/yaml/v4"
)

// valKind is what a property value resolved to.
type valKind uint8

const (
	// valScalar is a literal string, number, bool or null.
	valScalar valKind = iota
	// valRef is a Ref to a resource (logical id in resource).
	valRef
	// valGetAtt is Fn::GetAtt resource.attr.
	valGetAtt
	// valComplex is a mapping or list.
	valComplex
)

// value is a resolved property value.
type value struct {
	kind valKind
	// tag is the YAML tag of a scalar (!!str, !!int, !!bool, !!float, !!null).
	tag  string
	text string
	// resource and attr name the target of Ref / Fn::GetAtt.
	resource, attr string
	node           *yaml.Node
}

// evalError is a value that cannot be resolved, at node.
type evalError struct {
	node *yaml.Node
	msg  string
}

// resolver resolves intrinsic functions against the template's
// Parameters (with Default) and Resources.
type resolver struct {
	params    map[string]*yaml.Node
	resources map[string]string
}

// shortForm is the YAML short form of an intrinsic, for messages.
func shortForm(name string) string {
	if name == "Ref" {
		return "!Ref"
	}
	return "!" + strings.TrimPrefix(name, "Fn::")
}

// intrinsic recognises !Name short forms and {"Ref": ...} / {"Fn::X": ...}
// long forms. arg is the function's argument.
func intrinsic(n *yaml.Node) (name string, arg *yaml.Node, ok bool) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name = n.Tag[1:]
		if name != "Ref" && name != "Condition" && !strings.HasPrefix(name, "Fn::") {
			name = "Fn::" + name
		}
		a := *n
		a.Tag = ""
		if a.Kind == yaml.ScalarNode {
			a.Tag = "!!str"
		}
		return name, &a, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, resolveAlias(n.Content[1]), true
		}
	}
	return "", nil, false
}

// eval resolves n to a literal, a resource reference, or an error.
func (r *resolver) eval(n *yaml.Node) (value, *evalError) {
	return r.evalDepth(n, 0)
}

func (r *resolver) evalDepth(n *yaml.Node, depth int) (value, *evalError) {
	n = resolveAlias(n)
	if n == nil {
		return value{tag: "!!null"}, nil
	}
	if depth > 8 {
		return value{}, &evalError{n, "intrinsic functions nested too deeply"}
	}
	name, arg, ok := intrinsic(n)
	if !ok {
		if n.Kind == yaml.ScalarNode {
			return value{kind: valScalar, tag: n.ShortTag(), text: n.Value, node: n}, nil
		}
		return value{kind: valComplex, node: n}, nil
	}
	switch name {
	case "Ref":
		if arg.Kind != yaml.ScalarNode {
			return value{}, &evalError{n, "!Ref needs a name"}
		}
		x := arg.Value
		if p, ok := r.params[x]; ok {
			def := resolveAlias(yamlnode.Get(p, "Default"))
			if def == nil {
				return value{}, &evalError{n, fmt.Sprintf("!Ref %s: parameter %s has no Default (flowverify reads templates without parameter values)", x, x)}
			}
			if _, _, isFn := intrinsic(def); isFn || def.Kind != yaml.ScalarNode {
				return value{}, &evalError{def, fmt.Sprintf("parameter %s: Default must be a literal", x)}
			}
			return value{kind: valScalar, tag: def.ShortTag(), text: def.Value, node: def}, nil
		}
		if _, ok := r.resources[x]; ok {
			return value{kind: valRef, resource: x, node: n}, nil
		}
		if strings.HasPrefix(x, "AWS::") {
			return value{}, &evalError{n, fmt.Sprintf("!Ref %s: pseudo parameters are not supported", x)}
		}
		return value{}, &evalError{n, fmt.Sprintf("!Ref %s: no parameter or resource of that name", x)}
	case "Fn::GetAtt":
		var res, att string
		switch {
		case arg.Kind == yaml.ScalarNode:
			res, att, _ = strings.Cut(arg.Value, ".")
		case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 && arg.Content[0].Kind == yaml.ScalarNode && arg.Content[1].Kind == yaml.ScalarNode:
			res, att = arg.Content[0].Value, arg.Content[1].Value
		default:
			return value{}, &evalError{n, "!GetAtt needs RESOURCE.ATTRIBUTE or [RESOURCE, ATTRIBUTE]"}
		}
		if _, ok := r.resources[res]; !ok || att == "" {
			return value{}, &evalError{n, fmt.Sprintf("!GetAtt %s.%s: no resource %s", res, att, res)}
		}
		return value{kind: valGetAtt, resource: res, attr: att, node: n}, nil
	case "Fn::Sub":
		return r.sub(n, arg, depth)
	}
	return value{}, &evalError{n, fmt.Sprintf("intrinsic function %s (%s) is not supported (supported: !Ref to a Parameter with a Default or to a NetworkAcl, !GetAtt ACL.Id, !Sub over parameters)", name, shortForm(name))}
}

var subVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub over parameters with defaults and literal variables.
func (r *resolver) sub(n, arg *yaml.Node, depth int) (value, *evalError) {
	tmpl := arg
	vars := map[string]string{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 || arg.Content[1].Kind != yaml.MappingNode {
			return value{}, &evalError{n, "!Sub needs a string or [string, {variables}]"}
		}
		tmpl = resolveAlias(arg.Content[0])
		m := arg.Content[1]
		for i := 0; i+1 < len(m.Content); i += 2 {
			v, e := r.evalDepth(m.Content[i+1], depth+1)
			if e != nil {
				return value{}, e
			}
			if v.kind != valScalar {
				return value{}, &evalError{m.Content[i+1], fmt.Sprintf("!Sub variable %s must resolve to a literal", m.Content[i].Value)}
			}
			vars[m.Content[i].Value] = v.text
		}
	}
	if tmpl == nil || tmpl.Kind != yaml.ScalarNode {
		return value{}, &evalError{n, "!Sub needs a string template"}
	}
	var problem *evalError
	out := subVarRE.ReplaceAllStringFunc(tmpl.Value, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if v, ok := vars[name]; ok {
			return v
		}
		if _, ok := r.params[name]; ok {
			ref := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!Ref", Value: name, Line: n.Line, Column: n.Column}
			v, e := r.evalDepth(ref, depth+1)
			if e == nil && v.kind == valScalar {
				return v.text
			}
			if e != nil && problem == nil {
				problem = &evalError{n, "!Sub " + strings.TrimPrefix(e.msg, "!Ref ")}
			}
			return m
		}
		if problem == nil {
			problem = &evalError{n, fmt.Sprintf("!Sub: ${%s} is not supported (only parameters with a Default and literal variables)", name)}
		}
		return m
	})
	if problem != nil {
		return value{}, problem
	}
	return value{kind: valScalar, tag: "!!str", text: out, node: n}, nil
}

// text renders a value as an identifier for fields that are not rule
// relevant (VpcId, SubnetId): literals and references as-is, other
// intrinsics as "Fn::Name(arg)".
func (r *resolver) text(n *yaml.Node) string {
	n = resolveAlias(n)
	if n == nil {
		return ""
	}
	v, e := r.eval(n)
	if e == nil {
		switch v.kind {
		case valScalar:
			return v.text
		case valRef:
			return v.resource
		case valGetAtt:
			return v.resource + "." + v.attr
		}
	}
	if name, arg, ok := intrinsic(n); ok {
		if arg.Kind == yaml.ScalarNode {
			if name == "Ref" {
				return arg.Value
			}
			return name + "(" + arg.Value + ")"
		}
		return name + "(...)"
	}
	return ""
}
