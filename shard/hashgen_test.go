package shard_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/shard"
)

// The helpers generated code calls must hash equal keys equally.
func TestHashHelpers_EqualKeysHashEqual(t *testing.T) {
	s := shard.MakeSeed()
	negZero := math.Copysign(0, -1)
	assert.Equal(t, shard.HashFloat64(s, 0), shard.HashFloat64(s, negZero), "+0 and -0")
	assert.NotEqual(t, shard.HashFloat64(s, 1), shard.HashFloat64(s, 2))
	assert.NotEqual(t, shard.HashBool(s, false), shard.HashBool(s, true))
	assert.Equal(t, shard.HashString(s, "abc"), shard.HashBytes(s, []byte("abc")), "a string and its bytes")

	a, b := new(int), new(int)
	assert.Equal(t, shard.HashComparable(s, a), shard.HashComparable(s, a))
	assert.NotEqual(t, shard.HashComparable(s, a), shard.HashComparable(s, b))
	var x, y any = 1, 1
	assert.Equal(t, shard.HashComparable(s, x), shard.HashComparable(s, y), "interfaces with equal dynamic values")
}

// Every helper depends on the seed: two seeds hash the same key apart.
func TestHashHelpers_DependOnSeed(t *testing.T) {
	s1, s2 := shard.MakeSeed(), shard.MakeSeed()
	p := new(int)
	for name, h := range map[string]func(shard.Seed) uint64{
		"HashUint64":     func(s shard.Seed) uint64 { return shard.HashUint64(s, 7) },
		"HashString":     func(s shard.Seed) uint64 { return shard.HashString(s, "registry.example.com") },
		"HashBytes":      func(s shard.Seed) uint64 { return shard.HashBytes(s, []byte{1, 2, 3}) },
		"HashBool":       func(s shard.Seed) uint64 { return shard.HashBool(s, true) },
		"HashFloat64":    func(s shard.Seed) uint64 { return shard.HashFloat64(s, 1.5) },
		"HashComparable": func(s shard.Seed) uint64 { return shard.HashComparable(s, p) },
	} {
		assert.Equal(t, h(s1), h(s1), "%s is deterministic", name)
		assert.NotEqual(t, h(s1), h(s2), "%s ignores the seed", name)
	}
}
