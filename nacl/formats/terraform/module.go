package terraform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Options says how to read a configuration: variable values as
// `terraform plan` takes them, and the evaluation limits.
type Options struct {
	// Vars are NAME=VALUE assignments (--var), applied last. A variable
	// without a type, or of type string, takes VALUE as a string; others
	// parse it as an HCL expression (["10.0.0.0/8"], {a = 1}).
	Vars []string
	// VarFiles are .tfvars or .tfvars.json files (--var-file), applied
	// after terraform.tfvars and *.auto.tfvars, in order.
	VarFiles []string
	// Limits bound expression evaluation (zero fields: limits.Defaults).
	Limits limits.Limits
	// Detached says that a file given to ParseFile is not on disk
	// (standard input): its local modules cannot be found.
	Detached bool
}

// moduleCost is the steps charged for reading one module instance, plus
// one per 16 bytes of its files.
const moduleCost = 1000

// maxModuleDepth bounds module nesting (and catches cycles that go through
// differently spelled paths).
const maxModuleDepth = 32

// ReadDir reads the Terraform module in directory dir as terraform plan
// would see it: every .tf and .tf.json file, the variable values of
// terraform.tfvars, terraform.tfvars.json and *.auto.tfvars(.json) (in
// name order), opt.VarFiles and opt.Vars, and the local child modules
// (module blocks whose source is a ./ or ../ path), with their arguments
// and count/for_each. Resources in a child module get the address
// module.NAME.TYPE.NAME. What cannot be read from configuration (a remote
// module, a data source) is an error naming its position, and everything
// else is still returned.
func ReadDir(dir string, opt Options) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	defer guard(dir, &diags, &err)
	files, err := moduleFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%s: no .tf or .tf.json files (a directory is read as a Terraform module; give other formats as files)", dir)
	}
	r := newReader(opt.Limits)
	abs, _ := filepath.Abs(dir)
	r.stack = append(r.stack, abs)
	var varFiles []string
	for _, n := range []string{"terraform.tfvars", "terraform.tfvars.json"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			varFiles = append(varFiles, filepath.Join(dir, n))
		}
	}
	auto, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars"))
	autoJSON, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars.json"))
	auto = append(auto, autoJSON...)
	sort.Strings(auto)
	varFiles = append(varFiles, auto...)
	varFiles = append(varFiles, opt.VarFiles...)
	r.module(files, dir, "", func(s *scope) { r.rootValues(s, varFiles, opt.Vars, false) }, false)
	return r.finish()
}

// ParseFile reads one .tf or .tf.json file on its own (a module of one
// file in directory dir, whose local child modules are followed), with
// the variable values of opt (no tfvars file is read implicitly).
func ParseFile(name string, data []byte, opt Options) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	defer guard(name, &diags, &err)
	r := newReader(opt.Limits)
	dir := filepath.Dir(name)
	if opt.Detached {
		dir = ""
	} else if abs, err := filepath.Abs(dir); err == nil {
		r.stack = append(r.stack, abs)
	}
	r.module([]file{{name, data}}, dir, "", func(s *scope) { r.rootValues(s, opt.VarFiles, opt.Vars, true) }, true)
	if dir != "" {
		if others := siblings(dir, name); len(others) > 0 {
			r.c.Infof(nacl.Pos{File: name}, "", "%s is read on its own, but its directory holds %d more file(s) of the same module (%s): give the directory (--nacl %s) to read the module, its tfvars and its variables as terraform does",
				filepath.Base(name), len(others), strings.Join(others, ", "), dir)
		}
	}
	return r.finish()
}

// siblings lists the other .tf and .tf.json files in dir (at most 5 named).
func siblings(dir, name string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == filepath.Base(name) || !(strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) {
			continue
		}
		out = append(out, n)
	}
	if len(out) > 5 {
		out = append(out[:5], "...")
	}
	return out
}

// moduleFiles reads the .tf and .tf.json files of dir, in name order.
func moduleFiles(dir string) ([]file, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading terraform module: %w", err)
	}
	var files []file
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("reading terraform module: %w", err)
		}
		files = append(files, file{filepath.Join(dir, n), data})
	}
	return files, nil
}

