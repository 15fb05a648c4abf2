package terraform

import (
	"fmt"
	"strings"

	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evaluableHint says what flowverify can evaluate, for error messages.
const evaluableHint = "flowverify evaluates literals, var.NAME, local.NAME, module outputs, ACL ids, count/each, templates, for expressions, lists/objects of those and pure functions such as merge, format, cidrsubnet, cidrhost"

// planHint says how to read what configuration alone cannot tell.
const planHint = "run `terraform plan -out=tfplan && terraform show -json tfplan > plan.json` and give --nacl plan.json"

// evalError is an expression that cannot be evaluated, with the range of
// the offending (sub)expression.
type evalError struct {
	rng hcl.Range
	msg string
	// budget marks an expression over the evaluation limits.
	budget bool
}

// Error returns the message.
func (e *evalError) Error() string { return e.msg }

// variable is a `variable "name" {}` block.
type variable struct {
	rng     hcl.Range
	hasDef  bool
	val     cty.Value
	problem *evalError
	// ty is the declared type (cty.DynamicPseudoType when none) and
	// literal says that --var values are taken as strings (no type, or
	// type string), as terraform does.
	ty       cty.Type
	defaults *typeexpr.Defaults
	literal  bool
	// size is the value's size, measured once (set).
	size size
}

// local is one attribute of a `locals {}` block, evaluated on first use.
type local struct {
	expr    hclsyntax.Expression
	state   uint8 // 0 new, 1 evaluating, 2 done
	val     cty.Value
	size    size
	problem *evalError
}

// scope holds the variables and locals of one configuration and
// evaluates expressions that use only them.
type scope struct {
	// src holds each file's bytes by name, for quoting expressions.
	src    map[string][]byte
	vars   map[string]*variable
	locals map[string]*local
	// iter holds the iterator of the dynamic block being expanded.
	iter map[string]cty.Value
	// inst holds count or each of the resource or module instance being
	// read.
	inst map[string]cty.Value
	// resources holds the ACL resources of this module by type and name,
	// as objects with their id (the resource address), so that
	// network_acl_id = aws_network_acl.main[0].id evaluates to the address.
	resources map[string]map[string]cty.Value
	// modules holds the outputs of the child modules read, by name;
	// moduleProblems why a module's outputs are unknown.
	modules        map[string]cty.Value
	moduleProblems map[string]string
	budget         *limits.Budget
	// single: one file read on its own (hint to read the directory).
	single bool
	// overBudget collects the expressions over the limits met where a
	// failed evaluation is otherwise kept as text (refText).
	overBudget []*evalError
}

// newScope returns an empty scope charging b.
func newScope(src map[string][]byte, b *limits.Budget) *scope {
	return &scope{src: src, vars: map[string]*variable{}, locals: map[string]*local{},
		resources: map[string]map[string]cty.Value{}, modules: map[string]cty.Value{}, moduleProblems: map[string]string{}, budget: b}
}

// extra returns the values of the references other than var and local:
// the iterators, count/each, the ACL resources and the module outputs.
func (s *scope) extra() map[string]cty.Value {
	m := map[string]cty.Value{}
	for typ, byName := range s.resources {
		if len(byName) > 0 {
			m[typ] = cty.ObjectVal(byName)
		}
	}
	if len(s.modules) > 0 {
		m["module"] = cty.ObjectVal(s.modules)
	}
	for n, v := range s.inst {
		m[n] = v
	}
	for n, v := range s.iter {
		m[n] = v
	}
	return m
}

// text returns the source text of rng, on one line.
func (s *scope) text(rng hcl.Range) string {
	src := s.src[rng.Filename]
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	t := strings.Join(strings.Fields(string(src[rng.Start.Byte:rng.End.Byte])), " ")
	if len(t) > 80 {
		t = t[:77] + "..."
	}
	return t
}

// check verifies that expr can be evaluated and resolves the locals it uses.
func (s *scope) check(expr hclsyntax.Expression, seen map[string]bool) *evalError {
	var problem *evalError
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if problem != nil {
			return nil
		}
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && !supportedFunc(fc.Name) {
			problem = &evalError{rng: fc.Range(), msg: fmt.Sprintf("function call %s(...) is not supported (%s)", fc.Name, evaluableHint)}
		}
		return nil
	})
	if problem != nil {
		return problem
	}
	for _, t := range expr.Variables() {
		if p := s.checkTraversal(t, seen); p != nil {
			return p
		}
	}
	return nil
}

