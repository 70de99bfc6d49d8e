package gen

import (
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// hasher builds the body of a key type's hash: the hash of each leaf of the
// key (a string, a number, a byte array...) under the cache's seed, folded
// into h with shardimpl.Combine, struct fields in order, array elements by a
// loop.
type hasher struct {
	here     *types.Package
	body     []jen.Code
	declared bool     // whether h has been declared
	first    jen.Code // the first leaf, if it declared h
}

// hashBody returns the statements of `func (seed shardimpl.Seed, k K) uint64`
// for key type t.
//
//	return shardimpl.HashString(seed, k)                      // a single leaf
//
//	h := shardimpl.HashUint64(seed, k.User)                   // a struct
//	h = shardimpl.Combine(h, shardimpl.HashString(seed, k.Perm))
//	for i0 := range k.Parts {
//		h = shardimpl.Combine(h, shardimpl.HashUint64(seed, uint64(k.Parts[i0])))
//	}
//	return h
func hashBody(t types.Type, here *types.Package) []jen.Code {
	if e := leaf(seedParam, key, t, here); e != nil {
		return []jen.Code{jen.Return(e)}
	}
	hs := &hasher{here: here}
	hs.walk(&hs.body, key, t, 0)
	switch {
	case !hs.declared:
		return []jen.Code{jen.Return(jen.Lit(0))} // struct{} or [0]T: one value
	case len(hs.body) == 1 && hs.first != nil:
		return []jen.Code{jen.Return(hs.first)} // a struct of one leaf
	}
	return append(hs.body, jen.Return(jen.Id("h")))
}

// key and seedParam are the hash function's parameters.
func key() *jen.Statement       { return jen.Id("k") }
func seedParam() *jen.Statement { return jen.Id("seed") }

// walk appends to out the statements folding x (of type t) into h; depth
// numbers the loop variables.
func (hs *hasher) walk(out *[]jen.Code, x func() *jen.Statement, t types.Type, depth int) {
	if e := leaf(seedParam, x, t, hs.here); e != nil {
		if !hs.declared {
			*out = append(*out, jen.Id("h").Op(":=").Add(e))
			hs.declared, hs.first = true, e
			return
		}
		*out = append(*out, jen.Id("h").Op("=").Qual(implPath, "Combine").Call(jen.Id("h"), e))
		return
	}
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			if f.Name() == "_" { // == ignores blank fields, so must the hash
				continue
			}
			hs.walk(out, func() *jen.Statement { return x().Dot(f.Name()) }, f.Type(), depth)
		}
	case *types.Array:
		if u.Len() == 0 {
			return
		}
		if !hs.declared {
			*out = append(*out, jen.Var().Id("h").Uint64())
			hs.declared = true
		}
		i := "i" + strconv.Itoa(depth)
		var loop []jen.Code
		hs.walk(&loop, func() *jen.Statement { return x().Index(jen.Id(i)) }, u.Elem(), depth+1)
		if len(loop) > 0 {
			*out = append(*out, jen.For(jen.Id(i).Op(":=").Range().Add(x())).Block(loop...))
		}
	}
}

// leaf returns the expression hashing x of type t under the seed that seed
// names when t hashes as a whole, or nil for a struct or array to hash part
// by part.
func leaf(seed, x func() *jen.Statement, t types.Type, here *types.Package) jen.Code {
	hash := func(fn string, basic types.BasicKind) jen.Code {
		arg := x()
		if !types.Identical(t, types.Typ[basic]) {
			arg = jen.Id(types.Typ[basic].Name()).Call(arg)
		}
		return jen.Qual(implPath, fn).Call(seed(), arg)
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		info := u.Info()
		switch {
		case u.Kind() == types.UnsafePointer:
			return jen.Qual(implPath, "HashComparable").Call(seed(), x())
		case info&types.IsBoolean != 0:
			return hash("HashBool", types.Bool)
		case info&types.IsString != 0:
			return hash("HashString", types.String)
		case info&types.IsInteger != 0:
			return hash("HashUint64", types.Uint64)
		case info&types.IsFloat != 0:
			return hash("HashFloat64", types.Float64)
		case info&types.IsComplex != 0:
			part := func(fn string) jen.Code {
				p := jen.Id(fn).Call(x())
				if u.Kind() != types.Complex128 {
					p = jen.Float64().Call(p)
				}
				return jen.Qual(implPath, "HashFloat64").Call(seed(), p)
			}
			return jen.Qual(implPath, "Combine").Call(part("real"), part("imag"))
		}
	case *types.Array:
		if types.Identical(u.Elem(), types.Typ[types.Uint8]) {
			if u.Len() >= 8 && u.Len() <= 16 { // inlined; equal to HashBytes
				return jen.Qual(implPath, "HashBytes8to16").Call(seed(), x().Index(jen.Op(":")))
			}
			return jen.Qual(implPath, "HashBytes").Call(seed(), x().Index(jen.Op(":")))
		}
		return nil
	case *types.Struct:
		for i := range u.NumFields() {
			if f := u.Field(i); f.Name() != "_" && !f.Exported() && f.Pkg().Path() != here.Path() {
				// Fields the generated code cannot name: hash the whole.
				return jen.Qual(implPath, "HashComparable").Call(seed(), x())
			}
		}
		return nil
	}
	// Pointers, channels, interfaces.
	return jen.Qual(implPath, "HashComparable").Call(seed(), x())
}

// shortString returns, for a key type t whose underlying type is string,
// the expression hashing x when its length is 8 to 16 bytes, which the
// compiler inlines (shardimpl.HashString8to16, equal to HashString for
// those lengths); nil for other types. Get hashes such keys with it:
//
//	if n := len(key); n >= 8 && n <= 16 {
//		return c.e.Get(shardimpl.HashString8to16(c.seed, key), key)
//	}
//	return c.e.Get(shardimpl.HashString(c.seed, key), key)
func shortString(seed, x func() *jen.Statement, t types.Type) jen.Code {
	if u, ok := t.Underlying().(*types.Basic); !ok || u.Info()&types.IsString == 0 {
		return nil
	}
	arg := x()
	if !types.Identical(t, types.Typ[types.String]) {
		arg = jen.String().Call(arg)
	}
	return jen.Qual(implPath, "HashString8to16").Call(seed(), arg)
}
