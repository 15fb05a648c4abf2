package terraform

import (
	"fmt"

	"github.com/flowverify/flowverify/nacl/formats/internal/jsontree"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// jsonConfig converts a configuration in Terraform's JSON syntax (.tf.json)
// to the native syntax tree the reader walks, keeping the position of every
// value: blocks become blocks, strings become templates (as Terraform
// interprets them, "${var.x}"), and nested rule blocks (ingress, egress)
// the equivalent `ingress = [{...}]` attribute. Only the block types the
// reader uses are converted; the rest (provider, terraform, ...) is left
// out.
type jsonConfig struct {
	name string
	t    *jsontree.Tree
	errs hcl.Diagnostics
}

// parseJSONConfig parses a .tf.json (or .tfvars.json, with tfvars set: the
// top level is then the body itself) file.
func parseJSONConfig(name string, data []byte, tfvars bool) (*hclsyntax.Body, hcl.Diagnostics) {
	c := &jsonConfig{name: name, t: jsontree.New(data)}
	root, err := c.t.Parse()
	if err != nil {
		r := c.rng(&jsontree.Node{Off: jsontree.ErrorOffset(err), End: jsontree.ErrorOffset(err)})
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid JSON", Detail: err.Error(), Subject: &r}}
	}
	if root.Kind != jsontree.Object {
		r := c.rng(root)
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid configuration", Detail: "the top level of a Terraform JSON file must be an object, not " + root.KindName(), Subject: &r}}
	}
	if tfvars {
		return c.body(root, "", false), c.errs
	}
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: c.rng(root), EndRange: c.rng(root)}
	for i, key := range root.Keys {
		v := root.Vals[i]
		switch key {
		case "resource", "data":
			// {"TYPE": {"NAME": BODY or [BODY]}}
			c.each(v, key, func(typ string, tn *jsontree.Node, typOff int) {
				c.each(tn, key+"."+typ, func(name string, bn *jsontree.Node, nameOff int) {
					c.bodies(bn, func(b *jsontree.Node) {
						body.Blocks = append(body.Blocks, c.block(key, []string{typ, name}, []int{typOff, nameOff}, b, key == "resource"))
					})
				})
			})
		case "module", "variable", "output":
			c.each(v, key, func(name string, bn *jsontree.Node, nameOff int) {
				c.bodies(bn, func(b *jsontree.Node) {
					body.Blocks = append(body.Blocks, c.block(key, []string{name}, []int{nameOff}, b, false))
				})
			})
		case "locals":
			c.bodies(v, func(b *jsontree.Node) {
				body.Blocks = append(body.Blocks, c.block(key, nil, nil, b, false))
			})
		}
	}
	return body, c.errs
}

// rng is the range of node n.
func (c *jsonConfig) rng(n *jsontree.Node) hcl.Range {
	l, col, off := c.t.Pos(n.Off)
	el, ecol, eoff := c.t.Pos(max(n.End, n.Off))
	return hcl.Range{Filename: c.name, Start: hcl.Pos{Line: l, Column: col, Byte: off}, End: hcl.Pos{Line: el, Column: ecol, Byte: eoff}}
}

