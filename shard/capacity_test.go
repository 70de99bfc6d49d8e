package shard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
)

// capacityHashes are the hashes whole-cache capacity must not depend on:
// the default, one that puts every small key in shard 0 (identity: the
// shard is picked from the top bits), and one that puts every key there.
var capacityHashes = []struct {
	name string
	hash func(uint64) uint64
}{
	{"default", nil},
	{"identity", func(k uint64) uint64 { return k }},
	{"constant", func(uint64) uint64 { return 7 }},
}

// TestCapacity_WholeCache: N distinct keys into Capacity N are all kept,
// whatever the hash and the number of shards, and the next Set of a new
// key evicts exactly one entry.
func TestCapacity_WholeCache(t *testing.T) {
	for _, h := range capacityHashes {
		for _, n := range []int{1000, 1024} {
			for _, shards := range []int{0, 16} {
				t.Run(fmt.Sprintf("%s/n=%d/shards=%d", h.name, n, shards), func(t *testing.T) {
					var evicted []uint64
					c := Must(Options[uint64, int]{Capacity: n, Shards: shards, Hash: h.hash, Clock: clock.NewManual(epoch),
						OnEvict: func(k uint64, _ int, r evict.Reason) {
							require.Equal(t, evict.Capacity, r)
							evicted = append(evicted, k)
						}})
					defer c.Close()
					for i := range n {
						c.Set(uint64(i), i)
					}
					require.Empty(t, evicted, "nothing is evicted before the cache is full")
					assert.Equal(t, n, c.Len())
					for i := range n {
						v, ok := c.Get(uint64(i))
						require.True(t, ok, "key %d", i)
						require.Equal(t, i, v)
					}
					require.NoError(t, c.e.check())

					c.Set(uint64(n), n)
					assert.Len(t, evicted, 1, "a Set into a full cache evicts exactly one entry")
					assert.Equal(t, n, c.Len())
					assert.Equal(t, uint64(1), c.Stats().Evictions[evict.Capacity])
					_, ok := c.Get(uint64(n))
					assert.True(t, ok, "the new entry is stored")
					require.NoError(t, c.e.check())
				})
			}
		}
	}
}

// TestCapacity_EvictsFromAnotherShard: a full cache whose entries are all
// in one shard makes room for a key of another, empty shard by evicting
// from the full one.
func TestCapacity_EvictsFromAnotherShard(t *testing.T) {
	identity := func(k uint64) uint64 { return k }
	c := Must(Options[uint64, int]{Capacity: 64, Shards: 4, Hash: identity, Clock: clock.NewManual(epoch)})
	defer c.Close()
	for i := range 64 {
		c.Set(uint64(i), i) // all in shard 0
	}
	for i := range uint64(3) {
		other := (i + 1) << 62 // shards 1, 2, 3: empty
		c.Set(other, 1)
		_, ok := c.Get(other)
		assert.True(t, ok)
		assert.Equal(t, 64, c.Len())
		assert.Equal(t, i+1, c.Stats().Evictions[evict.Capacity])
		require.NoError(t, c.e.check())
	}
}

// TestCapacity_Concurrent: writers of disjoint keys fill the cache exactly
// to Capacity with no eviction, then keep it at Capacity, with every hash.
func TestCapacity_Concurrent(t *testing.T) {
	const workers, capacity = 8, 1024
	for _, h := range capacityHashes {
		t.Run(h.name, func(t *testing.T) {
			c := Must(Options[uint64, int]{Capacity: capacity, Shards: 8, Hash: h.hash, Clock: clock.NewManual(epoch)})
			defer c.Close()
			run := func(from, per int) {
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range per {
							k := uint64(from + w*per + i)
							c.Set(k, i)
							if from == 0 && w%2 == 0 && i%5 == 0 {
								c.Set(k, i+1) // an update takes no room (once full, k may be gone)
							}
						}
					}()
				}
				wg.Wait()
			}
			run(0, capacity/workers)
			assert.Equal(t, capacity, c.Len(), "no eviction before the cache is full")
			assert.Zero(t, c.Stats().Evictions[evict.Capacity])
			require.NoError(t, c.e.check())
			run(capacity, 500)
			assert.Equal(t, capacity, c.Len())
			assert.Equal(t, uint64(workers*500), c.Stats().Evictions[evict.Capacity], "one eviction per new key")
			require.NoError(t, c.e.check())
		})
	}
}

