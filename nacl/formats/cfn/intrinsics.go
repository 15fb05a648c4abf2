package cfn

import (
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl/formats/internal/yamlnode"
	"github.com/flowverify/flowverify/nacl/formats/limits"
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
	// valComplex is a mapping or list written in the template.
	valComplex
	// valList is a list computed by an intrinsic (Fn::Split, Fn::Cidr, a
	// CommaDelimitedList parameter).
	valList
	// valNoValue is AWS::NoValue: the property is removed.
	valNoValue
)

// value is a resolved property value.
type value struct {
	kind valKind
	// tag is the YAML tag of a scalar (!!str, !!int, !!bool, !!float, !!null).
	tag  string
	text string
	// resource and attr name the target of Ref / Fn::GetAtt.
	resource, attr string
	list           []value
	node           *yaml.Node
}

// strVal is a string scalar.
func strVal(s string, n *yaml.Node) value {
	return value{kind: valScalar, tag: "!!str", text: s, node: n}
}

// evalError is a value that cannot be resolved, at node.
type evalError struct {
	node *yaml.Node
	msg  string
}

// maxDepth bounds the nesting of intrinsic functions (aliases can make a
// template a graph; the step budget bounds the rest).
const maxDepth = 32

// resolver resolves intrinsic functions against the template's
// Parameters (with Default or a value given), Mappings, Conditions and
// Resources.
type resolver struct {
	params    map[string]*paramValue
	mappings  *yaml.Node
	conds     map[string]*condition
	resources map[string]string
	budget    *limits.Budget
	memo      map[*yaml.Node]memoized
}

// paramValue is a template parameter with its value.
type paramValue struct {
	decl *yaml.Node
	// val is the value (Default or override); set says whether there is one.
	val value
	set bool
	// given: the value came from --parameter.
	given bool
}

// condition is an entry of the Conditions section, evaluated once.
type condition struct {
	node    *yaml.Node
	state   uint8 // 0 new, 1 evaluating, 2 done
	val     bool
	problem *evalError
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
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, resolveAlias(n.Content[1]), true
		}
	}
	return "", nil, false
}

// eval resolves n to a literal, a list, a resource reference, or an error.
func (r *resolver) eval(n *yaml.Node) (value, *evalError) {
	return r.evalDepth(n, 0)
}

// unresolvable are intrinsics whose value only exists once a stack is
// deployed, with what to do instead.
var unresolvable = map[string]string{
	"Fn::ImportValue": "is an export of another stack",
	"Fn::GetAZs":      "depends on the account and region",
	"Fn::Transform":   "is a macro run by CloudFormation",
}

// deployedHint says how to read what only a deployed stack knows.
const deployedHint = "deploy the stack and read its ACLs with `aws ec2 describe-network-acls`"

// memoized is a result of evalDepth kept for a node.
type memoized struct {
	v value
	e *evalError
}

func (r *resolver) evalDepth(n *yaml.Node, depth int) (value, *evalError) {
	n = resolveAlias(n)
	if n == nil {
		return value{tag: "!!null"}, nil
	}
	// YAML aliases make the template a graph: evaluate each node once, so
	// that a chain of aliases doubling a value costs linear time.
	if m, ok := r.memo[n]; ok {
		return m.v, m.e
	}
	v, e := r.evalNode(n, depth)
	if e == nil || depth == 0 {
		if r.memo == nil {
			r.memo = map[*yaml.Node]memoized{}
		}
		r.memo[n] = memoized{v, e}
	}
	return v, e
}

