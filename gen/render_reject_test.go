package gen_test

import (
	"go/types"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/gen"
)

// Render, the library path, refuses what cachegen refuses (issue 17): a
// constraint as a type, and an unexported name starting with a non-ASCII
// letter, with messages that name the problem and no source dump.
func TestRender_RefusesConstraintsAndNonASCIIUnexportedNames(t *testing.T) {
	pkg := types.NewPackage("example.com/q", "q")
	comparable := types.Universe.Lookup("comparable").Type()
	str := types.Typ[types.String]
	for _, tc := range []struct {
		spec gen.Spec
		want string
	}{
		{gen.Spec{Pkg: pkg, Name: "C", Key: comparable, Value: str},
			"cachegen: key type comparable is a constraint, not a type: it can only constrain a type parameter"},
		{gen.Spec{Pkg: pkg, Name: "C", Key: str, Value: comparable},
			"cachegen: value type comparable is a constraint, not a type: it can only constrain a type parameter"},
		{gen.Spec{Pkg: pkg, Name: "éclairCache", Key: str, Value: str},
			`cachegen: "éclairCache" cannot name the generated type: it starts with the non-ASCII lower-case letter é: an unexported name must start with an ASCII letter or _`},
	} {
		_, err := gen.Render(tc.spec)
		if assert.Error(t, err) {
			assert.Equal(t, tc.want, err.Error())
		}
	}
	assert.Equal(t, "newÉclairCache", gen.Config{Name: "éclairCache"}.Constructor(), "a letter, not a byte, is upper-cased")
}

// Issue 17 item 7: Render refuses a name that would stop the package from
// building: init anywhere, main in package main, a predeclared identifier.
// main is an ordinary name in any other package.
func TestRender_RefusesNamesThatBreakThePackage(t *testing.T) {
	str := types.Typ[types.String]
	q, main := types.NewPackage("example.com/q", "q"), types.NewPackage("example.com/cmd", "main")
	for _, tc := range []struct {
		pkg  *types.Package
		name string
		want string
	}{
		{q, "init", `cachegen: "init" cannot name the generated type: a package can declare init only as init functions`},
		{main, "init", `cachegen: "init" cannot name the generated type: a package can declare init only as init functions`},
		{main, "main", `cachegen: "main" cannot name the generated type: package main can declare main only as its main function`},
		{q, "string", `cachegen: "string" cannot name the generated type: it would shadow the predeclared identifier string`},
		{q, "len", `cachegen: "len" cannot name the generated type: it would shadow the predeclared identifier len`},
		{q, "any", `cachegen: "any" cannot name the generated type: it would shadow the predeclared identifier any`},
		{q, "_", `cachegen: "_" cannot name the generated type`},
		{q, "func", `cachegen: "func" cannot name the generated type`},
	} {
		_, err := gen.Render(gen.Spec{Pkg: tc.pkg, Name: tc.name, Key: str, Value: str})
		if assert.Error(t, err, "%s in package %s", tc.name, tc.pkg.Name()) {
			assert.Equal(t, tc.want, err.Error())
		}
	}
	src, err := gen.Render(gen.Spec{Pkg: q, Name: "main", Key: str, Value: str})
	if assert.NoError(t, err, "main names a type in a package other than main") {
		assert.Contains(t, string(src), "type main struct")
	}
	assert.EqualError(t, gen.Config{Name: "init", Key: "string", Value: "int"}.Validate(),
		"cachegen: -name=init cannot name the generated type: a package can declare init only as init functions")
}
