package core_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/internal/conformance"
	"github.com/hotcache/hotcache/internal/core"
	"github.com/hotcache/hotcache/shard"
)

// methodSet returns the exported methods of t (a pointer to a cache, or an
// interface) as "Name func(args) (results)", the receiver left out, sorted.
// Signatures are compared as strings: the caches under comparison are
// instantiated with the same key and value types, so they differ only where
// a type comes from a different package, and core's copies of shard's
// types (Stats, Options) are named as shard's.
func methodSet(t reflect.Type) []string {
	var ms []string
	for i := range t.NumMethod() {
		m := t.Method(i)
		ft := m.Type
		in := make([]string, 0, ft.NumIn())
		start := 0
		if t.Kind() != reflect.Interface {
			start = 1 // the receiver
		}
		for j := start; j < ft.NumIn(); j++ {
			in = append(in, ft.In(j).String())
		}
		out := make([]string, 0, ft.NumOut())
		for j := range ft.NumOut() {
			out = append(out, ft.Out(j).String())
		}
		sig := m.Name + " func(" + strings.Join(in, ", ") + ") (" + strings.Join(out, ", ") + ")"
		ms = append(ms, strings.ReplaceAll(sig, "core.", "shard."))
	}
	slices.Sort(ms)
	return ms
}

// subject is a cache type whose method set must be shard.Cache's for its
// key and value types.
type subject struct {
	name string
	typ  reflect.Type
	ref  reflect.Type // *shard.Cache[K, V] for the subject's K and V
	itf  reflect.Type // conformance.Cache[K, V]
}

func subjectOf[T any, K comparable, V any](name string) subject {
	return subject{
		name: name,
		typ:  reflect.TypeFor[T](),
		ref:  reflect.TypeFor[*shard.Cache[K, V]](),
		itf:  reflect.TypeFor[conformance.Cache[K, V]](),
	}
}

// TestMethodSets_Agree checks that the cache method set, written out in
// four places, is the same in each: shard.Cache, every cache in package
// generated (cachegen's output, so its template too), core's test copy of
// shard.Cache, and the interface the conformance suite runs against. Each
// is compared with shard.Cache instantiated with its own key and value
// types, so a method one of them gains or loses, or a signature that
// drifts, fails here, naming both sides.
func TestMethodSets_Agree(t *testing.T) {
	subjects := []subject{
		subjectOf[*core.Cache[string, int], string, int]("core.Cache (test copy)"),
		subjectOf[*generated.AnyCache, string, any]("generated.AnyCache"),
		subjectOf[*generated.BytesCache, string, []byte]("generated.BytesCache"),
		subjectOf[*generated.CounterCache, string, uint64]("generated.CounterCache"),
		subjectOf[*generated.DigestCache, [32]byte, []byte]("generated.DigestCache"),
		subjectOf[*generated.PermCache, generated.PermKey, bool]("generated.PermCache"),
		subjectOf[*generated.StringCache, string, string]("generated.StringCache"),
		subjectOf[*generated.TokenCache, string, *generated.Token]("generated.TokenCache"),
		subjectOf[*generated.Uint64Cache, uint64, uint64]("generated.Uint64Cache"),
	}

	// Every generated cache is a subject: a new one must be added above.
	listed := map[string]bool{}
	for _, s := range subjects {
		listed[s.name] = true
	}
	for _, name := range generatedCaches(t) {
		assert.True(t, listed["generated."+name], "generated.%s is not compared: add it to the subjects of TestMethodSets_Agree", name)
	}

	for _, s := range subjects {
		want := methodSet(s.ref)
		require.NotEmpty(t, want)
		assert.Equal(t, want, methodSet(s.typ), "%s against %s (- shard.Cache, + %s)", s.name, s.ref, s.name)
		assert.Equal(t, want, methodSet(s.itf), "%s against %s (- shard.Cache, + conformance.Cache)", s.itf, s.ref)
	}
}

// TestMethodSet_SeesADifference checks that methodSet tells apart method
// sets that differ by one method and by one signature, so that
// TestMethodSets_Agree cannot pass by comparing nothing.
func TestMethodSet_SeesADifference(t *testing.T) {
	type fewer interface {
		Get(string) (int, bool)
	}
	type more interface {
		Get(string) (int, bool)
		Peek(string) (int, bool)
	}
	type other interface {
		Get(string) (int, error)
	}
	assert.Equal(t, []string{"Get func(string) (int, bool)"}, methodSet(reflect.TypeFor[fewer]()))
	assert.NotEqual(t, methodSet(reflect.TypeFor[fewer]()), methodSet(reflect.TypeFor[more]()))
	assert.NotEqual(t, methodSet(reflect.TypeFor[fewer]()), methodSet(reflect.TypeFor[other]()))
	assert.Equal(t, methodSet(reflect.TypeFor[*shard.Cache[string, int]]()), methodSet(reflect.TypeFor[*core.Cache[string, int]]()),
		"the receiver is left out and core's Stats reads as shard's")
}

// generatedCaches returns the names of the cache types declared in the
// generated files of package generated (those headed "// Code generated").
func generatedCaches(t *testing.T) []string {
	files, err := filepath.Glob("../../generated/*.go")
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		require.NoError(t, err)
		if !ast.IsGenerated(f) {
			continue
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, sp := range g.Specs {
				if ts := sp.(*ast.TypeSpec); ts.Name.IsExported() && strings.HasSuffix(ts.Name.Name, "Cache") {
					names = append(names, ts.Name.Name)
				}
			}
		}
	}
	require.NotEmpty(t, names, "no generated caches found in ../../generated")
	return names
}
