package lsosgov_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestAPISeal keeps the public API sealed: no exported identifier of a public package
// (a package outside internal/, examples/ and testdata/) may mention a type declared in
// an internal/ package, not even through an alias. Such a type cannot be named by the
// caller, so it can neither be spelled in their code nor changed by us without breaking
// them. The test discovers the public packages from the directory tree, so a new
// package is covered as soon as it exists, and reads their types from the compiler's
// export data (go list -export), which go test has already built.
//
// Each offender is one line, e.g.
//
//	migrate.ReviewOptions: alias of internal/review.Options
func TestAPISeal(t *testing.T) {
	root, modPath := moduleRoot(t)
	offenders, pkgs := sealOffenders(t, root, modPath)
	for _, o := range offenders {
		t.Error(o)
	}
	if len(offenders) > 0 {
		t.Logf("%d exported identifiers in %d public packages mention internal types; declare the type in a public package (or unexport the identifier)", len(offenders), pkgs)
	}
}

// TestAPISealCatchesOffenders runs the same walk on a small module in testdata that
// breaks the seal in every way the checker knows, next to a clean package, so a checker
// that reports nothing can be told from a sealed API.
func TestAPISealCatchesOffenders(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("testdata", "apiseal"))
	if err != nil {
		t.Fatal(err)
	}
	got, pkgs := sealOffenders(t, root, "example.com/apiseal")
	want := []string{
		"pub.Alias: alias of internal/x.T",
		"pub.Embeds.T: internal/x.T",
		"pub.F: internal/x.T",
		"pub.Generic: internal/x.T",
		"pub.Iface.M: internal/x.T",
		"pub.Opts.Name: internal/x.Name (an alias)",
		"pub.Promotes.Field: internal/x.T",
		"pub.Promotes.Method: internal/x.T",
		"pub.Uses: internal/x.T through alias pub.Alias",
		"pub.V: internal/x.T",
		"pub.W.Get: internal/x.T",
	}
	if pkgs != 3 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("on testdata/apiseal (%d public packages, want 3: the root, pub and clean):\n got: %q\nwant: %q", pkgs, got, want)
	}
}

// sealOffenders lists, sorted, the exported identifiers of the public packages of the
// module at root that mention an internal type, and the number of public packages. It
// fails t when it finds no package or no exported identifier, since then it has
// checked nothing.
func sealOffenders(t *testing.T, root, modPath string) (offenders []string, npkgs int) {
	t.Helper()
	pkgs := publicPackages(t, root, modPath)
	if len(pkgs) == 0 {
		t.Fatalf("found no public package under %s: the walk is broken, so nothing was checked", root)
	}
	exports := exportData(t, root, pkgs)

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
		f, ok := exports[p]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", p)
		}
		return os.Open(f)
	})
	objects := 0
	for _, p := range pkgs {
		pkg, err := imp.Import(p)
		if err != nil {
			t.Fatalf("import %s: %v", p, err)
		}
		s := sealChecker{modPath: modPath, pkg: pkg}
		objects += s.check()
		offenders = append(offenders, s.offenders...)
	}
	if objects == 0 {
		t.Fatalf("the %d public packages export nothing: the export data was not read", len(pkgs))
	}
	sort.Strings(offenders)
	return offenders, len(pkgs)
}

