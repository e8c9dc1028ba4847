package terraform_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The code side of the ties, read from the repository the configuration
// deploys.

const functionsFramework = "github.com/GoogleCloudPlatform/functions-framework-go/functions"

// registration is one function the root package registers with the
// functions framework.
type registration struct {
	kind    string // "CloudEvent" or "HTTP"
	handler string // the exported function registered
}

// registrations parses the root package's Go files (tests excluded) and
// returns the functions registered with functions.CloudEvent and
// functions.HTTP by name, the exported functions it declares, and the
// values of its string constants. Names given as package constants are
// resolved.
func registrations(root string) (map[string]registration, map[string]bool, map[string]string, error) {
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(root, "*.go"))
	if err != nil {
		return nil, nil, nil, err
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, nil, err
		}
		files = append(files, f)
	}
	consts := map[string]string{}
	exported := map[string]bool{}
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					exported[d.Name.Name] = true
				}
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := stringLit(vs.Values[i]); ok {
								consts[name.Name] = s
							}
						}
					}
				}
			}
		}
	}
	regs := map[string]registration{}
	for _, f := range files {
		pkgName := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == functionsFramework {
				pkgName = "functions"
				if imp.Name != nil {
					pkgName = imp.Name.Name
				}
			}
		}
		if pkgName == "" {
			continue
		}
		var inspectErr error
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != pkgName || (sel.Sel.Name != "CloudEvent" && sel.Sel.Name != "HTTP") {
				return true
			}
			name, ok := stringLit(call.Args[0])
			if id, isIdent := call.Args[0].(*ast.Ident); !ok && isIdent {
				name, ok = consts[id.Name]
			}
			handler, isIdent := call.Args[1].(*ast.Ident)
			if !ok || !isIdent {
				inspectErr = fmt.Errorf("%s: cannot read the registration's name and handler", fset.Position(call.Pos()))
				return false
			}
			regs[name] = registration{kind: sel.Sel.Name, handler: handler.Name}
			return true
		})
		if inspectErr != nil {
			return nil, nil, nil, inspectErr
		}
	}
	return regs, exported, consts, nil
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// linkedPackages lists, relative to the module root, the directories of
// the module's packages that the root package links, directly or not ("."
// first), and the files they embed.
func linkedPackages(root string) (dirs, embedded []string, err error) {
	seen := map[string]bool{}
	queue := []string{"."}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		dirs = append(dirs, dir)
		pkg, err := build.ImportDir(filepath.Join(root, dir), 0)
		if err != nil {
			return nil, nil, fmt.Errorf("read package %s: %w", dir, err)
		}
		for _, pattern := range pkg.EmbedPatterns {
			files, err := embeddedFiles(root, dir, pattern)
			if err != nil {
				return nil, nil, err
			}
			embedded = append(embedded, files...)
		}
		imports, err := moduleImports(root, dir)
		if err != nil {
			return nil, nil, err
		}
		queue = append(queue, imports...)
	}
	return dirs, embedded, nil
}

// moduleImports lists the directories, relative to the module root, of the
// module's packages that the non-test files of the package in dir import.
// A directory without Go files imports nothing.
func moduleImports(root, dir string) ([]string, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	modPath := modulePath(gomod)
	if modPath == "" {
		return nil, fmt.Errorf("%s/go.mod names no module", root)
	}
	// Every Go file, whatever its build constraints: Cloud Build's platform
	// decides which of them are compiled.
	ctxt := build.Default
	ctxt.UseAllFiles = true
	pkg, err := ctxt.ImportDir(filepath.Join(root, dir), 0)
	var noGo *build.NoGoError
	if errors.As(err, &noGo) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", dir, err)
	}
	var out []string
	for _, imp := range pkg.Imports {
		if rest, ok := strings.CutPrefix(imp, modPath+"/"); ok {
			out = append(out, rest)
		}
	}
	return out, nil
}

// goRuntime returns the Cloud Functions runtime for the go directive of a
// go.mod file: "go 1.26.0" runs on go126.
func goRuntime(root string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(gomod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
			if len(parts) < 2 {
				break
			}
			return "go" + parts[0] + parts[1], nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no go directive", root)
}

// modulePath reads the module directive of a go.mod file.
func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// embeddedFiles expands a //go:embed pattern as the go command does for
// the files that matter here: a matched file, or every file under a matched
// directory except hidden ones.
func embeddedFiles(root, dir, pattern string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, dir, filepath.FromSlash(pattern)))
	if err != nil || len(matches) == 0 {
		return nil, fmt.Errorf("package %s: //go:embed %s matches nothing", dir, pattern)
	}
	var out []string
	for _, match := range matches {
		err := filepath.WalkDir(match, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != match && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
