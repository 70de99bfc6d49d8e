package core

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// Seed is the secret that a cache mixes into the hash of every key. Every
// cache draws its own at random when it is built (see [Engine.Seed]), so
// that where a key lands — its shard, its bucket, its tag — differs from
// cache to cache and from run to run, and no set of keys can be computed in
// advance to pile up in one bucket chain (hash flooding: keys chosen by a
// client, all in one chain, make every Get and Set walk it).
//
// The hash helpers below take the cache's Seed; generated caches call them
// with it. Build a Seed with [MakeSeed]; the zero Seed is not usable: the helpers for strings, byte arrays
// and other comparable types panic on it, as hash/maphash does.
type Seed struct {
	word   uint64 // XORed into integer keys before the mixer; the string hash's first secret
	s0, s1 uint64 // the string hash's next secrets (hashMid's; see strhash.go)
	// more holds what only the calls behind the inlined paths read. Seed
	// has four fields and no array, so that the compiler keeps a Seed
	// passed by value to an inlined hash in registers: with the secrets in
	// an array, every inlined HashUint64 copied all 48 bytes to the stack
	// (6 vector moves and a larger frame in every Get).
	more *seedMore
}

// seedMore is the part of a Seed that long strings and other key types use.
type seedMore struct {
	s2, s3 uint64       // the string hash's last secrets (hashOther, 33 bytes and more)
	rt     maphash.Seed // seeds hash/maphash for everything else
}

// noMore is the zero Seed's seedMore: zero secrets, as the zero Seed has
// everywhere else (hash/maphash refuses its zero seed, as before).
var noMore seedMore

// rest returns s.more, or noMore for the zero Seed.
func (s Seed) rest() *seedMore {
	if s.more == nil {
		return &noMore
	}
	return s.more
}

// MakeSeed returns a new random seed. Caches make their own; a custom
// Options.Hash built from the helpers below can use one too.
//
// The integer part comes from math/rand/v2's global generator (ChaCha8,
// seeded by the runtime from the operating system), so it cannot be
// predicted from other random values the process reveals.
func MakeSeed() Seed {
	return Seed{
		word: rand.Uint64(),
		s0:   rand.Uint64(),
		s1:   rand.Uint64(),
		more: &seedMore{s2: rand.Uint64(), s3: rand.Uint64(), rt: maphash.MakeSeed()},
	}
}

// HashString hashes s under seed. It is the default hash of string keys
// and the one generated caches call: one call, whatever the length (see
// HashString8to16 for the inlined form that Get uses).
//
// It is a wyhash-style hash (after Wang Yi's wyhash: the primitive is the
// 64×64→128-bit product of two key words, each XORed with a secret,
// folded to 64 bits) whose five secrets are all drawn at random per seed,
// so that no key can be chosen to zero a product (wyhash's secrets are
// public constants, which allows that: see flood.ZeroProductKeys) or to
// collide under every seed. It won against hash/maphash (AES-based on
// amd64) and XXH64 with a seed (the hash the design first named, one-shot
// as cespare/xxhash/v2's streaming NewWithSeed would compute it) in
// BenchmarkStringHash: the three in turn in one process, blocks of 1024
// keys, median ns per hash of 5 runs on a shared 2-core amd64; "latency"
// hashes the key the previous hash picks (through a func value), as a
// Get's lookup waits for its hash:
//
//	bytes             8     16     24     32     48     64    100
//	this            2.1    2.2    3.3    3.3    3.8    4.2    5.9
//	maphash         4.4    4.4    4.2    4.1    4.4    4.4    5.8
//	XXH64           3.3    4.6    5.7    8.6   11.4   10.9   14.1
//	this, latency   6.6    6.8    7.4    7.5    7.6    8.1   10.7
//	maphash, lat.  10.4   10.1   11.0   11.0   12.3   12.1   13.4
//	XXH64, lat.     9.5   11.3   13.0   16.7   21.6   20.1   23.6
//
// Why: maphash pays three nested calls that do not inline
// (maphash.String, its runtime hook, the AES routine) before any work,
// which dominates short keys, though its AES rounds catch up by 64 bytes;
// XXH64 folds 8 bytes at a time into one dependent chain of
// multiply-rotate rounds, then a 5-step avalanche. This hash takes two
// dependent multiplications for 8 to 16 bytes, with no call
// (HashString8to16 costs 60 of the inliner's budget of 80), and up to 64 bytes
// the four products of the 16-byte blocks are independent, so their
// latencies overlap. Through Cache.Get, which writes the 8–16-byte case
// out, a hit took 0.83–0.94× the time of one hashing with maphash
// (BenchmarkCacheGetStringVsMaphash in shard, 8–64 bytes); against the
// Get of before, built separately and run in alternation, 0.67× at 8
// bytes, 0.90× at 16, and 1.0–1.12× (within the noise of a busy machine)
// from 24 to 64 bytes, where the hash is no longer the larger cost.
func HashString(seed Seed, s string) uint64 {
	return hashOther(seed, unsafe.Pointer(unsafe.StringData(s)), len(s))
}

// HashString8to16 is HashString for strings of 8 to 16 bytes (others get
// a wrong hash), inlined. Engine.GetKey (the Get of shard.Cache and of
// generated caches with string keys) hashes a key as
//
//	switch n := len(s); {
//	case n >= 8 && n <= 16:
//		h = HashString8to16(seed, s) // no call
//	case n > 16 && n <= 32:
//		h = hashPair(seed, p, n), written out // no call
//	default:
//		h = HashString(seed, s) // one call
//	}
//
// For 24-byte keys (the benchmarks' string keys) writing hashPair out took
// a Get hit from 186 to 157 instructions (cachegrind, one hot key set).
func HashString8to16(seed Seed, s string) uint64 {
	return hashMid(seed, unsafe.Pointer(unsafe.StringData(s)), len(s))
}