// weightOf is the weigher of the weight tests: the value is the weight.
func weightOf(_ int, v uint32) uint32 { return v }

// TestWeight_BoundHoldsAfterEveryWrite: with random weights and every kind
// of write, the total weight stays within MaxWeight (and the count within
// Capacity, when set) after each write, and Stats.Weight is the weight of
// the entries held.
func TestWeight_BoundHoldsAfterEveryWrite(t *testing.T) {
	for _, capacity := range []int{0, 20} {
		for _, h := range []func(int) uint64{nil, func(int) uint64 { return 1 }} {
			t.Run(fmt.Sprintf("capacity=%d/constantHash=%v", capacity, h != nil), func(t *testing.T) {
				clk := clock.NewManual(epoch)
				c := Must(Options[int, uint32]{Capacity: capacity, MaxWeight: 1000, Weigher: weightOf, Shards: 4, Hash: h, Clock: clk})
				defer c.Close()
				r := rand.New(rand.NewPCG(1, 2))
				for i := range 5000 {
					k, w := r.IntN(200), uint32(r.IntN(300))
					switch r.IntN(8) {
					case 0:
						c.Delete(k)
					case 1:
						c.SetIfAbsent(k, w)
					case 2:
						c.SetTTL(k, w, time.Duration(1+r.IntN(3))*time.Second)
					case 3:
						if i%50 == 0 {
							clk.Advance(time.Second)
						}
					default:
						c.Set(k, w)
					}
					st := c.Stats()
					require.LessOrEqual(t, st.Weight, uint64(1000), "write %d", i)
					if capacity > 0 {
						require.LessOrEqual(t, c.Len(), capacity, "write %d", i)
					}
					if i%100 == 0 {
						require.NoError(t, c.e.check(), "write %d", i)
					}
				}
				var sum uint64
				c.e.Sweep()
				clk.Advance(0)
				for _, v := range c.All() {
					sum += uint64(v)
				}
				require.NoError(t, c.e.check())
				if c.Len() == countAll(c) { // nothing expired left unreclaimed
					assert.Equal(t, sum, c.Stats().Weight)
				}
			})
		}
	}
}

func countAll[K comparable, V any](c *Cache[K, V]) int {
	n := 0
	for range c.All() {
		n++
	}
	return n
}

// TestWeight_BoundHoldsConcurrently: goroutines write entries of random
// weights into shared keys; whenever they pause (no write in flight), the
// cache is within both bounds and consistent.
func TestWeight_BoundHoldsConcurrently(t *testing.T) {
	for _, h := range []func(int) uint64{nil, func(k int) uint64 { return uint64(k%3) << 62 }} {
		t.Run(fmt.Sprintf("skewedHash=%v", h != nil), func(t *testing.T) {
			c := Must(Options[int, uint32]{Capacity: 64, MaxWeight: 2000, Weigher: weightOf, Shards: 4, Hash: h, Clock: clock.NewManual(epoch)})
			defer c.Close()
			for round := range 10 {
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
						for range 500 {
							k := r.IntN(300)
							switch r.IntN(10) {
							case 0:
								c.Delete(k)
							case 1:
								c.SetIfAbsent(k, uint32(r.IntN(200)))
							default:
								c.Set(k, uint32(r.IntN(200)))
							}
						}
					}()
				}
				wg.Wait()
				require.NoError(t, c.e.check(), "round %d", round)
				assert.LessOrEqual(t, c.Stats().Weight, uint64(2000))
				assert.LessOrEqual(t, c.Len(), 64)
			}
		})
	}
}