// checkTraversal verifies one reference.
func (s *scope) checkTraversal(t hcl.Traversal, seen map[string]bool) *evalError {
	rng := t.SourceRange()
	name := ""
	if len(t) > 1 {
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			name = a.Name
		}
	}
	if _, ok := s.iter[t.RootName()]; ok {
		return nil
	}
	if _, ok := s.inst[t.RootName()]; ok {
		return nil
	}
	switch t.RootName() {
	case "var":
		v, ok := s.vars[name]
		switch {
		case name == "":
			return &evalError{rng: rng, msg: fmt.Sprintf("unsupported reference %s", s.text(rng))}
		case !ok && s.single:
			return &evalError{rng: rng, msg: fmt.Sprintf("reference to undeclared variable %s (declared in another file of the module? give the directory: --nacl DIR)", s.text(rng))}
		case !ok:
			return &evalError{rng: rng, msg: fmt.Sprintf("reference to undeclared variable %s", s.text(rng))}
		case v.problem != nil && v.problem.budget:
			return v.problem
		case v.problem != nil:
			return &evalError{rng: rng, msg: fmt.Sprintf("var.%s cannot be evaluated: %s", name, v.problem.msg)}
		case !v.hasDef:
			return &evalError{rng: rng, msg: fmt.Sprintf("var.%s has no value: give it a default, set it in terraform.tfvars or *.auto.tfvars, or pass --var %s=VALUE or --var-file FILE", name, name)}
		}
		return nil
	case "local":
		l, ok := s.locals[name]
		if name == "" || !ok {
			return &evalError{rng: rng, msg: fmt.Sprintf("reference to undeclared local value %s", s.text(rng))}
		}
		if p := s.resolveLocal(name, l, seen); p != nil {
			if p.budget {
				// Name the expression over budget itself, not the chain
				// of locals that led to it.
				return p
			}
			return &evalError{rng: rng, msg: fmt.Sprintf("local.%s cannot be evaluated: %s", name, p.msg)}
		}
		return nil
	case "data":
		return &evalError{rng: rng, msg: fmt.Sprintf("%s is a data source, read by terraform at plan time: it cannot be evaluated from configuration (%s)", s.text(rng), planHint)}
	case "module":
		if _, ok := s.modules[name]; ok {
			return nil
		}
		if why, ok := s.moduleProblems[name]; ok {
			return &evalError{rng: rng, msg: fmt.Sprintf("%s cannot be evaluated: %s", s.text(rng), why)}
		}
		return &evalError{rng: rng, msg: fmt.Sprintf("reference to undeclared module %s", s.text(rng))}
	case typeACL, typeDefaultACL:
		if _, ok := s.resources[t.RootName()][name]; ok {
			return nil
		}
	}
	return &evalError{rng: rng, msg: fmt.Sprintf("unsupported reference %s (%s)", s.text(rng), evaluableHint)}
}

// resolveLocal evaluates a local value once, detecting cycles.
func (s *scope) resolveLocal(name string, l *local, seen map[string]bool) *evalError {
	switch l.state {
	case 2:
		return l.problem
	case 1:
		return &evalError{rng: l.expr.Range(), msg: fmt.Sprintf("local.%s refers to itself", name)}
	}
	l.state = 1
	saved, savedInst := s.iter, s.inst
	s.iter, s.inst = nil, nil
	v, p := s.eval(l.expr, seen)
	s.iter, s.inst = saved, savedInst
	l.val, l.problem, l.state = v, p, 2
	if p == nil {
		l.size = measure(v, s.capBytes(), s.capElems())
	}
	return p
}

