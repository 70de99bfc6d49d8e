// Package p is the package the golden tests generate into.
package p

import (
	"net/netip"

	"github.com/hotcache/hotcache/evict"
)

// PermKey has a field of every kind the generated hash handles.
type PermKey struct {
	User, Registry uint64
	Perm           string
	_              int // blank: == ignores it, so does the hash
	Addr           netip.Addr
	Weight         float32
	Grid           [3][2]int16
	Sum            Digest
	Admin          bool
	Phase          complex64
	Owner          *Token
	Extra          any
	Reason         evict.Reason
	Inner
}

// Inner is embedded in PermKey.
type Inner struct {
	Level Small
	Tags  [2]string
}

// Digest is a sha256 sum.
type Digest [32]byte

// Host is a named string: Get hashes keys of 8 to 16 bytes inline.
type Host string

// UUID is a byte array of 8 to 16 bytes: hashed inline.
type UUID [16]byte

// Small is a named integer.
type Small int8

// Token is a value type.
type Token struct{ V string }

// Pair is generic.
type Pair[A, B any] struct {
	First  A
	Second B
}

// Bad has a slice field.
type Bad struct {
	A int
	S []string
}

// Outer holds a Bad.
type Outer struct {
	ID  int
	Err Bad
}

// Answer is a constant, not a type.
const Answer = 42
