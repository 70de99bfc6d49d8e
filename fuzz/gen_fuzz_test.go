package fuzz

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/hotcache/hotcache/gen"
)

// FuzzGenRender decodes the input into a random key and value type (nested
// structs and arrays, integers of every width, strings, floats, bools,
// pointers, interfaces, named types of the package and of another one,
// blank and embedded fields; slices, maps, funcs and channels for values)
// and renders a cache for them. The output must parse, render identically
// from a fresh decoding of the same input, and type-check together with the
// declarations of the types it uses. A non-comparable key must be refused
// with a message saying so.
func FuzzGenRender(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 3, 0, 2, 9, 1, 4, 6, 0, 3, 11, 2})
	f.Add([]byte{3, 4, 1, 0, 5, 7, 2, 8, 1, 1, 6, 0, 2, 3, 4})
	f.Add([]byte{12, 1, 14, 2, 0, 13, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		s1, decls1 := decode(data)
		src, err := gen.Render(s1)
		if err != nil {
			if !types.Comparable(s1.Key) && strings.Contains(err.Error(), "is not comparable") {
				return
			}
			t.Fatalf("Render(key %s, value %s): %v", s1.Key, s1.Value, err)
		}
		if !types.Comparable(s1.Key) {
			t.Fatalf("Render accepted the non-comparable key %s", s1.Key)
		}
		fset := token.NewFileSet()
		out, err := parser.ParseFile(fset, "out.go", src, parser.ParseComments)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, src)
		}
		s2, _ := decode(data)
		again, err := gen.Render(s2)
		if err != nil || !bytes.Equal(src, again) {
			t.Fatalf("output is not deterministic (err %v):\n%s\n----\n%s", err, src, again)
		}
		typeCheck(t, fset, out, decls1, src)
	})
}

// typeCheck type-checks the output as package p together with the
// declarations of p's and q's types, with shard and the standard library
// from source.
func typeCheck(t *testing.T, fset *token.FileSet, out *ast.File, d decls, src []byte) {
	t.Helper()
	parse := func(name string, b *strings.Builder) *ast.File {
		af, err := parser.ParseFile(fset, name, b.String(), 0)
		if err != nil {
			t.Fatalf("declarations of %s: %v\n%s", name, err, b.String())
		}
		return af
	}
	imp := &fuzzImporter{fset: fset, q: parse("q.go", d.q)}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check("example.com/p", fset, []*ast.File{parse("p.go", d.p), out}, nil); err != nil {
		t.Fatalf("output does not type-check: %v\n%s\n%s\n%s", err, src, d.p.String(), d.q.String())
	}
}

// imported are the packages generated code imports, loaded once for the
// whole fuzzing process.
var imported = sync.OnceValues(func() (map[string]*types.Package, error) {
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes},
		"github.com/hotcache/hotcache/shard", "github.com/hotcache/hotcache/shard/shardimpl", "context", "errors", "io", "iter", "time")
	if err != nil {
		return nil, err
	}
	m := map[string]*types.Package{}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, p.Errors[0]
		}
		m[p.PkgPath] = p.Types
	}
	return m, nil
})

type fuzzImporter struct {
	fset *token.FileSet
	q    *ast.File
	qPkg *types.Package // q, once checked: both files must see the same one
}

func (i *fuzzImporter) Import(path string) (*types.Package, error) { return i.ImportFrom(path, "", 0) }