// variable reads a variable block: its type and default.
func (p *hclParser) variable(b *hclsyntax.Block) *variable {
	v := &variable{rng: b.DefRange(), ty: cty.DynamicPseudoType, literal: true}
	if a, ok := b.Body.Attributes["type"]; ok {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		if diags.HasErrors() {
			p.c.Warnf(p.pos(a.Expr.Range(), "var."+b.Labels[0]), "type", "type %s not understood; values are not converted", p.s.text(a.Expr.Range()))
		} else {
			v.ty, v.defaults = ty, defaults
			v.literal = ty == cty.String
		}
		if hcl.ExprAsKeyword(a.Expr) == "any" {
			v.literal = false
		}
	}
	if a, ok := b.Body.Attributes["default"]; ok {
		v.hasDef = true
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			v.problem = &evalError{rng: a.Expr.Range(), msg: fmt.Sprintf("default %s is not a literal", p.s.text(a.Expr.Range()))}
		} else {
			v.set(val, a.Expr.Range(), p.s)
		}
	}
	return v
}

// set gives the variable a value, converted to its type and checked
// against the limits.
func (v *variable) set(val cty.Value, rng hcl.Range, s *scope) {
	v.hasDef, v.problem = true, nil
	if !val.IsNull() && v.ty != cty.DynamicPseudoType {
		if v.defaults != nil {
			val = v.defaults.Apply(val)
		}
		cv, err := convert.Convert(val, v.ty)
		if err != nil {
			v.problem = &evalError{rng: rng, msg: fmt.Sprintf("value does not match type %s: %v", v.ty.FriendlyName(), err)}
			return
		}
		val = cv
	}
	sz := measure(val, s.capBytes(), s.capElems())
	if err := s.budget.Check(clamp(sz.bytes), clamp(sz.elems)); err != nil {
		v.problem = &evalError{rng: rng, msg: err.Error(), budget: true}
		return
	}
	v.val, v.size = val, sz
}

// rootValues sets the root module's variables from tfvars files and
// NAME=VALUE assignments, in that order (later ones win, as in
// terraform).
func (r *reader) rootValues(s *scope, varFiles, vars []string, single bool) {
	for _, f := range varFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			r.c.Errorf(nacl.Pos{File: f}, "", "reading variable file: %v", err)
			continue
		}
		r.src[f] = data
		var body *hclsyntax.Body
		var diags hcl.Diagnostics
		if strings.HasSuffix(f, ".json") {
			body, diags = parseJSONConfig(f, data, true)
		} else {
			hf, d := parseConfig(data, f)
			diags = d
			if hf != nil {
				body, _ = hf.Body.(*hclsyntax.Body)
			}
		}
		for _, d := range diags {
			hclDiag(r.c, f, d)
		}
		if body == nil {
			continue
		}
		for _, a := range sortedAttrs(body) {
			pos := nacl.Pos{File: f, Line: a.SrcRange.Start.Line, Col: a.SrcRange.Start.Column, Path: "var." + a.Name}
			v, ok := s.vars[a.Name]
			if !ok {
				if !single {
					r.c.Warnf(pos, a.Name, "value for undeclared variable %s ignored", a.Name)
				}
				continue
			}
			val, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				r.c.Errorf(pos, a.Name, "variable values must be literals: %s", diags.Errs()[0].(*hcl.Diagnostic).Summary)
				continue
			}
			v.set(val, a.Expr.Range(), s)
		}
	}
	for _, kv := range vars {
		name, text, ok := strings.Cut(kv, "=")
		pos := nacl.Pos{File: "--var", Path: kv}
		if !ok || name == "" {
			r.c.Errorf(pos, "", "--var %q: want NAME=VALUE", kv)
			continue
		}
		v, declared := s.vars[name]
		if !declared {
			r.c.Errorf(pos, name, "--var %s: no variable %q is declared in the root module", name, name)
			continue
		}
		rng := hcl.Range{Filename: "--var " + name}
		if v.literal {
			v.set(cty.StringVal(text), rng, s)
			continue
		}
		expr, diags := parseExpression([]byte(text), "--var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			r.c.Errorf(pos, name, "--var %s: %s", name, diags.Errs()[0].(*hcl.Diagnostic).Summary)
			continue
		}
		val, diags := expr.Value(nil)
		if diags.HasErrors() {
			r.c.Errorf(pos, name, "--var %s: variable values must be literals", name)
			continue
		}
		v.set(val, rng, s)
	}
}

