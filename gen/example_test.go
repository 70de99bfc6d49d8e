package gen_test

import (
	"fmt"
	"go/token"
	"go/types"
	"strings"

	"github.com/hotcache/hotcache/gen"
)

// Render a cache for a struct key built with go/types, and show its hash:
// one shard helper per field, folded with shard.Combine.
func ExampleRender() {
	pkg := types.NewPackage("example.com/perms", "perms")
	field := func(name string, kind types.BasicKind) *types.Var {
		return types.NewField(token.NoPos, pkg, name, types.Typ[kind], false)
	}
	permKey := types.NewNamed(types.NewTypeName(token.NoPos, pkg, "PermKey", nil),
		types.NewStruct([]*types.Var{field("User", types.Uint64), field("Registry", types.Uint64), field("Perm", types.String)}, nil), nil)

	src, err := gen.Render(gen.Spec{
		Pkg:     pkg,
		Name:    "PermCache",
		Key:     permKey,
		Value:   types.Typ[types.Bool],
		Command: "cachegen -name=PermCache -key=PermKey -value=bool",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, hash, _ := strings.Cut(string(src), "func (*PermCache) hash")
	hash, _, _ = strings.Cut(hash, "\n}\n")
	fmt.Printf("func (*PermCache) hash%s\n}\n", hash)
	// Output:
	// func (*PermCache) hash(seed shard.Seed, k PermKey) uint64 {
	// 	h := shard.HashUint64(seed, k.User)
	// 	h = shard.Combine(h, shard.HashUint64(seed, k.Registry))
	// 	h = shard.Combine(h, shard.HashString(seed, k.Perm))
	// 	return h
	// }
}