func (i *fuzzImporter) ImportFrom(path, dir string, mode types.ImportMode) (*types.Package, error) {
	if path == qPath {
		if i.qPkg == nil {
			conf := types.Config{Importer: i}
			p, err := conf.Check(qPath, i.fset, []*ast.File{i.q}, nil)
			if err != nil {
				return nil, err
			}
			i.qPkg = p
		}
		return i.qPkg, nil
	}
	m, err := imported()
	if err != nil {
		return nil, err
	}
	if p := m[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("generated code imports %s", path)
}

const qPath = "example.com/other/q"

// decls are the source of the named types a decoding declared, in p and q.
type decls struct{ p, q *strings.Builder }

// decoder builds types from fuzz input; past the end it reads zeros, which
// choose the simplest types, so every input decodes.
type decoder struct {
	data   []byte
	p, q   *types.Package
	d      decls
	nNamed int
}

func (d *decoder) next() int {
	if len(d.data) == 0 {
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return int(b)
}

// decode makes a Spec, and the declarations of its named types, from data.
func decode(data []byte) (gen.Spec, decls) {
	d := &decoder{
		data: data,
		p:    types.NewPackage("example.com/p", "p"),
		q:    types.NewPackage(qPath, "q"),
		d:    decls{&strings.Builder{}, &strings.Builder{}},
	}
	d.d.p.WriteString("package p\n\nimport \"" + qPath + "\"\n\nvar _ q.Marker\n\n")
	d.d.q.WriteString("package q\n\ntype Marker int\n\n")
	key := d.typ(0, true, d.p)
	val := d.typ(0, d.next()%8 == 0, d.p) // mostly any type; sometimes comparable
	if d.next()%16 == 15 {
		key = types.NewSlice(key) // now and then a key that must be refused
	}
	return gen.Spec{Pkg: d.p, Name: "FuzzCache", Key: key, Value: val, Command: "cachegen -name=FuzzCache"}, d.d
}

var basics = []types.BasicKind{
	types.String, types.Int, types.Int8, types.Int16, types.Int32, types.Int64,
	types.Uint, types.Uint8, types.Uint16, types.Uint32, types.Uint64, types.Uintptr,
	types.Bool, types.Float32, types.Float64, types.Complex64, types.Complex128,
}

// typ decodes a type; comparable restricts it to comparable types. Named
// types are declared in pkg (p, or q for types q's declarations use).
func (d *decoder) typ(depth int, comparable bool, pkg *types.Package) types.Type {
	choice := d.next() % 16
	if depth >= 3 && choice > 2 {
		choice = 0 // bounded nesting
	}
	switch choice {
	case 0, 1:
		return types.Typ[basics[d.next()%len(basics)]]
	case 2:
		return types.Universe.Lookup([]string{"byte", "rune", "any", "error"}[d.next()%4]).Type()
	case 3:
		return types.NewArray(d.typ(depth+1, comparable, pkg), int64(d.next()%4))
	case 4:
		return types.NewArray(types.Typ[types.Byte], int64(d.next()%65))
	case 5, 6:
		return d.strct(depth, comparable, pkg)
	case 7:
		return types.NewPointer(d.typ(depth+1, false, pkg))
	case 8, 9:
		return d.named(depth, comparable, pkg)
	case 10:
		if pkg == d.p {
			return d.named(depth, comparable, d.q) // a type of another package
		}
		return d.named(depth, comparable, pkg)
	case 11:
		return types.NewInterfaceType(nil, nil)
	}
	if comparable {
		return types.Typ[types.Int64]
	}
	switch choice {
	case 12:
		return types.NewSlice(d.typ(depth+1, false, pkg))
	case 13:
		return types.NewMap(d.typ(depth+1, true, pkg), d.typ(depth+1, false, pkg))
	case 14:
		params := types.NewTuple(types.NewParam(token.NoPos, pkg, "", d.typ(depth+1, false, pkg)),
			types.NewParam(token.NoPos, pkg, "", types.NewSlice(d.typ(depth+1, false, pkg))))
		results := types.NewTuple(types.NewParam(token.NoPos, pkg, "", types.Universe.Lookup("error").Type()))
		return types.NewSignatureType(nil, nil, nil, params, results, d.next()%2 == 0)
	}
	return types.NewChan(types.ChanDir(d.next()%3), d.typ(depth+1, false, pkg))
}

// strct decodes a struct of up to four fields, some blank or embedded.
func (d *decoder) strct(depth int, comparable bool, pkg *types.Package) types.Type {
	n := d.next() % 5
	var fields []*types.Var
	var tags []string
	for i := range n {
		name := fmt.Sprintf("F%d", i)
		switch d.next() % 6 {
		case 0:
			name = "_"
		case 1:
			name = fmt.Sprintf("f%d", i) // unexported: q's structs must be hashed whole
		}
		ft := d.typ(depth+1, comparable, pkg)
		fields = append(fields, types.NewField(token.NoPos, pkg, name, ft, false))
		tag := ""
		if d.next()%4 == 0 {
			tag = fmt.Sprintf(`json:"f%d"`, i)
		}
		tags = append(tags, tag)
	}
	if d.next()%3 == 0 { // an embedded named type (never a pointer: Go forbids it)
		nt := d.named(depth+1, comparable, pkg).(*types.Named)
		if _, ptr := nt.Underlying().(*types.Pointer); !ptr {
			fields = append(fields, types.NewField(token.NoPos, pkg, nt.Obj().Name(), nt, true))
			tags = append(tags, "")
		}
	}
	return types.NewStruct(fields, tags)
}

// named declares a new named type in pkg and records its declaration.
func (d *decoder) named(depth int, comparable bool, pkg *types.Package) types.Type {
	d.nNamed++
	prefix := "T"
	if pkg == d.q {
		prefix = "Q"
	}
	name := fmt.Sprintf("%s%d", prefix, d.nNamed)
	under := d.typ(depth+1, comparable, pkg)
	obj := types.NewTypeName(token.NoPos, pkg, name, nil)
	nt := types.NewNamed(obj, under.Underlying(), nil)
	pkg.Scope().Insert(obj)
	file := d.d.p
	if pkg == d.q {
		file = d.d.q
	}
	fmt.Fprintf(file, "type %s %s\n", name, types.TypeString(under.Underlying(), func(other *types.Package) string {
		if other == pkg {
			return ""
		}
		return other.Name()
	}))
	return nt
}
