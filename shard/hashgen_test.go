package shard_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/shard"
)

// The helpers generated code calls must hash equal keys equally.
func TestHashHelpers_EqualKeysHashEqual(t *testing.T) {
	negZero := math.Copysign(0, -1)
	assert.Equal(t, shard.HashFloat64(0), shard.HashFloat64(negZero), "+0 and -0")
	assert.NotEqual(t, shard.HashFloat64(1), shard.HashFloat64(2))
	assert.NotEqual(t, shard.HashBool(false), shard.HashBool(true))

	a, b := new(int), new(int)
	assert.Equal(t, shard.HashComparable(a), shard.HashComparable(a))
	assert.NotEqual(t, shard.HashComparable(a), shard.HashComparable(b))
	var x, y any = 1, 1
	assert.Equal(t, shard.HashComparable(x), shard.HashComparable(y), "interfaces with equal dynamic values")
}
