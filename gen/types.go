package gen

import (
	"fmt"
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// typeCode returns the Go source of t as seen from the generated file's
// package, registering every package it names through use.
func typeCode(t types.Type, here *types.Package, use func(*types.Package)) (jen.Code, error) {
	tc := func(t types.Type) (jen.Code, error) { return typeCode(t, here, use) }
	switch t := t.(type) {
	case *types.Basic:
		if t.Kind() == types.Invalid || t.Info()&types.IsUntyped != 0 {
			return nil, fmt.Errorf("invalid type %s", t)
		}
		if t.Kind() == types.UnsafePointer {
			use(types.Unsafe)
			return jen.Qual("unsafe", "Pointer"), nil
		}
		return jen.Id(t.Name()), nil
	case *types.Named:
		return named(t.Obj(), t.TypeArgs(), here, use)
	case *types.Alias:
		return named(t.Obj(), t.TypeArgs(), here, use)
	case *types.Pointer:
		e, err := tc(t.Elem())
		return jen.Op("*").Add(e), err
	case *types.Slice:
		e, err := tc(t.Elem())
		return jen.Index().Add(e), err
	case *types.Array:
		e, err := tc(t.Elem())
		return jen.Index(jen.Id(strconv.FormatInt(t.Len(), 10))).Add(e), err
	case *types.Map:
		k, err := tc(t.Key())
		if err != nil {
			return nil, err
		}
		v, err := tc(t.Elem())
		return jen.Map(k).Add(v), err
	case *types.Chan:
		e, err := tc(t.Elem())
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(e), err
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(e), err
		}
		return jen.Chan().Add(e), err
	case *types.Signature:
		params, results, err := signature(t, here, use)
		return jen.Func().Params(params...).Params(results...), err
	case *types.Struct:
		fields := make([]jen.Code, t.NumFields())
		for i := range t.NumFields() {
			f := t.Field(i)
			ft, err := tc(f.Type())
			if err != nil {
				return nil, err
			}
			s := jen.Add(ft)
			if !f.Embedded() {
				s = jen.Id(f.Name()).Add(ft)
			}
			if tag := t.Tag(i); tag != "" {
				s.Lit(tag)
			}
			fields[i] = s
		}
		return jen.Struct(fields...), nil
	case *types.Interface:
		if t.IsImplicit() || !t.IsMethodSet() {
			return nil, fmt.Errorf("%s is a constraint, not a type", t)
		}
		var elems []jen.Code
		for i := range t.NumEmbeddeds() {
			e, err := tc(t.EmbeddedType(i))
			if err != nil {
				return nil, err
			}
			elems = append(elems, e)
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			params, results, err := signature(m.Type().(*types.Signature), here, use)
			if err != nil {
				return nil, err
			}
			elems = append(elems, jen.Id(m.Name()).Params(params...).Params(results...))
		}
		return jen.Interface(elems...), nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

// named returns the source of a named type or alias with its type arguments.
func named(obj *types.TypeName, targs *types.TypeList, here *types.Package, use func(*types.Package)) (jen.Code, error) {
	var s *jen.Statement
	switch p := obj.Pkg(); {
	case p == nil || p.Path() == here.Path():
		s = jen.Id(obj.Name())
	case !obj.Exported():
		return nil, fmt.Errorf("%s.%s is not exported", p.Name(), obj.Name())
	default:
		use(p)
		s = jen.Qual(p.Path(), obj.Name())
	}
	if targs.Len() > 0 {
		args := make([]jen.Code, targs.Len())
		for i := range targs.Len() {
			a, err := typeCode(targs.At(i), here, use)
			if err != nil {
				return nil, err
			}
			args[i] = a
		}
		s.Types(args...)
	}
	return s, nil
}

// signature returns the parameter and result types of sig, without names.
func signature(sig *types.Signature, here *types.Package, use func(*types.Package)) (params, results []jen.Code, err error) {
	tuple := func(tu *types.Tuple, variadic bool) ([]jen.Code, error) {
		out := make([]jen.Code, tu.Len())
		for i := range tu.Len() {
			t := tu.At(i).Type()
			if variadic && i == tu.Len()-1 {
				e, err := typeCode(t.(*types.Slice).Elem(), here, use)
				if err != nil {
					return nil, err
				}
				out[i] = jen.Op("...").Add(e)
				continue
			}
			c, err := typeCode(t, here, use)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	if params, err = tuple(sig.Params(), sig.Variadic()); err != nil {
		return nil, nil, err
	}
	results, err = tuple(sig.Results(), false)
	return params, results, err
}

// notComparable explains why t cannot be a key, or returns "" if it can.
// The explanation names the offending part of t as a path from the key:
// "field S has type []string (a slice)", "field In.M has type map[int]int
// (a map)", "element [i] has type func() (a func)", or "it is a slice".
func notComparable(t types.Type, q types.Qualifier) string {
	path, bad := findNotComparable(t, "")
	switch {
	case bad == nil:
		return ""
	case path == "":
		return "it is " + kindName(bad)
	case path[0] == '[':
		return fmt.Sprintf("element %s has type %s (%s)", path, types.TypeString(bad, q), kindName(bad))
	}
	return fmt.Sprintf("field %s has type %s (%s)", path, types.TypeString(bad, q), kindName(bad))
}

// findNotComparable returns the first non-comparable part of t and its path
// (path is t's own path from the key).
func findNotComparable(t types.Type, path string) (string, types.Type) {
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			fp := f.Name()
			if path != "" {
				fp = path + "." + fp
			}
			if p, bad := findNotComparable(f.Type(), fp); bad != nil {
				return p, bad
			}
		}
		return "", nil
	case *types.Array:
		return findNotComparable(u.Elem(), path+"[i]")
	}
	if !types.Comparable(t) {
		return path, t
	}
	return "", nil
}

// kindName says what sort of non-comparable type t is.
func kindName(t types.Type) string {
	switch t.Underlying().(type) {
	case *types.Slice:
		return "a slice"
	case *types.Map:
		return "a map"
	case *types.Signature:
		return "a func"
	}
	return "not comparable"
}

// isConstraint reports whether t is a constraint interface: comparable, or
// an interface with type terms such as ~int | ~string, which Go allows only
// as a type parameter's constraint. (go/types refuses one inside a type
// expression, []comparable, but not a whole expression that names one.)
func isConstraint(t types.Type) bool {
	i, ok := t.Underlying().(*types.Interface)
	return ok && !i.IsMethodSet()
}