// errorf records a conversion error at n.
func (c *jsonConfig) errorf(n *jsontree.Node, format string, args ...any) {
	r := c.rng(n)
	c.errs = append(c.errs, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid configuration", Detail: fmt.Sprintf(format, args...), Subject: &r})
}

// each calls fn for every key of object n (skipping "//" comments).
func (c *jsonConfig) each(n *jsontree.Node, what string, fn func(key string, v *jsontree.Node, keyOff int)) {
	if n.Kind != jsontree.Object {
		c.errorf(n, "%s: want an object, got %s", what, n.KindName())
		return
	}
	for i, k := range n.Keys {
		if k == "//" {
			continue
		}
		fn(k, n.Vals[i], n.Vals[i].Off)
	}
}

// bodies calls fn for a block body given as an object or an array of
// objects (several blocks of the same type and labels).
func (c *jsonConfig) bodies(n *jsontree.Node, fn func(*jsontree.Node)) {
	switch n.Kind {
	case jsontree.Object:
		fn(n)
	case jsontree.Array:
		for _, e := range n.Elems {
			if e.Kind != jsontree.Object {
				c.errorf(e, "want a block body object, got %s", e.KindName())
				continue
			}
			fn(e)
		}
	default:
		c.errorf(n, "want a block body object, got %s", n.KindName())
	}
}

// block builds one block.
func (c *jsonConfig) block(typ string, labels []string, labelOffs []int, n *jsontree.Node, resource bool) *hclsyntax.Block {
	r := c.rng(n)
	b := &hclsyntax.Block{Type: typ, Labels: labels, TypeRange: r, OpenBraceRange: r, CloseBraceRange: r}
	for _, off := range labelOffs {
		b.LabelRanges = append(b.LabelRanges, c.rng(&jsontree.Node{Off: off, End: off}))
	}
	if len(labelOffs) > 0 {
		b.TypeRange = b.LabelRanges[0]
	}
	b.Body = c.body(n, typ, resource)
	return b
}

// body converts a block body. In a resource, dynamic becomes blocks and
// the meta blocks that do not matter here are dropped; in a variable,
// default is a literal and type an expression.
func (c *jsonConfig) body(n *jsontree.Node, blockType string, resource bool) *hclsyntax.Body {
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: c.rng(n), EndRange: c.rng(n)}
	for i, k := range n.Keys {
		v := n.Vals[i]
		switch {
		case k == "//":
			continue
		case resource && k == "dynamic":
			c.each(v, "dynamic", func(label string, dn *jsontree.Node, off int) {
				c.bodies(dn, func(b *jsontree.Node) {
					blk := c.block("dynamic", []string{label}, []int{off}, b, false)
					body.Blocks = append(body.Blocks, blk)
				})
			})
			continue
		case resource && (k == "lifecycle" || k == "provisioner" || k == "connection" || k == "timeouts"):
			continue
		case blockType == "dynamic" && k == "content":
			c.bodies(v, func(b *jsontree.Node) {
				body.Blocks = append(body.Blocks, c.block("content", nil, nil, b, false))
			})
			continue
		}
		var expr hclsyntax.Expression
		switch {
		case blockType == "variable" && k == "default":
			expr = c.literal(v)
		case blockType == "variable" && k == "type" && v.Kind == jsontree.String:
			e, diags := parseExpression([]byte(v.Text), c.name, c.rng(v).Start)
			c.errs = append(c.errs, diags...)
			expr = e
		default:
			expr = c.expr(v)
		}
		if expr == nil {
			continue
		}
		body.Attributes[k] = &hclsyntax.Attribute{Name: k, Expr: expr, SrcRange: c.rng(v), NameRange: c.rng(v), EqualsRange: c.rng(v)}
	}
	return body
}

// expr converts a JSON value to an expression: strings are templates.
func (c *jsonConfig) expr(n *jsontree.Node) hclsyntax.Expression {
	switch n.Kind {
	case jsontree.String:
		start := c.rng(n).Start
		start.Column++
		start.Byte++
		e, diags := parseTemplate([]byte(n.Text), c.name, start)
		c.errs = append(c.errs, diags...)
		if e == nil {
			return c.literal(n)
		}
		return e
	case jsontree.Array, jsontree.Object:
		return c.collection(n, c.expr)
	}
	return c.literal(n)
}

// literal converts a JSON value without interpreting templates.
func (c *jsonConfig) literal(n *jsontree.Node) hclsyntax.Expression {
	var v cty.Value
	switch n.Kind {
	case jsontree.String:
		v = cty.StringVal(n.Text)
	case jsontree.Number:
		nv, err := cty.ParseNumberVal(n.Text)
		if err != nil {
			c.errorf(n, "invalid number %s", n.Text)
			nv = cty.NullVal(cty.Number)
		}
		v = nv
	case jsontree.Bool:
		v = cty.BoolVal(n.Bool)
	case jsontree.Null:
		v = cty.NullVal(cty.DynamicPseudoType)
	case jsontree.Array, jsontree.Object:
		return c.collection(n, c.literal)
	}
	return &hclsyntax.LiteralValueExpr{Val: v, SrcRange: c.rng(n)}
}

// collection converts an array or object, its elements with elem (expr or
// literal); "//" comment keys are dropped.
func (c *jsonConfig) collection(n *jsontree.Node, elem func(*jsontree.Node) hclsyntax.Expression) hclsyntax.Expression {
	if n.Kind == jsontree.Array {
		t := &hclsyntax.TupleConsExpr{SrcRange: c.rng(n), OpenRange: c.rng(n)}
		for _, e := range n.Elems {
			t.Exprs = append(t.Exprs, elem(e))
		}
		return t
	}
	o := &hclsyntax.ObjectConsExpr{SrcRange: c.rng(n), OpenRange: c.rng(n)}
	for i, k := range n.Keys {
		if k == "//" {
			continue
		}
		kr := c.rng(n.Vals[i])
		key := &hclsyntax.ObjectConsKeyExpr{Wrapped: &hclsyntax.TemplateExpr{Parts: []hclsyntax.Expression{&hclsyntax.LiteralValueExpr{Val: cty.StringVal(k), SrcRange: kr}}, SrcRange: kr}}
		o.Items = append(o.Items, hclsyntax.ObjectConsItem{KeyExpr: key, ValueExpr: elem(n.Vals[i])})
	}
	return o
}
