package terraform

import (
	"math"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// size is an upper bound of what evaluating an expression produces and
// costs: bytes of string content, elements of collections, and steps
// (for-expression iterations and function calls). Floats saturate instead
// of overflowing.
type size struct {
	bytes, elems, steps float64
}

func (a size) add(b size) size {
	return size{a.bytes + b.bytes, a.elems + b.elems, a.steps + b.steps}
}

func (a size) max(b size) size {
	return size{math.Max(a.bytes, b.bytes), math.Max(a.elems, b.elems), math.Max(a.steps, b.steps)}
}

// measure returns the size of a value. It stops counting once past cap
// (the value is then over budget anyway).
func measure(v cty.Value, capBytes, capElems float64) size {
	var s size
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		if s.bytes > capBytes || s.elems > capElems || v.IsNull() || !v.IsKnown() {
			return
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			s.bytes += float64(len(v.AsString()))
		case ty.IsPrimitiveType():
			s.bytes += 8
		case v.CanIterateElements():
			set := ty.IsSetType() // a set's keys are its elements
			for it := v.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				s.elems++
				if !set && k.Type() == cty.String {
					s.bytes += float64(len(k.AsString()))
				}
				walk(ev)
				if s.bytes > capBytes || s.elems > capElems {
					return
				}
			}
		}
	}
	walk(v)
	return s
}

// estimate bounds what evaluating expr produces, from the sizes of the
// values it refers to (which are already within budget) and its shape: a
// template is at most the sum of its parts, a for expression the length of
// its collection times its body, a function its arguments (format and join
// can repeat an argument and are bounded accordingly). env holds the
// bounds of the iteration variables of enclosing for expressions. The
// bound is cheap to compute (linear in the expression) and lets eval
// refuse an expression before HCL builds a value of gigabytes.
func (s *scope) estimate(expr hclsyntax.Expression, env map[string]size) size {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return measure(e.Val, s.capBytes(), s.capElems())
	case *hclsyntax.TemplateExpr:
		var t size
		for _, p := range e.Parts {
			t = t.add(s.estimate(p, env))
		}
		return t
	case *hclsyntax.TemplateWrapExpr:
		return s.estimate(e.Wrapped, env)
	case *hclsyntax.TemplateJoinExpr:
		return s.estimate(e.Tuple, env)
	case *hclsyntax.ParenthesesExpr:
		return s.estimate(e.Expression, env)
	case *hclsyntax.ScopeTraversalExpr:
		if b, ok := env[e.Traversal.RootName()]; ok {
			return b
		}
		return s.refSize(e.Traversal)
	case *hclsyntax.RelativeTraversalExpr:
		return s.estimate(e.Source, env)
	case *hclsyntax.IndexExpr:
		return s.estimate(e.Collection, env).add(s.estimate(e.Key, env))
	case *hclsyntax.SplatExpr:
		src := s.estimate(e.Source, env)
		return src.add(size{steps: src.elems})
	case *hclsyntax.TupleConsExpr:
		t := size{elems: float64(len(e.Exprs))}
		for _, x := range e.Exprs {
			t = t.add(s.estimate(x, env))
		}
		return t
	case *hclsyntax.ObjectConsExpr:
		t := size{elems: float64(len(e.Items))}
		for _, it := range e.Items {
			t = t.add(s.estimate(it.KeyExpr, env)).add(s.estimate(it.ValueExpr, env))
		}
		return t
	case *hclsyntax.ObjectConsKeyExpr:
		if hcl.ExprAsKeyword(e.Wrapped) != "" {
			return size{bytes: float64(len(hcl.ExprAsKeyword(e.Wrapped)))}
		}
		return s.estimate(e.Wrapped, env)
	case *hclsyntax.ConditionalExpr:
		c := s.estimate(e.Condition, env)
		return c.add(s.estimate(e.TrueResult, env).max(s.estimate(e.FalseResult, env)))
	case *hclsyntax.BinaryOpExpr:
		return s.estimate(e.LHS, env).add(s.estimate(e.RHS, env)).add(size{bytes: 8})
	case *hclsyntax.UnaryOpExpr:
		return s.estimate(e.Val, env)
	case *hclsyntax.FunctionCallExpr:
		return s.callSize(e, env)
	case *hclsyntax.ForExpr:
		coll := s.estimate(e.CollExpr, env)
		n := math.Max(coll.elems, 1)
		inner := make(map[string]size, len(env)+2)
		for k, v := range env {
			inner[k] = v
		}
		// An element is at most the whole collection.
		elem := size{bytes: coll.bytes, elems: coll.elems}
		if e.KeyVar != "" {
			inner[e.KeyVar] = elem
		}
		inner[e.ValVar] = elem
		body := size{elems: 1, steps: 1}
		if e.KeyExpr != nil {
			body = body.add(s.estimate(e.KeyExpr, inner))
		}
		body = body.add(s.estimate(e.ValExpr, inner))
		if e.CondExpr != nil {
			body = body.add(s.estimate(e.CondExpr, inner))
		}
		return size{bytes: n * body.bytes, elems: n * body.elems, steps: coll.steps + n*body.steps}
	}
	return size{}
}

