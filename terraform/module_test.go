package terraform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// module is a Terraform configuration read with the HCL parser alone: no
// provider schema, so every check here is about the shape of the
// configuration and the values it can compute by itself.
type module struct {
	dir       string // path.module when evaluating expressions
	resources map[string]*hclsyntax.Block
	data      map[string]*hclsyntax.Block
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	locals    map[string]*hclsyntax.Attribute
	blocks    []*hclsyntax.Block // every top-level block, in file order
	src       map[string][]byte  // the text of each file, by name
}

// loadModule parses the *.tf files of src. pathModule is what path.module
// evaluates to, so that a mutated copy in a temporary directory still
// describes the source tree next to the real configuration.
func loadModule(src, pathModule string) (*module, error) {
	names, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no .tf files in %s", src)
	}
	sort.Strings(names)
	m := &module{
		dir:       pathModule,
		resources: map[string]*hclsyntax.Block{},
		data:      map[string]*hclsyntax.Block{},
		variables: map[string]*hclsyntax.Block{},
		outputs:   map[string]*hclsyntax.Block{},
		locals:    map[string]*hclsyntax.Attribute{},
		src:       map[string][]byte{},
	}
	for _, name := range names {
		text, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		m.src[filepath.Base(name)] = text
		f, diags := hclsyntax.ParseConfig(text, filepath.Base(name), hcl.InitialPos)
		if diags.HasErrors() {
			return nil, diags
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			m.blocks = append(m.blocks, b)
			var dup bool
			switch {
			case b.Type == "resource" && len(b.Labels) == 2:
				dup = put(m.resources, b.Labels[0]+"."+b.Labels[1], b)
			case b.Type == "data" && len(b.Labels) == 2:
				dup = put(m.data, b.Labels[0]+"."+b.Labels[1], b)
			case b.Type == "variable" && len(b.Labels) == 1:
				dup = put(m.variables, b.Labels[0], b)
			case b.Type == "output" && len(b.Labels) == 1:
				dup = put(m.outputs, b.Labels[0], b)
			case b.Type == "locals":
				for name, a := range b.Body.Attributes {
					if _, ok := m.locals[name]; ok {
						return nil, fmt.Errorf("%s: local.%s is defined twice", a.SrcRange, name)
					}
					m.locals[name] = a
				}
			}
			if dup {
				return nil, fmt.Errorf("%s: %s %s is defined twice", b.DefRange(), b.Type, strings.Join(b.Labels, "."))
			}
		}
	}
	return m, nil
}

func put(m map[string]*hclsyntax.Block, key string, b *hclsyntax.Block) (dup bool) {
	_, dup = m[key]
	m[key] = b
	return dup
}

// resourcesOfType returns the names of the resources of type typ, sorted.
func (m *module) resourcesOfType(typ string) []string {
	var names []string
	for key := range m.resources {
		if t, name, _ := strings.Cut(key, "."); t == typ {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// attr returns the attribute at path (block types, then the attribute name)
// inside b, or nil.
func attr(b *hclsyntax.Block, path ...string) *hclsyntax.Attribute {
	body := b.Body
	for _, typ := range path[:len(path)-1] {
		nested := childBlocks(body, typ)
		if len(nested) == 0 {
			return nil
		}
		body = nested[0].Body
	}
	return body.Attributes[path[len(path)-1]]
}

// childBlocks returns the nested blocks of type typ in body, including the
// content of `dynamic "typ"` blocks.
func childBlocks(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		switch {
		case b.Type == typ:
			out = append(out, b)
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ:
			out = append(out, childBlocks(b.Body, "content")...)
		}
	}
	return out
}

// literal returns the value of an expression that needs no variables and
// no functions.
func literal(a *hclsyntax.Attribute) (cty.Value, bool) {
	if a == nil || len(a.Expr.Variables()) > 0 {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

func literalString(a *hclsyntax.Attribute) string {
	v, ok := literal(a)
	if !ok || v.IsNull() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}

// text returns the source text of an attribute's expression, or "".
func (m *module) text(a *hclsyntax.Attribute) string {
	if a == nil {
		return ""
	}
	r := a.Expr.Range()
	return string(r.SliceBytes(m.src[r.Filename]))
}

// refs lists what an expression refers to, as dotted names without index
// steps ("google_service_account.webhook.email"), following references to
// locals into the locals' own expressions.
func (m *module) refs(expr hclsyntax.Expression) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		for _, t := range e.Variables() {
			name := traversalName(t)
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, name)
			if local, ok := strings.CutPrefix(name, "local."); ok {
				local, _, _ = strings.Cut(local, ".")
				if a := m.locals[local]; a != nil {
					walk(a.Expr)
				}
			}
		}
	}
	walk(expr)
	return out
}

func traversalName(t hcl.Traversal) string {
	parts := []string{t.RootName()}
	for _, step := range t[1:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ".")
}

// refersTo reports whether expr refers, directly or through locals, to
// something whose dotted name starts with prefix.
func (m *module) refersTo(expr hclsyntax.Expression, prefix string) bool {
	return slices.ContainsFunc(m.refs(expr), func(r string) bool {
		return r == prefix || strings.HasPrefix(r, prefix+".")
	})
}

// stringLiterals lists every literal string inside a syntax node, including
// the literal parts of templates.
func stringLiterals(n hclsyntax.Node) []string {
	var out []string
	hclsyntax.VisitAll(n, func(n hclsyntax.Node) hcl.Diagnostics {
		if lit, ok := n.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() {
			out = append(out, lit.Val.AsString())
		}
		return nil
	})
	return out
}

// entries resolves an expression that builds a map into its entries: object
// constructors, merge(), references to locals and `for k, v in x : k => v`
// filters over them.
func (m *module) entries(expr hclsyntax.Expression) (map[string]hclsyntax.Expression, error) {
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		out := map[string]hclsyntax.Expression{}
		for _, item := range e.Items {
			k, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || k.Type() != cty.String {
				return nil, fmt.Errorf("%s: the key is not a constant string", item.KeyExpr.Range())
			}
			out[k.AsString()] = item.ValueExpr
		}
		return out, nil
	case *hclsyntax.FunctionCallExpr:
		if e.Name != "merge" {
			return nil, fmt.Errorf("%s: cannot tell the keys of %s()", e.Range(), e.Name)
		}
		out := map[string]hclsyntax.Expression{}
		for _, arg := range e.Args {
			part, err := m.entries(arg)
			if err != nil {
				return nil, err
			}
			for k, v := range part {
				out[k] = v
			}
		}
		return out, nil
	case *hclsyntax.ScopeTraversalExpr:
		name := traversalName(e.Traversal)
		local, ok := strings.CutPrefix(name, "local.")
		if !ok || m.locals[local] == nil {
			return nil, fmt.Errorf("%s: cannot tell the keys of %s", e.Range(), name)
		}
		return m.entries(m.locals[local].Expr)
	case *hclsyntax.ForExpr:
		key, okKey := e.KeyExpr.(*hclsyntax.ScopeTraversalExpr)
		val, okVal := e.ValExpr.(*hclsyntax.ScopeTraversalExpr)
		if !okKey || !okVal || traversalName(key.Traversal) != e.KeyVar || traversalName(val.Traversal) != e.ValVar {
			return nil, fmt.Errorf("%s: only `for k, v in x : k => v` filters keep the keys known", e.Range())
		}
		return m.entries(e.CollExpr)
	}
	return nil, fmt.Errorf("%s: cannot tell the keys of this expression", expr.Range())
}