// eval evaluates expr with the variables and locals in scope.
func (s *scope) eval(expr hclsyntax.Expression, seen map[string]bool) (cty.Value, *evalError) {
	if seen == nil {
		seen = map[string]bool{}
	}
	if p := s.check(expr, seen); p != nil {
		return cty.NilVal, p
	}
	if p := s.checkSize(s.estimate(expr, nil), expr.Range()); p != nil {
		return cty.NilVal, p
	}
	ctx := &hcl.EvalContext{Functions: functions, Variables: map[string]cty.Value{
		"var": s.object(func(yield func(string, cty.Value)) {
			for n, v := range s.vars {
				if v.hasDef && v.problem == nil {
					yield(n, v.val)
				}
			}
		}),
		"local": s.object(func(yield func(string, cty.Value)) {
			for n, l := range s.locals {
				if l.state == 2 && l.problem == nil {
					yield(n, l.val)
				}
			}
		}),
	}}
	for n, v := range s.extra() {
		ctx.Variables[n] = v
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		d := diags.Errs()[0].(*hcl.Diagnostic)
		rng := expr.Range()
		if d.Subject != nil {
			rng = *d.Subject
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		return cty.NilVal, &evalError{rng: rng, msg: msg}
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, &evalError{rng: expr.Range(), msg: fmt.Sprintf("%s has no known value", s.text(expr.Range()))}
	}
	sz := measure(v, s.capBytes(), s.capElems())
	if err := s.budget.Check(clamp(sz.bytes), clamp(sz.elems)); err != nil {
		return cty.NilVal, &evalError{rng: expr.Range(), msg: err.Error(), budget: true}
	}
	return v, nil
}

// object builds an object value from name/value pairs in sorted order.
func (s *scope) object(each func(yield func(string, cty.Value))) cty.Value {
	m := map[string]cty.Value{}
	each(func(n string, v cty.Value) { m[n] = v })
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// evaluableOrOverBudget is evaluable, except that it also lets through
// expressions whose references are over the limits (so the caller
// reports them).
func (s *scope) evaluableOrOverBudget(expr hclsyntax.Expression) bool {
	p := s.check(expr, map[string]bool{})
	return p == nil || p.budget
}

// refText evaluates expr to a string when possible, else returns its source
// text (a reference such as aws_vpc.main.id, kept as an identifier). An
// expression over the evaluation limits is recorded in s.overBudget: it
// must not pass silently as text.
func (s *scope) refText(expr hclsyntax.Expression) string {
	if s.evaluableOrOverBudget(expr) {
		v, p := s.eval(expr, nil)
		if p == nil && !v.IsNull() && v.Type() == cty.String {
			return v.AsString()
		}
		if p != nil && p.budget {
			s.overBudget = append(s.overBudget, p)
		}
	}
	return s.text(expr.Range())
}

// refList evaluates a list of identifiers (subnet_ids): each element is
// evaluated when possible and kept as source text otherwise.
func (s *scope) refList(expr hclsyntax.Expression) []string {
	if tc, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		var out []string
		for _, e := range tc.Exprs {
			out = append(out, s.refText(e))
		}
		return out
	}
	if s.evaluableOrOverBudget(expr) {
		v, p := s.eval(expr, nil)
		if p == nil && !v.IsNull() && (v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType()) {
			var out []string
			for it := v.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if !ev.IsNull() && ev.Type() == cty.String {
					out = append(out, ev.AsString())
				}
			}
			return out
		}
		if p != nil && p.budget {
			s.overBudget = append(s.overBudget, p)
		}
	}
	return []string{s.text(expr.Range())}
}