// callSize bounds a function call: the sum of its arguments, except that
// join repeats its separator once per element and format may repeat an
// argument once per verb and pad to any width.
func (s *scope) callSize(e *hclsyntax.FunctionCallExpr, env map[string]size) size {
	t := size{steps: 1}
	args := make([]size, len(e.Args))
	for i, a := range e.Args {
		args[i] = s.estimate(a, env)
		t = t.add(args[i])
	}
	switch e.Name {
	case "join":
		if len(args) >= 2 {
			var n float64
			for _, a := range args[1:] {
				n += a.elems
			}
			t.bytes += args[0].bytes * n
		}
	case "split":
		// At most one element per byte of the string, plus one.
		if len(args) >= 2 {
			t.elems += args[1].bytes + 1
		}
	case "format":
		if len(args) >= 1 {
			verbs, width := 1.0, 0.0
			if lit, ok := e.Args[0].(*hclsyntax.TemplateExpr); ok && lit.IsStringLiteral() {
				v, _ := lit.Value(nil)
				if v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					verbs, width = formatVerbs(v.AsString())
				}
			} else {
				verbs = math.Max(args[0].bytes, 1)
				width = math.Inf(1)
			}
			t.bytes = args[0].bytes + verbs*(t.bytes+width)
		}
	}
	return t
}

// formatVerbs counts the % verbs of a format string and finds the largest
// number written in it (a width or precision).
func formatVerbs(f string) (verbs, width float64) {
	verbs = float64(strings.Count(f, "%")) + 1
	start := -1
	for i := 0; i <= len(f); i++ {
		if i < len(f) && f[i] >= '0' && f[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if n, err := strconv.ParseFloat(f[start:i], 64); err == nil {
				width = math.Max(width, n)
			}
			start = -1
		}
	}
	return verbs, width
}

// refSize is the size of the value a reference names (a variable, local,
// resource or module), or zero when it cannot be resolved (evaluation then
// fails with its own message).
func (s *scope) refSize(t hcl.Traversal) size {
	root := t.RootName()
	name := ""
	if len(t) > 1 {
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			name = a.Name
		}
	}
	switch root {
	case "var":
		if v, ok := s.vars[name]; ok && v.hasDef && v.problem == nil {
			return v.size
		}
	case "local":
		if l, ok := s.locals[name]; ok && l.state == 2 && l.problem == nil {
			return l.size
		}
	default:
		if v, ok := s.extra()[root]; ok {
			return measure(v, s.capBytes(), s.capElems())
		}
	}
	return size{}
}

// capBytes and capElems are where measuring stops: just past the limits.
func (s *scope) capBytes() float64 { return float64(s.budget.L.Bytes) + 1 }
func (s *scope) capElems() float64 { return float64(s.budget.L.Elements) + 1 }

// checkSize returns an evalError at rng when sz is over the limits, and
// charges its steps.
func (s *scope) checkSize(sz size, rng hcl.Range) *evalError {
	if err := s.budget.Check(clamp(sz.bytes), clamp(sz.elems)); err != nil {
		return &evalError{rng: rng, msg: err.Error(), budget: true}
	}
	if err := s.budget.Spend(clamp(sz.steps)); err != nil {
		return &evalError{rng: rng, msg: err.Error(), budget: true}
	}
	return nil
}

// clamp converts a float bound to int64, saturating.
func clamp(f float64) int64 {
	if f >= math.MaxInt64/2 || math.IsInf(f, 1) || math.IsNaN(f) {
		return math.MaxInt64 / 2
	}
	return int64(f)
}