// Evaluation of the expressions that depend on variables only.

// evalFuncs are the Terraform functions the configuration's validations and
// environment use, from the same libraries Terraform builds them on.
var evalFuncs = map[string]function.Function{
	"can":      tryfunc.CanFunc,
	"try":      tryfunc.TryFunc,
	"regex":    stdlib.RegexFunc,
	"contains": stdlib.ContainsFunc,
	"length":   stdlib.LengthFunc,
	"floor":    stdlib.FloorFunc,
	"coalesce": stdlib.CoalesceFunc,
	"keys":     stdlib.KeysFunc,
	"merge":    stdlib.MergeFunc,
	"join":     stdlib.JoinFunc,
	"lower":    stdlib.LowerFunc,
}

// requiredSamples stands in for the variables that have no default.
var requiredSamples = map[string]cty.Value{
	"project_id": cty.StringVal("my-project-123"),
	"region":     cty.StringVal("europe-west1"),
}

// variableValues returns every variable's default (or sample), converted to
// its declared type, with overrides applied.
func (m *module) variableValues(overrides map[string]cty.Value) (map[string]cty.Value, error) {
	vals := map[string]cty.Value{}
	for name, b := range m.variables {
		ty := cty.DynamicPseudoType
		if t := b.Body.Attributes["type"]; t != nil {
			var diags hcl.Diagnostics
			ty, diags = typeexpr.TypeConstraint(t.Expr)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %q: %s", name, diags.Error())
			}
		}
		v, ok := overrides[name]
		switch {
		case ok:
		case b.Body.Attributes["default"] != nil:
			d, diags := b.Body.Attributes["default"].Expr.Value(nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %q: the default is not a constant: %s", name, diags.Error())
			}
			v = d
		case requiredSamples[name] != cty.NilVal:
			v = requiredSamples[name]
		default:
			return nil, fmt.Errorf("variable %q has no default and no sample value in this test", name)
		}
		cv, err := convert.Convert(v, ty)
		if err != nil {
			return nil, fmt.Errorf("variable %q: the value does not fit its type: %v", name, err)
		}
		vals[name] = cv
	}
	return vals, nil
}

func (m *module) evalContext(vars map[string]cty.Value) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":  cty.ObjectVal(vars),
			"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(m.dir)}),
		},
		Functions: evalFuncs,
	}
}

// validationFailures evaluates every validation of variable name with vars
// and returns the error messages of those that fail.
func (m *module) validationFailures(name string, vars map[string]cty.Value) ([]string, error) {
	var failed []string
	ctx := m.evalContext(vars)
	for _, v := range childBlocks(m.variables[name].Body, "validation") {
		cond := v.Body.Attributes["condition"]
		if cond == nil {
			return nil, fmt.Errorf("variable %q has a validation without a condition", name)
		}
		ok, diags := cond.Expr.Value(ctx)
		if diags.HasErrors() {
			return nil, fmt.Errorf("variable %q: %s", name, diags.Error())
		}
		if ok.IsNull() || !ok.IsKnown() || ok.Type() != cty.Bool {
			return nil, fmt.Errorf("variable %q: a validation condition is not a boolean", name)
		}
		if ok.False() {
			failed = append(failed, literalString(v.Body.Attributes["error_message"]))
		}
	}
	return failed, nil
}

// envString turns a value into the string Terraform puts in a map(string).
func envString(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", nil
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", err
	}
	return s.AsString(), nil
}
