package shardimpl

import (
	"github.com/hotcache/hotcache/internal/core"
	"github.com/hotcache/hotcache/shard"
)

// Engine is the cache machinery shared by shard.Cache and the generated
// caches: the shards, their lock-free indexes, eviction, expiry, loading and
// statistics. Its methods take the key's hash h, computed by the caller with
// the engine's Seed, and have the contracts of the shard.Cache methods of
// the same name; h must be the engine's hash of the key (a different h is a
// bug: the key is stored where later calls will not look). Its Stats
// returns a value that converts to shard.Stats. Sweep is a hook for tests.
type Engine[K comparable, V any] = core.Engine[K, V]

// Seed is the secret that an engine mixes into the hash of every key,
// drawn at random per engine (see Engine.Seed).
//
// The functions below spell the engine's and the seed's types as
// core.Engine and core.Seed, not through these aliases: go/types
// (go1.26) type-checks the instantiation of a generic function whose
// signature names an imported alias with a lazily memoized, unsynchronized
// write, and cachegen's package loading checks packages in parallel
// (TestCachegen_EndToEnd under -race caught it).
type Seed = core.Seed

// NewEngine validates opts and returns an engine whose keys hash as
// hash(e.Seed(), k), with a seed drawn at random for this engine. opts.Hash
// is not used (generated constructors reject it); a nil hash is the default
// hash of K. NewEngine acquires the clock and starts the background sweep of
// expired entries; call Close, or arrange for it with CloseWhenUnreachable.
func NewEngine[K comparable, V any](opts shard.Options[K, V], hash func(core.Seed, K) uint64) (*core.Engine[K, V], error) {
	return core.NewEngine(core.Options[K, V](opts), hash)
}

// CloseWhenUnreachable arranges for e to be closed when owner, the value
// that wraps it, becomes unreachable; e must not refer to owner.
func CloseWhenUnreachable[T any, K comparable, V any](owner *T, e *core.Engine[K, V]) {
	core.CloseWhenUnreachable(owner, e)
}

// MakeSeed returns a new random seed.
func MakeSeed() core.Seed { return core.MakeSeed() }

// HashString returns the seeded hash of s.
func HashString(seed core.Seed, s string) uint64 { return core.HashString(seed, s) }

// HashString8to16 is HashString for 8 <= len(s) <= 16, inlined by the
// compiler (other lengths get a wrong hash). Generated Get methods call it
// for keys of those lengths, HashString for others.
func HashString8to16(seed core.Seed, s string) uint64 { return core.HashString8to16(seed, s) }

// HashBytes returns the seeded hash of b; it equals HashString of string(b).
func HashBytes(seed core.Seed, b []byte) uint64 { return core.HashBytes(seed, b) }

// HashBytes8to16 is HashBytes for 8 <= len(b) <= 16, inlined by the
// compiler (other lengths get a wrong hash); generated caches call it for
// keys of types [8]byte to [16]byte.
func HashBytes8to16(seed core.Seed, b []byte) uint64 { return core.HashBytes8to16(seed, b) }

// HashUint64 returns the seeded hash of x: a mixer of x XOR the seed,
// inlined by the compiler.
func HashUint64(seed core.Seed, x uint64) uint64 { return core.HashUint64(seed, x) }

// Combine folds the hash of a field into the hash h of the fields before it.
func Combine(h, field uint64) uint64 { return core.Combine(h, field) }

// HashBool returns the seeded hash of b.
func HashBool(seed core.Seed, b bool) uint64 { return core.HashBool(seed, b) }

// HashFloat64 returns the seeded hash of f; +0 and -0 hash alike.
func HashFloat64(seed core.Seed, f float64) uint64 { return core.HashFloat64(seed, f) }

// HashComparable returns the seeded hash of v, by hash/maphash.Comparable.
func HashComparable[T comparable](seed core.Seed, v T) uint64 { return core.HashComparable(seed, v) }
