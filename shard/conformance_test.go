package shard_test

import (
	"strconv"
	"testing"

	"github.com/hotcache/hotcache/internal/conformance"
	"github.com/hotcache/hotcache/shard"
)

func newCache[K comparable, V any](o shard.Options[K, V]) (conformance.Cache[K, V], error) {
	c, err := shard.New(o)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return c, nil
}

// hashOf is Suite.HashOf for shard.Cache: the hash of the cache under test,
// seeded per cache.
func hashOf[K comparable, V any](c conformance.Cache[K, V]) func(K) uint64 {
	return shard.CacheHash(c.(*shard.Cache[K, V]))
}

func stringSuite() conformance.Suite[string, string] {
	return conformance.Suite[string, string]{
		New:    newCache[string, string],
		Key:    func(i int) string { return "key-" + strconv.Itoa(i) },
		Val:    func(i int) string { return "val-" + strconv.Itoa(i) },
		HashOf: hashOf[string, string],
	}
}

func TestCacheConformance_String(t *testing.T) { conformance.Run(t, stringSuite()) }

func TestCacheConformance_Uint64(t *testing.T) {
	conformance.Run(t, conformance.Suite[uint64, uint64]{
		New:    newCache[uint64, uint64],
		Key:    func(i int) uint64 { return uint64(i) },
		Val:    func(i int) uint64 { return uint64(i) * 3 },
		HashOf: hashOf[uint64, uint64],
	})
}

// Every key collides: the index degenerates into one chain per shard, and
// full key comparison alone must keep entries apart.
func TestCacheConformance_ConstantHash(t *testing.T) {
	s := stringSuite()
	s.New = func(o shard.Options[string, string]) (conformance.Cache[string, string], error) {
		o.Hash = func(string) uint64 { return 42 }
		return newCache(o)
	}
	s.HashOf = func(conformance.Cache[string, string]) func(string) uint64 {
		return func(string) uint64 { return 42 }
	}
	conformance.Run(t, s)
}

type pair struct {
	A uint32
	B string
}

func TestCacheConformance_StructKeyBytesValue(t *testing.T) {
	conformance.Run(t, conformance.Suite[pair, []byte]{
		New: newCache[pair, []byte],
		Key: func(i int) pair { return pair{uint32(i % 7), strconv.Itoa(i)} },
		Val: func(i int) []byte { return []byte(strconv.Itoa(i)) },
	})
}

// Pointer values are updated in place (atomic pointer stores).
func TestCacheConformance_PointerValue(t *testing.T) {
	conformance.Run(t, conformance.Suite[string, *int]{
		New:    newCache[string, *int],
		Key:    func(i int) string { return strconv.Itoa(i) },
		Val:    func(i int) *int { return &i },
		HashOf: hashOf[string, *int],
	})
}

// float32 values are updated in place with 32-bit atomic stores.
func TestCacheConformance_Float32Value(t *testing.T) {
	conformance.Run(t, conformance.Suite[int, float32]{
		New: newCache[int, float32],
		Key: func(i int) int { return i },
		Val: func(i int) float32 { return float32(i) / 3 },
	})
}