// instance is one instance of a resource or module block: its address
// suffix ("", "[0]", `["web"]`) and the count/each object it sees.
type instance struct {
	key  string
	vars map[string]cty.Value
	// index is the count index or for_each key, for references.
	index cty.Value
}

// instanceKind says how a block is repeated.
type instanceKind uint8

const (
	single instanceKind = iota
	counted
	keyed
)

// instances evaluates count or for_each of a resource or module block.
// ok is false (with an error recorded) when they cannot be evaluated: the
// block is then skipped, never silently.
func (p *hclParser) instances(body *hclsyntax.Body, addr string) ([]instance, instanceKind, bool) {
	ca, hasCount := body.Attributes["count"]
	fa, hasEach := body.Attributes["for_each"]
	switch {
	case hasCount && hasEach:
		p.c.Errorf(p.pos(fa.SrcRange, addr), "for_each", "count and for_each cannot be used together")
		return nil, single, false
	case hasCount:
		v, prob := p.s.eval(ca.Expr, nil)
		if prob == nil && (v.IsNull() || v.Type() != cty.Number) {
			if cv, err := convert.Convert(v, cty.Number); err == nil && !cv.IsNull() {
				v = cv
			} else {
				prob = &evalError{rng: ca.Expr.Range(), msg: fmt.Sprintf("count must be a whole number, got %s", v.Type().FriendlyName())}
			}
		}
		if prob != nil {
			p.c.Errorf(p.pos(prob.rng, addr), "count", "%s; the resource is not read", prob.msg)
			return nil, counted, false
		}
		n, acc := v.AsBigFloat().Int64()
		if acc != 0 || n < 0 {
			p.c.Errorf(p.pos(ca.Expr.Range(), addr), "count", "count must be a non-negative whole number, got %s", v.AsBigFloat().Text('f', -1))
			return nil, counted, false
		}
		if err := p.budget.Check(0, n); err != nil {
			p.c.Errorf(p.pos(ca.Expr.Range(), addr), "count", "count = %d: %v", n, err)
			return nil, counted, false
		}
		if err := p.budget.Spend(n); err != nil {
			p.c.Errorf(p.pos(ca.Expr.Range(), addr), "count", "%v", err)
			return nil, counted, false
		}
		out := make([]instance, n)
		for i := range out {
			idx := cty.NumberIntVal(int64(i))
			out[i] = instance{key: fmt.Sprintf("[%d]", i), index: idx, vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": idx})}}
		}
		return out, counted, true
	case hasEach:
		v, prob := p.s.eval(fa.Expr, nil)
		if prob == nil {
			ty := v.Type()
			switch {
			case v.IsNull():
				prob = &evalError{rng: fa.Expr.Range(), msg: "for_each is null"}
			case ty.IsSetType() && ty.ElementType() == cty.String, ty.IsMapType(), ty.IsObjectType():
			case ty.IsSetType():
				prob = &evalError{rng: fa.Expr.Range(), msg: "for_each over a set must be a set of strings"}
			default:
				prob = &evalError{rng: fa.Expr.Range(), msg: fmt.Sprintf("for_each must be a map or a set of strings, got %s (use toset(...) for a list of strings)", ty.FriendlyName())}
			}
		}
		if prob != nil {
			p.c.Errorf(p.pos(prob.rng, addr), "for_each", "%s; the resource is not read", prob.msg)
			return nil, keyed, false
		}
		var out []instance
		if err := p.budget.Spend(int64(v.LengthInt())); err != nil {
			p.c.Errorf(p.pos(fa.Expr.Range(), addr), "for_each", "%v", err)
			return nil, keyed, false
		}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			if v.Type().IsSetType() {
				k = ev
			}
			if k.IsNull() || !k.IsKnown() {
				p.c.Errorf(p.pos(fa.Expr.Range(), addr), "for_each", "for_each holds a null or unknown key; the resource is not read")
				return nil, keyed, false
			}
			key := k.AsString()
			out = append(out, instance{key: fmt.Sprintf("[%q]", key), index: k,
				vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": ev})}})
		}
		return out, keyed, true
	}
	return []instance{{}}, single, true
}

// eachInstance calls fn for every instance of a resource block, with
// count/each in scope, and records ACL resources for references.
func (p *hclParser) eachInstance(b *hclsyntax.Block, fn func(b *hclsyntax.Block, addr string)) {
	base := p.prefix + b.Labels[0] + "." + b.Labels[1]
	insts, kind, ok := p.instances(b.Body, base)
	if !ok {
		return
	}
	var ids []cty.Value
	keyedIDs := map[string]cty.Value{}
	for _, in := range insts {
		p.s.inst = in.vars
		fn(b, base+in.key)
		for _, e := range p.s.overBudget {
			p.c.Errorf(p.pos(e.rng, base+in.key), "", "%s", e.msg)
		}
		p.s.overBudget = nil
		obj := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(base + in.key)})
		ids = append(ids, obj)
		if kind == keyed {
			keyedIDs[in.index.AsString()] = obj
		}
	}
	p.s.inst = nil
	if b.Labels[0] != typeACL && b.Labels[0] != typeDefaultACL {
		return
	}
	byName := p.s.resources[b.Labels[0]]
	if byName == nil {
		byName = map[string]cty.Value{}
		p.s.resources[b.Labels[0]] = byName
	}
	switch kind {
	case single:
		byName[b.Labels[1]] = ids[0]
	case counted:
		if len(ids) == 0 {
			byName[b.Labels[1]] = cty.EmptyTupleVal
		} else {
			byName[b.Labels[1]] = cty.TupleVal(ids)
		}
	case keyed:
		byName[b.Labels[1]] = cty.ObjectVal(keyedIDs)
	}
}