// evalNode evaluates one node (evalDepth without the memo).
func (r *resolver) evalNode(n *yaml.Node, depth int) (value, *evalError) {
	if depth > maxDepth {
		return value{}, &evalError{n, "intrinsic functions nested too deeply"}
	}
	if err := r.budget.Spend(1); err != nil {
		return value{}, &evalError{n, err.Error()}
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
		return r.ref(n, arg)
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
	case "Fn::If":
		args, e := r.args(n, arg, "!If", 3)
		if e != nil {
			return value{}, e
		}
		if args[0].Kind != yaml.ScalarNode {
			return value{}, &evalError{n, "!If needs a condition name first"}
		}
		c, e := r.condition(args[0].Value, args[0])
		if e != nil {
			return value{}, e
		}
		if c {
			return r.evalDepth(args[1], depth+1)
		}
		return r.evalDepth(args[2], depth+1)
	case "Fn::Select":
		args, e := r.args(n, arg, "!Select", 2)
		if e != nil {
			return value{}, e
		}
		idx, e := r.integer(args[0], depth, "!Select index")
		if e != nil {
			return value{}, e
		}
		list, e := r.list(args[1], depth, "!Select")
		if e != nil {
			return value{}, e
		}
		if idx < 0 || idx >= len(list) {
			return value{}, &evalError{n, fmt.Sprintf("!Select index %d outside the list of %d", idx, len(list))}
		}
		return list[idx], nil
	case "Fn::Split":
		args, e := r.args(n, arg, "!Split", 2)
		if e != nil {
			return value{}, e
		}
		delim, e := r.scalar(args[0], depth, "!Split delimiter")
		if e != nil {
			return value{}, e
		}
		s, e := r.scalar(args[1], depth, "!Split source")
		if e != nil {
			return value{}, e
		}
		if delim == "" {
			return value{}, &evalError{n, "!Split delimiter is empty"}
		}
		parts := strings.Split(s, delim)
		if err := r.budget.Check(int64(len(s)), int64(len(parts))); err != nil {
			return value{}, &evalError{n, err.Error()}
		}
		out := value{kind: valList, node: n}
		for _, p := range parts {
			out.list = append(out.list, strVal(p, n))
		}
		return out, nil
	case "Fn::Join":
		args, e := r.args(n, arg, "!Join", 2)
		if e != nil {
			return value{}, e
		}
		delim, e := r.scalar(args[0], depth, "!Join delimiter")
		if e != nil {
			return value{}, e
		}
		list, e := r.list(args[1], depth, "!Join")
		if e != nil {
			return value{}, e
		}
		var parts []string
		total := 0
		for _, v := range list {
			if v.kind != valScalar {
				return value{}, &evalError{n, "!Join: every element must resolve to a string"}
			}
			total += len(v.text) + len(delim)
			if err := r.budget.Check(int64(total), 0); err != nil {
				return value{}, &evalError{n, err.Error()}
			}
			parts = append(parts, v.text)
		}
		return strVal(strings.Join(parts, delim), n), nil
	case "Fn::Cidr":
		return r.cidr(n, arg, depth)
	case "Fn::FindInMap":
		args, e := r.args(n, arg, "!FindInMap", 3)
		if e != nil {
			return value{}, e
		}
		var keys [3]string
		for i := range keys {
			if keys[i], e = r.scalar(args[i], depth, "!FindInMap key"); e != nil {
				return value{}, e
			}
		}
		m := resolveAlias(yamlnode.Get(r.mappings, keys[0]))
		if m == nil {
			return value{}, &evalError{n, fmt.Sprintf("!FindInMap: no mapping %s in Mappings", keys[0])}
		}
		top := resolveAlias(yamlnode.Get(m, keys[1]))
		if top == nil {
			return value{}, &evalError{n, fmt.Sprintf("!FindInMap: mapping %s has no key %s", keys[0], keys[1])}
		}
		v := resolveAlias(yamlnode.Get(top, keys[2]))
		if v == nil {
			return value{}, &evalError{n, fmt.Sprintf("!FindInMap: mapping %s.%s has no key %s", keys[0], keys[1], keys[2])}
		}
		return r.evalDepth(v, depth+1)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
		b, e := r.condExpr(n, depth)
		if e != nil {
			return value{}, e
		}
		return value{kind: valScalar, tag: "!!bool", text: strconv.FormatBool(b), node: n}, nil
	}
	if why, ok := unresolvable[name]; ok {
		return value{}, &evalError{n, fmt.Sprintf("%s (%s) %s: it cannot be resolved from the template (%s)", name, shortForm(name), why, deployedHint)}
	}
	return value{}, &evalError{n, fmt.Sprintf("intrinsic function %s (%s) is not supported (supported: !Ref, !GetAtt ACL.Id, !Sub, !If, !Select, !Split, !Join, !Cidr, !FindInMap, !Equals, !And, !Or, !Not)", name, shortForm(name))}
}

// ref resolves !Ref: a parameter's value, a resource, AWS::NoValue.
func (r *resolver) ref(n, arg *yaml.Node) (value, *evalError) {
	if arg.Kind != yaml.ScalarNode {
		return value{}, &evalError{n, "!Ref needs a name"}
	}
	x := arg.Value
	if p, ok := r.params[x]; ok {
		if !p.set {
			return value{}, &evalError{n, fmt.Sprintf("!Ref %s: parameter %s has no Default: give its value with --parameter %s=VALUE", x, x, x)}
		}
		return p.val, nil
	}
	if _, ok := r.resources[x]; ok {
		return value{kind: valRef, resource: x, node: n}, nil
	}
	if x == "AWS::NoValue" {
		return value{kind: valNoValue, node: n}, nil
	}
	if strings.HasPrefix(x, "AWS::") {
		return value{}, &evalError{n, fmt.Sprintf("!Ref %s: the pseudo parameter %s is only known once the stack is deployed (%s)", x, x, deployedHint)}
	}
	return value{}, &evalError{n, fmt.Sprintf("!Ref %s: no parameter or resource of that name", x)}
}

