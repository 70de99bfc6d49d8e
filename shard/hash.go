package shard

import (
	"hash/maphash"
	"math"
	"reflect"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// HashString hashes s with xxhash. It is the default hash of string keys and
// the one generated caches call.
func HashString(s string) uint64 { return xxhash.Sum64String(s) }

// HashBytes hashes b with xxhash, as for [HashString]; byte-array keys use it.
func HashBytes(b []byte) uint64 { return xxhash.Sum64(b) }

// HashUint64 mixes x into a well-spread 64-bit hash (the finalizer of
// SplitMix64 / Stafford's variant 13). Integer keys of every width use it,
// converted to uint64.
func HashUint64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Combine folds the hash of one more field into h, for struct keys:
// Combine(Combine(seed, h1), h2) differs from Combine(Combine(seed, h2), h1).
func Combine(h, field uint64) uint64 {
	return HashUint64(h ^ (field + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)))
}

// HashBool hashes b; struct keys with bool fields use it.
func HashBool(b bool) uint64 {
	if b {
		return HashUint64(1)
	}
	return HashUint64(0)
}

// HashFloat64 hashes f so that keys that compare equal hash equal: +0 and
// -0 hash alike. (NaN never equals itself, so its hash does not matter.)
// Float keys of both widths use it, and complex keys for each part.
func HashFloat64(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 == 0: one bit pattern for both
	}
	return HashUint64(math.Float64bits(f))
}

// comparableSeed seeds [HashComparable] for the life of the process.
var comparableSeed = maphash.MakeSeed()

// HashComparable hashes v with hash/maphash. Generated caches use it for key
// parts they have no specialized hash for: pointers, channels, interfaces,
// and structs of another package with unexported fields. Like ==, it panics
// on an interface holding a non-comparable dynamic value.
func HashComparable[T comparable](v T) uint64 { return maphash.Comparable(comparableSeed, v) }

// keyKind classifies key types whose default hash Cache calls directly.
type keyKind uint8

const (
	kindOther  keyKind = iota
	kindWord           // underlying type is a 64-bit integer
	kindString         // underlying type is string
)

func kindOf[K comparable]() keyKind {
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Int64, reflect.Uint64:
		return kindWord
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return kindWord
		}
	}
	return kindOther
}

// defaultHash returns the hash used when Options.Hash is nil.
func defaultHash[K comparable]() func(K) uint64 {
	var zero K
	switch any(zero).(type) {
	case string:
		return func(k K) uint64 { return HashString(*(*string)(unsafe.Pointer(&k))) }
	case int:
		return func(k K) uint64 { return HashUint64(uint64(*(*int)(unsafe.Pointer(&k)))) }
	case int64:
		return func(k K) uint64 { return HashUint64(uint64(*(*int64)(unsafe.Pointer(&k)))) }
	case int32:
		return func(k K) uint64 { return HashUint64(uint64(*(*int32)(unsafe.Pointer(&k)))) }
	case uint:
		return func(k K) uint64 { return HashUint64(uint64(*(*uint)(unsafe.Pointer(&k)))) }
	case uint64:
		return func(k K) uint64 { return HashUint64(*(*uint64)(unsafe.Pointer(&k))) }
	case uint32:
		return func(k K) uint64 { return HashUint64(uint64(*(*uint32)(unsafe.Pointer(&k)))) }
	case uintptr:
		return func(k K) uint64 { return HashUint64(uint64(*(*uintptr)(unsafe.Pointer(&k)))) }
	}
	// Named types and byte arrays: look at the underlying kind.
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return func(k K) uint64 { return HashString(*(*string)(unsafe.Pointer(&k))) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch t.Size() {
		case 8:
			return func(k K) uint64 { return HashUint64(*(*uint64)(unsafe.Pointer(&k))) }
		case 4:
			return func(k K) uint64 { return HashUint64(uint64(*(*uint32)(unsafe.Pointer(&k)))) }
		case 2:
			return func(k K) uint64 { return HashUint64(uint64(*(*uint16)(unsafe.Pointer(&k)))) }
		case 1:
			return func(k K) uint64 { return HashUint64(uint64(*(*uint8)(unsafe.Pointer(&k)))) }
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			n := t.Len()
			return func(k K) uint64 { return HashBytes(unsafe.Slice((*byte)(unsafe.Pointer(&k)), n)) }
		}
	}
	seed := maphash.MakeSeed()
	return func(k K) uint64 { return maphash.Comparable(seed, k) }
}