// isLocalSource reports whether a module source is a local path, which
// terraform reads in place (anything else is downloaded by terraform init).
func isLocalSource(src string) bool {
	return strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") || strings.HasPrefix(src, ".\\") || strings.HasPrefix(src, "..\\")
}

// moduleMeta are the module block arguments that are not input variables.
var moduleMeta = map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}

// moduleCall reads a module block: a local module is read with the
// block's arguments as its variables (once per count/for_each instance);
// a remote one is an error naming it, with the way to read it.
func (p *hclParser) moduleCall(b *hclsyntax.Block) {
	name := b.Labels[0]
	base := p.prefix + "module." + name
	pos := p.pos(b.DefRange(), base)
	sa, ok := b.Body.Attributes["source"]
	if !ok {
		p.c.Errorf(pos, "source", "module %s has no source; it is not read", base)
		p.s.moduleProblems[name] = "the module has no source"
		return
	}
	sv, prob := p.s.eval(sa.Expr, nil)
	if prob != nil || sv.Type() != cty.String || sv.IsNull() {
		p.c.Errorf(p.pos(sa.Expr.Range(), base), "source", "module %s: source must be a literal string; the module is not read", base)
		p.s.moduleProblems[name] = "its source is not a literal"
		return
	}
	src := sv.AsString()
	if !isLocalSource(src) {
		p.c.Errorf(p.pos(sa.Expr.Range(), base), "source", "module %s: source %q is not a local path (./ or ../): flowverify reads local modules only, so the ACLs this module may create are not read (%s)", base, src, planHint)
		p.s.moduleProblems[name] = fmt.Sprintf("module %s (source %q) is not read: it is not a local module", base, src)
		return
	}
	if p.dir == "" {
		p.c.Errorf(pos, "source", "module %s: the configuration was not read from a directory, so the local module %q cannot be found; give the directory: --nacl DIR", base, src)
		p.s.moduleProblems[name] = "the local module cannot be found"
		return
	}
	dir := filepath.Join(p.dir, filepath.FromSlash(src))
	abs, _ := filepath.Abs(dir)
	for _, d := range p.stack {
		if d == abs {
			p.c.Errorf(pos, "source", "module %s: source %q calls a module that is already being read (a cycle); not read again", base, src)
			p.s.moduleProblems[name] = "the module calls itself"
			return
		}
	}
	if len(p.stack) >= maxModuleDepth {
		p.c.Errorf(pos, "source", "module %s: modules nested deeper than %d; not read", base, maxModuleDepth)
		p.s.moduleProblems[name] = "modules nested too deeply"
		return
	}
	files, err := moduleFiles(dir)
	if err == nil && len(files) == 0 {
		err = errors.New("no .tf or .tf.json files")
	}
	if err != nil {
		p.c.Errorf(p.pos(sa.Expr.Range(), base), "source", "module %s: %s: %v; the module is not read", base, dir, err)
		p.s.moduleProblems[name] = fmt.Sprintf("module %s could not be read", base)
		return
	}
	insts, kind, ok := p.instances(b.Body, base)
	if !ok {
		p.s.moduleProblems[name] = "its count or for_each cannot be evaluated"
		return
	}
	var outs []cty.Value
	keyedOuts := map[string]cty.Value{}
	// Parsed once: a syntax error is reported once, whatever the number
	// of instances.
	bodies := p.reader.parseFiles(files)
	p.stack = append(p.stack, abs)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	cost := int64(moduleCost)
	for _, f := range files {
		cost += int64(len(f.data)) / 16
	}
	for _, in := range insts {
		addr := base + in.key
		// Each instance is read again: a tree of modules calling each
		// other twice must not double the work unseen.
		if err := p.budget.Spend(cost); err != nil {
			p.c.Errorf(pos, "", "module %s: %v; the module is not read", addr, err)
			p.s.moduleProblems[name] = "the module is over the evaluation budget"
			return
		}
		p.s.inst = in.vars
		args := map[string]*evalArg{}
		for _, a := range sortedAttrs(b.Body) {
			if moduleMeta[a.Name] {
				continue
			}
			v, prob := p.s.eval(a.Expr, nil)
			args[a.Name] = &evalArg{val: v, prob: prob, rng: a.Expr.Range()}
		}
		p.s.inst = nil
		setArgs := func(cs *scope) {
			for n, a := range args {
				v, ok := cs.vars[n]
				if !ok {
					p.c.Warnf(p.pos(a.rng, addr), n, "module %s has no variable %q; argument ignored", addr, n)
					continue
				}
				if a.prob != nil {
					v.hasDef = true
					v.problem = &evalError{rng: a.prob.rng, msg: fmt.Sprintf("argument %s of %s at %s: %s", n, addr, p.pos(a.prob.rng, "").String(), a.prob.msg), budget: a.prob.budget}
					continue
				}
				v.set(a.val, a.rng, cs)
			}
			var missing []string
			for n, v := range cs.vars {
				if _, given := args[n]; !given && !v.hasDef && v.problem == nil {
					v.problem = &evalError{rng: b.DefRange(), msg: fmt.Sprintf("module %s has no default for variable %s and the module block does not set it", addr, n)}
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				p.c.Errorf(pos, missing[0], "module %s: required argument(s) %s not set (the variables have no default)", addr, strings.Join(missing, ", "))
			}
		}
		cs, _ := p.reader.moduleBodies(bodies, files[0].name, dir, addr+".", setArgs, false)
		out := p.outputs(cs, bodies, addr)
		outs = append(outs, out)
		if kind == keyed {
			keyedOuts[in.index.AsString()] = out
		}
	}
	switch kind {
	case single:
		p.s.modules[name] = outs[0]
	case counted:
		if len(outs) == 0 {
			p.s.modules[name] = cty.EmptyTupleVal
		} else {
			p.s.modules[name] = cty.TupleVal(outs)
		}
	case keyed:
		p.s.modules[name] = cty.ObjectVal(keyedOuts)
	}
}

// evalArg is an evaluated module argument.
type evalArg struct {
	val  cty.Value
	prob *evalError
	rng  hcl.Range
}

// outputs evaluates the output blocks of module instance addr (scope s);
// an output that cannot be evaluated is left out (a reference to it then
// fails), except that one over the evaluation limits is an error here.
func (p *hclParser) outputs(s *scope, bodies []*hclsyntax.Body, addr string) cty.Value {
	m := map[string]cty.Value{}
	for _, body := range bodies {
		for _, b := range body.Blocks {
			if b.Type != "output" || len(b.Labels) != 1 {
				continue
			}
			a, ok := b.Body.Attributes["value"]
			if !ok || !s.evaluableOrOverBudget(a.Expr) {
				continue
			}
			v, prob := s.eval(a.Expr, nil)
			switch {
			case prob == nil:
				m[b.Labels[0]] = v
			case prob.budget:
				p.c.Errorf(p.pos(prob.rng, addr+".output."+b.Labels[0]), "value", "%s", prob.msg)
			}
		}
	}
	return cty.ObjectVal(m)
}
