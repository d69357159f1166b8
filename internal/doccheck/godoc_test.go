package doccheck

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// root is the module root, relative to this package's directory.
const root = "../.."

// modulePath is the module's import path (go.mod).
const modulePath = "github.com/trailguard/trailguard"

// notPublic are the module's top-level directories whose packages are not API: commands, the
// CDK app, the CDK test package, the examples and everything internal; and the generated
// directories (the cloud assembly, the npm packages) that hold no package of the module.
var notPublic = []string{"app", "cdk.out", "cmd", "examples", "internal", "node_modules", "test"}

// publicPackages returns the import paths and directories of the module's public packages:
// every directory with a non-test Go file that is not a main package, outside notPublic,
// internal/ directories (constructs/internal too) and testdata.
func publicPackages(t *testing.T) map[string]string {
	t.Helper()
	pkgs := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "internal" ||
			slices.Contains(notPublic, strings.SplitN(rel, "/", 2)[0])) {
			return filepath.SkipDir
		}
		fset := token.NewFileSet()
		parsed, err := parser.ParseDir(fset, p, func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		for name := range parsed {
			if name != "main" {
				pkgs[path.Join(modulePath, rel)] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestPublicPackagesHaveDocs fails on a public package without a package doc that shows its use
// (an indented code block, or an Example in its tests), and on an exported identifier without a
// doc comment: constants, variables, types, functions, methods, the exported fields of exported
// structs (props document their defaults there) and the methods of exported interfaces.
func TestPublicPackagesHaveDocs(t *testing.T) {
	pkgs := publicPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found %d public packages under %s, want the constructs, compliance, config, coverage and detect: %v", len(pkgs), root, pkgs)
	}
	for _, importPath := range slices.Sorted(maps.Keys(pkgs)) {
		dir := pkgs[importPath]
		t.Run(strings.TrimPrefix(importPath, modulePath+"/"), func(t *testing.T) {
			for _, problem := range undocumented(t, dir, importPath) {
				t.Error(problem)
			}
		})
	}
}

// undocumented returns what lacks documentation in the package in dir, one line each with its
// file and line.
func undocumented(t *testing.T, dir, importPath string) []string {
	t.Helper()
	fset := token.NewFileSet()
	parsed, err := parser.ParseDir(fset, dir, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var files, tests []*ast.File
	var pkgName string
	for _, name := range slices.Sorted(maps.Keys(parsed)) {
		p := parsed[name]
		for _, fileName := range slices.Sorted(maps.Keys(p.Files)) {
			f := p.Files[fileName]
			switch {
			case strings.HasSuffix(name, "_test"):
				tests = append(tests, f) // the external test package (examples live there)
			case strings.HasSuffix(fileName, "_test.go"):
				tests = append(tests, f)
			default:
				files = append(files, f)
				pkgName = name
			}
		}
	}
	p, err := doc.NewFromFiles(fset, files, importPath)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	at := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", relPos(fset.Position(pos)), fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(p.Doc) == "" {
		at(files[0].Package, "package %s has no package doc (a doc.go or a comment above one package clause): say what it is for and show its use", pkgName)
	} else if !strings.Contains(p.Doc, "\n\t") && !strings.Contains(p.Doc, "\n  ") && len(doc.Examples(tests...)) == 0 {
		at(files[0].Package, "package %s's doc shows no use: add an indented code block to its package doc or an Example to its tests", pkgName)
	}
	values := func(vs []*doc.Value, kind string) {
		for _, v := range vs {
			checkValue(v, kind, at)
		}
	}
	funcs := func(fs []*doc.Func, recv string) {
		for _, f := range fs {
			if strings.TrimSpace(f.Doc) == "" {
				at(f.Decl.Pos(), "%s%s has no doc comment", recv, f.Name)
			}
		}
	}
	values(p.Consts, "constant")
	values(p.Vars, "variable")
	funcs(p.Funcs, "func ")
	for _, typ := range p.Types {
		if strings.TrimSpace(typ.Doc) == "" {
			at(typ.Decl.Pos(), "type %s has no doc comment", typ.Name)
		}
		values(typ.Consts, "constant")
		values(typ.Vars, "variable")
		funcs(typ.Funcs, "func ")
		funcs(typ.Methods, "method "+typ.Name+".")
		for _, spec := range typ.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != typ.Name {
				continue
			}
			switch t := ts.Type.(type) {
			case *ast.StructType:
				fields(t.Fields, typ.Name, "field", at)
			case *ast.InterfaceType:
				fields(t.Methods, typ.Name, "method", at)
			}
		}
	}
	return problems
}

// checkValue reports the exported names of a const or var declaration without a doc comment:
// a parenthesized group's comment documents all its names (as go doc shows it); otherwise each
// spec needs its own.
func checkValue(v *doc.Value, kind string, at func(token.Pos, string, ...any)) {
	if strings.TrimSpace(v.Doc) != "" {
		return
	}
	for _, spec := range v.Decl.Specs {
		vs := spec.(*ast.ValueSpec)
		if vs.Doc.Text() != "" || vs.Comment.Text() != "" {
			continue
		}
		for _, n := range vs.Names {
			if n.IsExported() {
				at(n.Pos(), "%s %s has no doc comment", kind, n.Name)
			}
		}
	}
}

// fields reports the exported fields of a struct, or the methods of an interface, without a
// doc or line comment. A comment may document a run of fields ("First and Last are the event
// times..."): a field without its own comment is documented when the closest comment above it
// in the type names it. Embedded types document themselves.
func fields(list *ast.FieldList, typeName, kind string, at func(token.Pos, string, ...any)) {
	above := ""
	for _, f := range list.List {
		if f.Doc.Text() != "" {
			above = f.Doc.Text()
		}
		if len(f.Names) == 0 || f.Doc.Text() != "" || f.Comment.Text() != "" {
			continue
		}
		for _, n := range f.Names {
			if n.IsExported() && !namesWord(above, n.Name) {
				at(n.Pos(), "%s %s.%s has no doc comment", kind, typeName, n.Name)
			}
		}
	}
}

// namesWord reports whether text has word as a whole word.
func namesWord(text, word string) bool {
	return slices.Contains(strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}), word)
}

// relPos shortens a position to the module-relative file and line.
func relPos(p token.Position) string {
	if rel, err := filepath.Rel(root, p.Filename); err == nil {
		p.Filename = filepath.ToSlash(rel)
	}
	return fmt.Sprintf("%s:%d", p.Filename, p.Line)
}

// TestPublicAPIDocListsThePublicPackages fails when docs/public-api.md's table does not list
// exactly the public packages: a package made public, or moved under internal/, must be
// documented there (its purpose, and so the stability promise that comes with it).
func TestPublicAPIDocListsThePublicPackages(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "public-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| \\[`([^`]+)`\\]").FindAllStringSubmatch(string(b), -1) {
		listed[m[1]] = true
	}
	public := map[string]bool{}
	for importPath := range publicPackages(t) {
		rel := strings.TrimPrefix(importPath, modulePath+"/")
		public[rel] = true
		if !listed[rel] {
			t.Errorf("docs/public-api.md does not list public package %s: add a row to its table saying what it is for (or move the package under internal/)", rel)
		}
	}
	for rel := range listed {
		if !public[rel] {
			t.Errorf("docs/public-api.md lists %s, which is not a public package of the module", rel)
		}
	}
}
