// Package apicheck finds exported identifiers of a package that mention a type, value
// or function of one of the module's internal packages, for tests that keep a public
// package's API sealed: an alias (type DB = dbx.DB), a parameter, result, struct field,
// interface method, var or const that names an internal package is a leak.
package apicheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Leaks parses the non-test Go files of the package in dir and returns one line per
// exported declaration that mentions an import path containing "/internal/".
func Leaks(dir string) ([]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		internal := map[string]string{}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if !strings.Contains(p, "/internal/") {
				continue
			}
			name := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			internal[name] = p
		}
		if len(internal) == 0 {
			continue
		}
		report := func(what string, node ast.Node) {
			if pkg := mentions(node, internal); pkg != "" {
				out = append(out, fmt.Sprintf("%s: %s mentions %s", fset.Position(node.Pos()), what, pkg))
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
					continue
				}
				report("func "+d.Name.Name, d.Type)
				if d.Recv != nil {
					report("receiver of "+d.Name.Name, d.Recv)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							checkType(s.Name.Name, s.Type, report)
						}
					case *ast.ValueSpec:
						for i, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							if s.Type != nil {
								report(n.Name, s.Type)
							}
							if i < len(s.Values) {
								report(n.Name, s.Values[i])
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkType reports the exported parts of an exported type: a struct's exported fields
// (and embedded types), an interface's methods, anything else whole.
func checkType(name string, t ast.Expr, report func(string, ast.Node)) {
	switch t := t.(type) {
	case *ast.StructType:
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 {
				report(name+" embedded field", f.Type)
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					report(name+"."+n.Name, f.Type)
				}
			}
		}
	default:
		report("type "+name, t)
	}
}

func exportedRecv(r *ast.FieldList) bool {
	if len(r.List) == 0 {
		return false
	}
	t := r.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}

// mentions returns the internal import path that node names through a selector, or "".
func mentions(node ast.Node, internal map[string]string) string {
	found := ""
	ast.Inspect(node, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		if lit, ok := n.(*ast.FuncLit); ok {
			_ = lit
			return false // a function body is not API
		}
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if p, ok := internal[id.Name]; ok {
					found = p + "." + sel.Sel.Name
					return false
				}
			}
		}
		return true
	})
	return found
}