// args checks that an intrinsic's argument is a list of want items.
func (r *resolver) args(n, arg *yaml.Node, fn string, want int) ([]*yaml.Node, *evalError) {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != want {
		return nil, &evalError{n, fmt.Sprintf("%s needs a list of %d arguments", fn, want)}
	}
	out := make([]*yaml.Node, want)
	for i, c := range arg.Content {
		out[i] = resolveAlias(c)
		if out[i] == nil {
			return nil, &evalError{n, fmt.Sprintf("%s: argument %d is empty", fn, i+1)}
		}
	}
	return out, nil
}

// scalar evaluates n to a string.
func (r *resolver) scalar(n *yaml.Node, depth int, what string) (string, *evalError) {
	v, e := r.evalDepth(n, depth+1)
	if e != nil {
		return "", e
	}
	if v.kind != valScalar {
		return "", &evalError{n, fmt.Sprintf("%s must resolve to a string", what)}
	}
	return v.text, nil
}

// integer evaluates n to an integer.
func (r *resolver) integer(n *yaml.Node, depth int, what string) (int, *evalError) {
	s, e := r.scalar(n, depth, what)
	if e != nil {
		return 0, e
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, &evalError{n, fmt.Sprintf("%s must be an integer, got %q", what, s)}
	}
	return i, nil
}

// list evaluates n to a list of values: a literal sequence (each element
// evaluated) or an intrinsic that returns a list.
func (r *resolver) list(n *yaml.Node, depth int, what string) ([]value, *evalError) {
	v, e := r.evalDepth(n, depth+1)
	if e != nil {
		return nil, e
	}
	switch {
	case v.kind == valList:
		return v.list, nil
	case v.kind == valComplex && v.node.Kind == yaml.SequenceNode:
		if err := r.budget.Check(0, int64(len(v.node.Content))); err != nil {
			return nil, &evalError{n, err.Error()}
		}
		out := make([]value, 0, len(v.node.Content))
		for _, c := range v.node.Content {
			ev, e := r.evalDepth(c, depth+1)
			if e != nil {
				return nil, e
			}
			out = append(out, ev)
		}
		return out, nil
	}
	return nil, &evalError{n, fmt.Sprintf("%s needs a list", what)}
}

// cidr implements Fn::Cidr [ipBlock, count, cidrBits]: count consecutive
// subnets with cidrBits host bits each, from the start of ipBlock.
func (r *resolver) cidr(n, arg *yaml.Node, depth int) (value, *evalError) {
	args, e := r.args(n, arg, "!Cidr", 3)
	if e != nil {
		return value{}, e
	}
	block, e := r.scalar(args[0], depth, "!Cidr ipBlock")
	if e != nil {
		return value{}, e
	}
	count, e := r.integer(args[1], depth, "!Cidr count")
	if e != nil {
		return value{}, e
	}
	hostBits, e := r.integer(args[2], depth, "!Cidr cidrBits")
	if e != nil {
		return value{}, e
	}
	pfx, err := netip.ParsePrefix(strings.TrimSpace(block))
	if err != nil {
		return value{}, &evalError{n, fmt.Sprintf("!Cidr: invalid ipBlock %q", block)}
	}
	pfx = pfx.Masked()
	bits := pfx.Addr().BitLen()
	if count < 1 || count > 256 {
		return value{}, &evalError{n, fmt.Sprintf("!Cidr count %d outside 1-256", count)}
	}
	newLen := bits - hostBits
	if hostBits < 0 || newLen < pfx.Bits() {
		return value{}, &evalError{n, fmt.Sprintf("!Cidr: %d host bits do not fit in %s", hostBits, pfx)}
	}
	if avail := newLen - pfx.Bits(); avail < 9 && count > 1<<avail {
		return value{}, &evalError{n, fmt.Sprintf("!Cidr: %s holds only %d subnets of /%d, not %d", pfx, 1<<avail, newLen, count)}
	}
	if err := r.budget.Spend(int64(count)); err != nil {
		return value{}, &evalError{n, err.Error()}
	}
	base := new(big.Int).SetBytes(pfx.Addr().AsSlice())
	step := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
	out := value{kind: valList, node: n}
	for i := 0; i < count; i++ {
		a := new(big.Int).Add(base, new(big.Int).Mul(step, big.NewInt(int64(i))))
		buf := make([]byte, bits/8)
		a.FillBytes(buf)
		addr, _ := netip.AddrFromSlice(buf)
		out.list = append(out.list, strVal(netip.PrefixFrom(addr, newLen).String(), n))
	}
	return out, nil
}