// TestWeight_Overweight: a value heavier than MaxWeight is not stored, and
// its write removes the key's older value; a lighter one then is stored.
func TestWeight_Overweight(t *testing.T) {
	var events []string
	c := Must(Options[int, uint32]{MaxWeight: 100, Weigher: weightOf, Clock: clock.NewManual(epoch),
		OnEvict: func(k int, v uint32, r evict.Reason) { events = append(events, fmt.Sprintf("%d=%d %v", k, v, r)) }})
	defer c.Close()
	c.Set(1, 60)
	c.Set(2, 30)
	c.Set(1, 101)
	_, ok := c.Get(1)
	assert.False(t, ok, "too heavy: not stored, and the older value is gone")
	assert.Equal(t, []string{"1=60 replaced"}, events)
	assert.Equal(t, uint64(30), c.Stats().Weight)

	actual, stored := c.SetIfAbsent(3, 500)
	assert.False(t, stored)
	assert.Zero(t, actual)
	actual, stored = c.SetIfAbsent(2, 500)
	assert.False(t, stored)
	assert.Equal(t, uint32(30), actual, "SetIfAbsent returns the live value it does not replace")

	v, err := c.GetOrLoad(context.Background(), 4, func(context.Context, int) (uint32, error) { return 1000, nil })
	require.NoError(t, err)
	assert.Equal(t, uint32(1000), v, "a loaded value too heavy to store still goes to its callers")
	_, ok = c.Get(4)
	assert.False(t, ok)

	c.Set(1, 70) // exactly fits: 30 + 70
	assert.Equal(t, uint64(100), c.Stats().Weight)
	assert.Equal(t, 2, c.Len())
	c.Set(5, 100) // evicts both
	assert.Equal(t, uint64(100), c.Stats().Weight)
	assert.Equal(t, 1, c.Len())
	require.NoError(t, c.e.check())
}

// TestWeight_Replace: a write that changes an entry's weight moves the
// total; a write of the same weight updates in place, without allocating.
func TestWeight_Replace(t *testing.T) {
	c := Must(Options[int, uint32]{Capacity: 10, MaxWeight: 100, Weigher: func(k int, v uint32) uint32 { return v % 50 }, Clock: clock.NewManual(epoch)})
	defer c.Close()
	c.Set(1, 10)
	c.Set(2, 20)
	assert.Equal(t, uint64(30), c.Stats().Weight)
	c.Set(1, 40)
	assert.Equal(t, uint64(60), c.Stats().Weight)
	v, _ := c.Get(1)
	assert.Equal(t, uint32(40), v)
	var i uint32
	allocs := testing.AllocsPerRun(1000, func() { i++; c.Set(2, 20+50*(i%2)) }) // weight 20 either way
	assert.Zero(t, allocs, "an update of the same weight is in place")
	assert.Equal(t, uint64(60), c.Stats().Weight)
	require.NoError(t, c.e.check())
}

// TestWeight_StatsWithoutWeigher: Stats.Weight is 0 without a Weigher.
func TestWeight_StatsWithoutWeigher(t *testing.T) {
	c := Must(Options[int, uint32]{Capacity: 10})
	defer c.Close()
	c.Set(1, 5)
	assert.Zero(t, c.Stats().Weight)
}

// TestWeight_HeavyEntryEvictsFromOtherShards: an entry as heavy as the
// whole cache, written to an empty shard, evicts every entry of the other
// shards, and is kept itself.
func TestWeight_HeavyEntryEvictsFromOtherShards(t *testing.T) {
	identity := func(k uint64) uint64 { return k }
	var evicted int
	c := Must(Options[uint64, uint32]{MaxWeight: 100, Weigher: func(_ uint64, v uint32) uint32 { return v }, Shards: 4, Hash: identity,
		Clock: clock.NewManual(epoch), OnEvict: func(uint64, uint32, evict.Reason) { evicted++ }})
	defer c.Close()
	for i := range uint64(10) {
		c.Set((1+i%3)<<62|i, 10) // shards 1, 2 and 3
	}
	require.Equal(t, uint64(100), c.Stats().Weight)
	c.Set(5, 100) // shard 0, empty
	v, ok := c.Get(5)
	assert.True(t, ok, "the heavy entry is kept")
	assert.Equal(t, uint32(100), v)
	assert.Equal(t, 10, evicted)
	assert.Equal(t, 1, c.Len())
	require.NoError(t, c.e.check())
}
