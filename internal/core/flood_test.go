package core

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/flood"
)

// spread describes how an engine's entries lie in its index.
type spread struct {
	perShard     []int // entries per shard
	longestChain int   // most entries in one bucket chain
	sameTag      int   // most entries in one chain with the same tag
}

func (e *Engine[K, V]) spread() spread {
	var sp spread
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		t := s.table.Load()
		sp.perShard = append(sp.perShard, int(s.count.Load()))
		for bi := range t.buckets {
			chain, tags := 0, map[uint64]int{}
			for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
				for j := range b.slots {
					if b.slots[j].Load() != nil {
						chain++
						tags[b.meta.Load()>>(8*j)&0xff]++
					}
				}
			}
			sp.longestChain = max(sp.longestChain, chain)
			for _, n := range tags {
				sp.sameTag = max(sp.sameTag, n)
			}
		}
		s.mu.Unlock()
	}
	return sp
}

// floodShards and floodKeys: enough capacity per shard that no shard evicts
// even if every key lands in it, so a hash that lets the keys collide shows
// as one chain of floodKeys entries.
const floodShards, floodKeys = 16, 10_000

// assertSpread checks that the flood's keys spread as random keys would:
// no shard holds twice its share, and no bucket chain is longer than four
// buckets' worth (24 entries; with at most 4.5 entries per bucket on
// average, a chain that long under a random hash has odds below 1e-7).
func assertSpread[K comparable, V any](t *testing.T, c *Cache[K, V]) {
	t.Helper()
	require.NoError(t, c.e.check())
	require.Equal(t, floodKeys, c.Len(), "nothing evicted")
	sp := c.e.spread()
	for i, n := range sp.perShard {
		assert.LessOrEqual(t, n, 2*floodKeys/floodShards, "entries in shard %d", i)
	}
	assert.LessOrEqual(t, sp.longestChain, 4*slotsPerBucket, "longest bucket chain")
	assert.LessOrEqual(t, sp.sameTag, 6, "most entries with one tag in one chain")
}

// TestHashFlood_Uint64Keys (issue 10): 10,000 keys computed by inverting the
// unseeded integer mixer all had one hash's shard, bucket and tag bits, and
// made one chain of 10,000 entries; under a seeded cache they spread.
func TestHashFlood_Uint64Keys(t *testing.T) {
	c := Must(Options[uint64, uint64]{Capacity: floodShards * floodKeys, Shards: floodShards})
	defer c.Close()
	for _, k := range flood.Uint64Keys(floodKeys) {
		c.Set(k, k)
	}
	assertSpread(t, c)
}

// TestHashFlood_StringKeys: the same with 10,000 strings that all collided
// under the unseeded string hash (XXH64 with seed 0), inverted.
func TestHashFlood_StringKeys(t *testing.T) {
	c := Must(Options[string, int]{Capacity: floodShards * floodKeys, Shards: floodShards})
	defer c.Close()
	for i, k := range flood.StringKeys(floodKeys) {
		c.Set(k, i)
	}
	assertSpread(t, c)
}

// TestHashFlood_NamedIntegerKeys: integer keys that take the default hash
// through Cache.hash rather than the inlined path are seeded too.
func TestHashFlood_NamedIntegerKeys(t *testing.T) {
	type id int64
	c := Must(Options[id, int]{Capacity: floodShards * floodKeys, Shards: floodShards})
	defer c.Close()
	for i, k := range flood.Uint64Keys(floodKeys) {
		c.Set(id(k), i)
	}
	assertSpread(t, c)
}

// TestSeed_PerCache: two caches hash the same key differently, and the
// hash a cache uses is the one its engine was given, under its seed.
func TestSeed_PerCache(t *testing.T) {
	a := Must(Options[uint64, int]{Capacity: 16})
	b := Must(Options[uint64, int]{Capacity: 16})
	defer a.Close()
	defer b.Close()
	assert.NotEqual(t, a.seed, b.seed)
	assert.Equal(t, a.e.Seed(), a.seed)
	assert.NotEqual(t, a.hashOf(42), b.hashOf(42))
	assert.Equal(t, a.e.hash(a.e.Seed(), 42), a.hashOf(42))
}

// TestHash_UserHashIsUsedAsGiven: Options.Hash is not seeded; the cache
// calls it as it is.
func TestHash_UserHashIsUsedAsGiven(t *testing.T) {
	c := Must(Options[uint64, int]{Capacity: 16, Hash: func(k uint64) uint64 { return k * 3 }})
	defer c.Close()
	assert.Equal(t, uint64(42*3), c.hashOf(42))
	c.Set(42, 1)
	require.NoError(t, c.e.check())
}

// TestHashFlood_ZeroProductStringKeys (issue 22): keys whose every 16-byte
// block starts with a zero word all hash alike when the secrets are zero
// (as they would with wyhash's public constants: the product of each
// block is zero whatever its second word); the cache's random secrets
// spread them, at 16 bytes (Get's inlined hash) and 32 to 64 (hashOther).
func TestHashFlood_ZeroProductStringKeys(t *testing.T) {
	for _, length := range []int{16, 32, 48, 64} {
		t.Run(strconv.Itoa(length), func(t *testing.T) {
			keys := flood.ZeroProductKeys(floodKeys, length)
			var zero Seed
			for _, k := range keys[1:] {
				require.Equal(t, HashString(zero, keys[0]), HashString(zero, k), "the keys collide under zero secrets")
			}
			c := Must(Options[string, int]{Capacity: floodShards * floodKeys, Shards: floodShards})
			defer c.Close()
			for i, k := range keys {
				c.Set(k, i)
			}
			assertSpread(t, c)
		})
	}
}