// condition evaluates the named entry of the Conditions section.
func (r *resolver) condition(name string, at *yaml.Node) (bool, *evalError) {
	c, ok := r.conds[name]
	if !ok {
		return false, &evalError{at, fmt.Sprintf("no condition %s in Conditions", name)}
	}
	switch c.state {
	case 2:
		if c.problem != nil {
			return false, &evalError{at, fmt.Sprintf("condition %s cannot be evaluated: %s", name, c.problem.msg)}
		}
		return c.val, nil
	case 1:
		return false, &evalError{at, fmt.Sprintf("condition %s refers to itself", name)}
	}
	c.state = 1
	c.val, c.problem = r.condExpr(c.node, 0)
	c.state = 2
	if c.problem != nil {
		return false, &evalError{at, fmt.Sprintf("condition %s cannot be evaluated: %s", name, c.problem.msg)}
	}
	return c.val, nil
}

// condExpr evaluates a condition function (Fn::Equals, Fn::And, Fn::Or,
// Fn::Not, {Condition: name}).
func (r *resolver) condExpr(n *yaml.Node, depth int) (bool, *evalError) {
	n = resolveAlias(n)
	if n == nil {
		return false, &evalError{n, "empty condition"}
	}
	if depth > maxDepth {
		return false, &evalError{n, "conditions nested too deeply"}
	}
	if err := r.budget.Spend(1); err != nil {
		return false, &evalError{n, err.Error()}
	}
	name, arg, ok := intrinsic(n)
	if !ok {
		if n.Kind == yaml.ScalarNode && (n.Value == "true" || n.Value == "false") {
			return n.Value == "true", nil
		}
		return false, &evalError{n, "want a condition function (!Equals, !And, !Or, !Not, !Condition)"}
	}
	switch name {
	case "Condition":
		if arg.Kind != yaml.ScalarNode {
			return false, &evalError{n, "Condition needs a name"}
		}
		return r.condition(arg.Value, n)
	case "Fn::Equals":
		args, e := r.args(n, arg, "!Equals", 2)
		if e != nil {
			return false, e
		}
		a, e := r.scalar(args[0], depth, "!Equals argument")
		if e != nil {
			return false, e
		}
		b, e := r.scalar(args[1], depth, "!Equals argument")
		if e != nil {
			return false, e
		}
		return a == b, nil
	case "Fn::Not":
		args, e := r.args(n, arg, "!Not", 1)
		if e != nil {
			return false, e
		}
		b, e := r.condExpr(args[0], depth+1)
		return !b, e
	case "Fn::And", "Fn::Or":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) < 2 || len(arg.Content) > 10 {
			return false, &evalError{n, fmt.Sprintf("%s needs a list of 2 to 10 conditions", shortForm(name))}
		}
		and := name == "Fn::And"
		for _, c := range arg.Content {
			b, e := r.condExpr(c, depth+1)
			if e != nil {
				return false, e
			}
			if b != and {
				return !and, nil
			}
		}
		return and, nil
	}
	return false, &evalError{n, fmt.Sprintf("%s (%s) is not a condition function", name, shortForm(name))}
}

var subVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub evaluates Fn::Sub over parameters and literal variables.
func (r *resolver) sub(n, arg *yaml.Node, depth int) (value, *evalError) {
	tmpl := arg
	vars := map[string]string{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 || resolveAlias(arg.Content[1]) == nil || resolveAlias(arg.Content[1]).Kind != yaml.MappingNode {
			return value{}, &evalError{n, "!Sub needs a string or [string, {variables}]"}
		}
		tmpl = resolveAlias(arg.Content[0])
		m := resolveAlias(arg.Content[1])
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
	total := len(tmpl.Value)
	out := subVarRE.ReplaceAllStringFunc(tmpl.Value, func(m string) string {
		if problem != nil {
			return m
		}
		name := m[2 : len(m)-1]
		var rep string
		switch {
		case strings.HasPrefix(name, "!"):
			rep = "${" + name[1:] + "}"
		case vars[name] != "" || hasKey(vars, name):
			rep = vars[name]
		case r.params[name] != nil:
			p := r.params[name]
			if !p.set {
				problem = &evalError{n, fmt.Sprintf("!Sub: parameter %s has no Default: give its value with --parameter %s=VALUE", name, name)}
				return m
			}
			if p.val.kind != valScalar {
				problem = &evalError{n, fmt.Sprintf("!Sub: parameter %s is a list", name)}
				return m
			}
			rep = p.val.text
		default:
			problem = &evalError{n, fmt.Sprintf("!Sub: ${%s} is not supported (only parameters and literal variables)", name)}
			return m
		}
		total += len(rep)
		if err := r.budget.Check(int64(total), 0); err != nil {
			problem = &evalError{n, err.Error()}
		}
		return rep
	})
	if problem != nil {
		return value{}, problem
	}
	return strVal(out, n), nil
}

// hasKey reports whether m has key k.
func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
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
