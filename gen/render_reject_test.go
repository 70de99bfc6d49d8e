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
