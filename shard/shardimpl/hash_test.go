package shardimpl_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/shard/shardimpl"
)

// The helpers generated code calls must hash equal keys equally.
func TestHashHelpers_EqualKeysHashEqual(t *testing.T) {
	s := shardimpl.MakeSeed()
	negZero := math.Copysign(0, -1)
	assert.Equal(t, shardimpl.HashFloat64(s, 0), shardimpl.HashFloat64(s, negZero), "+0 and -0")
	assert.NotEqual(t, shardimpl.HashFloat64(s, 1), shardimpl.HashFloat64(s, 2))
	assert.NotEqual(t, shardimpl.HashBool(s, false), shardimpl.HashBool(s, true))
	assert.Equal(t, shardimpl.HashString(s, "abc"), shardimpl.HashBytes(s, []byte("abc")), "a string and its bytes")
	for _, k := range []string{"8 bytes.", "twelve bytes", "sixteen bytes..."} {
		assert.Equal(t, shardimpl.HashString(s, k), shardimpl.HashString8to16(s, k), "%q: the inlined form", k)
		assert.Equal(t, shardimpl.HashString(s, k), shardimpl.HashBytes8to16(s, []byte(k)), "%q: the inlined form of bytes", k)
	}

	a, b := new(int), new(int)
	assert.Equal(t, shardimpl.HashComparable(s, a), shardimpl.HashComparable(s, a))
	assert.NotEqual(t, shardimpl.HashComparable(s, a), shardimpl.HashComparable(s, b))
	var x, y any = 1, 1
	assert.Equal(t, shardimpl.HashComparable(s, x), shardimpl.HashComparable(s, y), "interfaces with equal dynamic values")
}

// Every helper depends on the seed: two seeds hash the same key apart.
func TestHashHelpers_DependOnSeed(t *testing.T) {
	s1, s2 := shardimpl.MakeSeed(), shardimpl.MakeSeed()
	p := new(int)
	for name, h := range map[string]func(shardimpl.Seed) uint64{
		"HashUint64":      func(s shardimpl.Seed) uint64 { return shardimpl.HashUint64(s, 7) },
		"HashString":      func(s shardimpl.Seed) uint64 { return shardimpl.HashString(s, "registry.example.com") },
		"HashBytes":       func(s shardimpl.Seed) uint64 { return shardimpl.HashBytes(s, []byte{1, 2, 3}) },
		"HashString8to16": func(s shardimpl.Seed) uint64 { return shardimpl.HashString8to16(s, "ghcr.io/a") },
		"HashBytes8to16":  func(s shardimpl.Seed) uint64 { return shardimpl.HashBytes8to16(s, make([]byte, 16)) },
		"HashBool":        func(s shardimpl.Seed) uint64 { return shardimpl.HashBool(s, true) },
		"HashFloat64":     func(s shardimpl.Seed) uint64 { return shardimpl.HashFloat64(s, 1.5) },
		"HashComparable":  func(s shardimpl.Seed) uint64 { return shardimpl.HashComparable(s, p) },
	} {
		assert.Equal(t, h(s1), h(s1), "%s is deterministic", name)
		assert.NotEqual(t, h(s1), h(s2), "%s ignores the seed", name)
	}
}