// moduleRoot finds the directory holding go.mod above the test's working directory and
// the module path it declares.
func moduleRoot(t *testing.T) (dir, modPath string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
					return dir, strings.Trim(f[1], `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// publicPackages lists the import paths of every directory of the module that holds a
// non-test .go file, leaving out internal/, examples/, testdata/, hidden and
// underscore directories, and nested modules.
func publicPackages(t *testing.T, root, modPath string) []string {
	t.Helper()
	var pkgs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != root {
			switch {
			case name == "internal", name == "examples", name == "testdata",
				strings.HasPrefix(name, "."), strings.HasPrefix(name, "_"):
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range ents {
			n := e.Name()
			if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
				rel, err := filepath.Rel(root, p)
				if err != nil {
					return err
				}
				pkgs = append(pkgs, path.Join(modPath, filepath.ToSlash(rel)))
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(pkgs)
	return pkgs
}

// exportData asks the go command for the export data file of each package; the build
// cache holds them once the packages have been compiled.
func exportData(t *testing.T, root string, pkgs []string) map[string]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the seal test reads export data with the go command, which is not on PATH: %v", err)
	}
	args := []string{"list", "-export", "-f", "{{.ImportPath}} {{.Export}}"}
	if raceEnabled {
		args = append(args, "-race") // reuse what go test -race compiled
	}
	cmd := exec.Command(goCmd, append(args, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off") // the fixture module is in no workspace
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.Bytes())
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, f, ok := strings.Cut(line, " ")
		if !ok || f == "" {
			t.Fatalf("go list -export: no export data in %q", line)
		}
		m[p] = f
	}
	return m
}

// sealChecker walks the exported API of one package.
type sealChecker struct {
	modPath   string
	pkg       *types.Package
	offenders []string
}

// check reports every exported identifier of the package that mentions an internal
// type, and returns the number of exported identifiers it looked at.
func (s *sealChecker) check() int {
	n := 0
	scope := s.pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		n++
		id := s.pkg.Name() + "." + name
		switch obj := obj.(type) {
		case *types.TypeName:
			if obj.IsAlias() {
				if a, ok := obj.Type().(*types.Alias); ok {
					if why := s.mentions(a.Rhs(), map[types.Type]bool{}); why != "" {
						s.report(id, "alias of "+why)
					}
					continue
				}
			}
			named, ok := obj.Type().(*types.Named)
			if !ok {
				continue
			}
			s.checkUnderlying(id, named.Underlying(), map[*types.Named]bool{named: true})
			if types.IsInterface(named) {
				continue // its methods were checked with the underlying interface
			}
			// The method set of *T holds T's methods and those promoted from embedded
			// fields: all of them are part of T's API.
			ms := types.NewMethodSet(types.NewPointer(named))
			for i := 0; i < ms.Len(); i++ {
				m := ms.At(i).Obj()
				if !m.Exported() {
					continue
				}
				n++
				if why := s.mentions(m.Type(), map[types.Type]bool{}); why != "" {
					s.report(id+"."+m.Name(), why)
				}
			}
		default: // Func, Var, Const
			if why := s.mentions(obj.Type(), map[types.Type]bool{}); why != "" {
				s.report(id, why)
			}
		}
	}
	return n
}

// checkUnderlying looks at the parts of a defined type a caller sees: the exported
// fields of a struct, every embedded one, and the fields promoted from an embedded
// unexported struct of the package; the methods of an interface; or the whole of any
// other type.
func (s *sealChecker) checkUnderlying(id string, u types.Type, inside map[*types.Named]bool) {
	switch u := u.(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if !f.Exported() && !f.Embedded() {
				continue
			}
			if why := s.mentions(f.Type(), map[types.Type]bool{}); why != "" {
				s.report(id+"."+f.Name(), why)
				continue
			}
			// An embedded unexported type of this package promotes its exported fields.
			t := types.Unalias(f.Type())
			if p, ok := t.(*types.Pointer); ok {
				t = types.Unalias(p.Elem())
			}
			if e, ok := t.(*types.Named); ok && f.Embedded() && !e.Obj().Exported() && e.Obj().Pkg() == s.pkg && !inside[e] {
				inside[e] = true
				if st, ok := e.Underlying().(*types.Struct); ok {
					s.checkUnderlying(id, st, inside)
				}
			}
		}
	case *types.Interface:
		for i := 0; i < u.NumMethods(); i++ {
			m := u.Method(i)
			if why := s.mentions(m.Type(), map[types.Type]bool{}); why != "" {
				s.report(id+"."+m.Name(), why)
			}
		}
		for i := 0; i < u.NumEmbeddeds(); i++ {
			if why := s.mentions(u.EmbeddedType(i), map[types.Type]bool{}); why != "" {
				s.report(id, "embeds "+why)
			}
		}
	default:
		if why := s.mentions(u, map[types.Type]bool{}); why != "" {
			s.report(id, why)
		}
	}
}

func (s *sealChecker) report(id, why string) {
	s.offenders = append(s.offenders, id+": "+why)
}

// mentions returns the internal type that t spells, directly or through an alias, or
// "". It does not look inside defined types of other packages: a public defined type
// is checked on its own, and an external one is not ours to seal.
func (s *sealChecker) mentions(t types.Type, seen map[types.Type]bool) string {
	if t == nil || seen[t] {
		return ""
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		if s.internal(t.Obj().Pkg()) {
			return s.spell(t.Obj()) + " (an alias)"
		}
		if why := s.mentions(t.Rhs(), seen); why != "" {
			return why + " through alias " + s.spell(t.Obj())
		}
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if why := s.mentions(t.TypeArgs().At(i), seen); why != "" {
				return why
			}
		}
	case *types.Named:
		if s.internal(t.Obj().Pkg()) {
			return s.spell(t.Obj())
		}
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if why := s.mentions(t.TypeArgs().At(i), seen); why != "" {
				return why
			}
		}
	case *types.Pointer:
		return s.mentions(t.Elem(), seen)
	case *types.Slice:
		return s.mentions(t.Elem(), seen)
	case *types.Array:
		return s.mentions(t.Elem(), seen)
	case *types.Chan:
		return s.mentions(t.Elem(), seen)
	case *types.Map:
		if why := s.mentions(t.Key(), seen); why != "" {
			return why
		}
		return s.mentions(t.Elem(), seen)
	case *types.Signature:
		for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
			for i := 0; i < tup.Len(); i++ {
				if why := s.mentions(tup.At(i).Type(), seen); why != "" {
					return why
				}
			}
		}
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if why := s.mentions(t.Field(i).Type(), seen); why != "" {
				return why
			}
		}
	case *types.Interface:
		for i := 0; i < t.NumMethods(); i++ {
			if why := s.mentions(t.Method(i).Type(), seen); why != "" {
				return why
			}
		}
		for i := 0; i < t.NumEmbeddeds(); i++ {
			if why := s.mentions(t.EmbeddedType(i), seen); why != "" {
				return why
			}
		}
	case *types.Union:
		for i := 0; i < t.Len(); i++ {
			if why := s.mentions(t.Term(i).Type(), seen); why != "" {
				return why
			}
		}
	case *types.TypeParam:
		return s.mentions(t.Constraint(), seen)
	}
	return ""
}

// internal reports whether p is an internal package of this module.
func (s *sealChecker) internal(p *types.Package) bool {
	if p == nil {
		return false
	}
	rel, ok := strings.CutPrefix(p.Path(), s.modPath+"/")
	return ok && (strings.HasPrefix(rel, "internal/") || strings.Contains(rel, "/internal/"))
}

// spell names an object by its module-relative package path (internal/review.Options),
// or by its package name for the root package (lsosgov.DB).
func (s *sealChecker) spell(o types.Object) string {
	rel, ok := strings.CutPrefix(o.Pkg().Path(), s.modPath+"/")
	if !ok {
		rel = o.Pkg().Name()
	}
	return rel + "." + o.Name()
}