// HashBytes hashes b as [HashString] would hash string(b); byte-array keys
// use it.
func HashBytes(seed Seed, b []byte) uint64 {
	return hashOther(seed, unsafe.Pointer(unsafe.SliceData(b)), len(b))
}

// HashBytes8to16 is HashBytes for 8 to 16 bytes, inlined, as
// HashString8to16 is HashString's: generated caches call it for keys of
// types [8]byte to [16]byte.
func HashBytes8to16(seed Seed, b []byte) uint64 {
	return hashMid(seed, unsafe.Pointer(unsafe.SliceData(b)), len(b))
}

// HashUint64 hashes x under seed: x XOR the seed's secret word, mixed by the
// finalizer of SplitMix64 (Stafford's variant 13), a bijection in which every
// input bit affects every output bit. Integer keys of every width use it,
// converted to uint64. It is small enough to be inlined.
//
// The mixer is public and invertible, but its input is not known to anyone
// who does not know the seed: the keys that collide under one cache's seed
// are unrelated to those that collide under another's.
func HashUint64(seed Seed, x uint64) uint64 {
	x ^= seed.word
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// mix is HashUint64's mixer without a seed, for folding hashes that are
// seeded already.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Combine folds the hash of one more field into h, for struct keys:
// Combine(Combine(h0, h1), h2) differs from Combine(Combine(h0, h2), h1).
// It needs no seed: the hashes it folds were seeded (h starts as the hash of
// the first field).
func Combine(h, field uint64) uint64 {
	return mix(h ^ (field + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)))
}

// HashBool hashes b under seed; struct keys with bool fields use it.
func HashBool(seed Seed, b bool) uint64 {
	if b {
		return HashUint64(seed, 1)
	}
	return HashUint64(seed, 0)
}

// HashFloat64 hashes f under seed so that keys that compare equal hash
// equal: +0 and -0 hash alike. (NaN never equals itself, so its hash does not
// matter.) Float keys of both widths use it, and complex keys for each part.
func HashFloat64(seed Seed, f float64) uint64 {
	if f == 0 {
		f = 0 // -0 == 0: one bit pattern for both
	}
	return HashUint64(seed, math.Float64bits(f))
}

// HashComparable hashes v with hash/maphash under seed. Generated caches use
// it for key parts they have no specialized hash for: pointers, channels,
// interfaces, and structs of another package with unexported fields. Like
// ==, it panics on an interface holding a non-comparable dynamic value.
func HashComparable[T comparable](seed Seed, v T) uint64 {
	return maphash.Comparable(seed.rest().rt, v)
}

// KeyKind classifies key types whose hash shard.Cache calls directly.
type KeyKind uint8

const (
	KindOther  KeyKind = iota // the default hash, through Cache.hash
	KindWord                  // underlying type is a 64-bit integer: HashUint64, inlined
	KindString                // underlying type is string: HashString
	KindUser                  // Options.Hash, through Cache.user
)

// KindOf returns K's KeyKind (never KindUser).
func KindOf[K comparable]() KeyKind {
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return KindString
	case reflect.Int64, reflect.Uint64:
		return KindWord
	case reflect.Int, reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return KindWord
		}
	}
	return KindOther
}

// DefaultHash returns the hash used when Options.Hash is nil.
func DefaultHash[K comparable]() func(Seed, K) uint64 {
	var zero K
	// Safety (every unsafe.Pointer conversion below): the case, or the
	// reflect.Kind and size checked before it, guarantees that K's
	// underlying type is the type k is read as.
	switch any(zero).(type) {
	case string:
		return func(s Seed, k K) uint64 { return HashString(s, *(*string)(unsafe.Pointer(&k))) }
	case int:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*int)(unsafe.Pointer(&k)))) }
	case int64:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*int64)(unsafe.Pointer(&k)))) }
	case int32:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*int32)(unsafe.Pointer(&k)))) }
	case uint:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uint)(unsafe.Pointer(&k)))) }
	case uint64:
		return func(s Seed, k K) uint64 { return HashUint64(s, *(*uint64)(unsafe.Pointer(&k))) }
	case uint32:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uint32)(unsafe.Pointer(&k)))) }
	case uintptr:
		return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uintptr)(unsafe.Pointer(&k)))) }
	}
	// Named types and byte arrays: look at the underlying kind.
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return func(s Seed, k K) uint64 { return HashString(s, *(*string)(unsafe.Pointer(&k))) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch t.Size() {
		case 8:
			return func(s Seed, k K) uint64 { return HashUint64(s, *(*uint64)(unsafe.Pointer(&k))) }
		case 4:
			return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uint32)(unsafe.Pointer(&k)))) }
		case 2:
			return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uint16)(unsafe.Pointer(&k)))) }
		case 1:
			return func(s Seed, k K) uint64 { return HashUint64(s, uint64(*(*uint8)(unsafe.Pointer(&k)))) }
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			n := t.Len()
			return func(s Seed, k K) uint64 { return HashBytes(s, unsafe.Slice((*byte)(unsafe.Pointer(&k)), n)) }
		}
	}
	return func(s Seed, k K) uint64 { return maphash.Comparable(s.rest().rt, k) }
}
