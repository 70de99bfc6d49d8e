package generated

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/flood"
	"github.com/hotcache/hotcache/shard"
)

// assertHashesSpread checks that hashes spread over shards (top 4 bits) and
// buckets (low 10 bits) as random ones would: 10,000 hashes over 16,384
// cells put at most 12 in one cell, but for odds below 1e-8.
func assertHashesSpread(t *testing.T, hashes []uint64) {
	t.Helper()
	cells := map[uint64]int{}
	most := 0
	for _, h := range hashes {
		cell := h>>60<<10 | h&1023
		cells[cell]++
		most = max(most, cells[cell])
	}
	assert.LessOrEqual(t, most, 12, "most hashes in one shard and bucket")
}

// TestHashFlood_Uint64Cache (issue 10): the generated hash is seeded per
// cache, so the 10,000 keys computed to collide under the unseeded integer
// mixer (one shard, one bucket, one tag) spread.
func TestHashFlood_Uint64Cache(t *testing.T) {
	c, err := NewUint64Cache(shard.Options[uint64, uint64]{Capacity: 16})
	require.NoError(t, err)
	defer c.Close()
	var hashes []uint64
	for _, k := range flood.Uint64Keys(10_000) {
		hashes = append(hashes, c.hash(c.seed, k))
	}
	assertHashesSpread(t, hashes)
}

// TestHashFlood_StringCache: the same for 10,000 strings that collided under
// the unseeded string hash (XXH64, seed 0).
func TestHashFlood_StringCache(t *testing.T) {
	c, err := NewStringCache(shard.Options[string, string]{Capacity: 16})
	require.NoError(t, err)
	defer c.Close()
	var hashes []uint64
	for _, k := range flood.StringKeys(10_000) {
		hashes = append(hashes, c.hash(c.seed, k))
	}
	assertHashesSpread(t, hashes)
}

// TestHashFlood_StringCacheZeroProduct (issue 22): keys built to collide
// under the string hash with zero secrets spread, through the hash that
// Get writes out for 16 bytes and the one of 32 to 64; and Get finds each
// key that Set stored (the two agree).
func TestHashFlood_StringCacheZeroProduct(t *testing.T) {
	for _, length := range []int{16, 32, 64} {
		c, err := NewStringCache(shard.Options[string, string]{Capacity: 100})
		require.NoError(t, err)
		var hashes []uint64
		keys := flood.ZeroProductKeys(10_000, length)
		for _, k := range keys {
			hashes = append(hashes, c.hash(c.seed, k))
		}
		assertHashesSpread(t, hashes)
		c.Set(keys[0], "v")
		v, ok := c.Get(keys[0])
		assert.True(t, ok && v == "v", "length %d: Get finds what Set stored", length)
		require.NoError(t, c.Close())
	}
}

// TestSeed_GeneratedPerCache: every generated cache draws its own seed, the
// one its engine holds, and its hash depends on it, struct keys included.
func TestSeed_GeneratedPerCache(t *testing.T) {
	a, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 16})
	require.NoError(t, err)
	b, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 16})
	require.NoError(t, err)
	defer a.Close()
	defer b.Close()
	assert.Equal(t, a.e.Seed(), a.seed)
	assert.NotEqual(t, a.seed, b.seed)
	k := permKey(1)
	assert.Equal(t, a.hash(a.seed, k), a.hash(a.seed, k))
	assert.NotEqual(t, a.hash(a.seed, k), b.hash(b.seed, k))
	a.Set(k, true)
	v, ok := a.Get(k)
	assert.True(t, ok && v)
}
