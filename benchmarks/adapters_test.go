package benchmarks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

func keyOf[K Key](i int) K {
	var k K
	switch p := any(&k).(type) {
	case *uint64:
		*p = mix(uint64(i))
	case *string:
		*p = StringKey(uint64(i))
	}
	return k
}

func testAdapters[K Key](t *testing.T) {
	for _, f := range Caches[K]() {
		t.Run(f.Name, func(t *testing.T) {
			for _, ttl := range []time.Duration{0, time.Hour} {
				if ttl > 0 && !f.TTL {
					continue
				}
				c := f.New(Config{Capacity: 1000, TTL: ttl, Sync: true})
				for i := range 100 {
					c.Set(keyOf[K](i), uint64(i))
					v, ok := c.Get(keyOf[K](i))
					require.True(t, ok, "ttl %v: key %d missing right after Set", ttl, i)
					require.Equal(t, uint64(i), v)
				}
				c.Set(keyOf[K](0), 7)
				v, ok := c.Get(keyOf[K](0))
				assert.True(t, ok)
				assert.Equal(t, uint64(7), v, "Set of a present key replaces its value")
				_, ok = c.Get(keyOf[K](-1))
				assert.False(t, ok, "absent key")
				c.Close()
			}
		})
	}
}

func TestAdapters_SetThenGet_Uint64(t *testing.T) { testAdapters[uint64](t) }
func TestAdapters_SetThenGet_String(t *testing.T) { testAdapters[string](t) }

func TestAdapters_CapacityRespected(t *testing.T) {
	const capacity = 500
	for _, f := range Caches[uint64]() {
		if !f.Bounded {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			c := f.New(Config{Capacity: capacity, Sync: true})
			defer c.Close()
			for i := range 10 * capacity {
				c.Set(keyOf[uint64](i), uint64(i))
			}
			held := 0
			for i := range 10 * capacity {
				if _, ok := c.Get(keyOf[uint64](i)); ok {
					held++
				}
			}
			assert.LessOrEqual(t, held, capacity)
			assert.Greater(t, held, capacity/2, "a bounded cache this empty after filling is misconfigured")
		})
	}
}

func TestHotcache_Options(t *testing.T) {
	f := Hotcache("hotcache-clock", shard.Options[uint64, uint64]{Policy: evict.CLOCK, Shards: 1})
	assert.Equal(t, "hotcache-clock", f.Name)
	c := f.New(Config{Capacity: 10, Sync: true})
	defer c.Close()
	for i := range 100 {
		c.Set(uint64(i), uint64(i))
	}
	held := 0
	for i := range 100 {
		if _, ok := c.Get(uint64(i)); ok {
			held++
		}
	}
	assert.Equal(t, 10, held, "one shard of capacity 10 holds exactly 10")
}

func TestRistretto_CountsDroppedSets(t *testing.T) {
	c := Ristretto[uint64]().New(Config{Capacity: 1 << 10})
	defer c.Close()
	d, ok := c.(Dropper)
	require.True(t, ok)
	// Far more concurrent-free Sets than its buffers take without a Wait:
	// whatever it refuses must show up in Dropped, never exceed the Sets.
	for i := range 200_000 {
		c.Set(uint64(i), 1)
	}
	assert.LessOrEqual(t, d.Dropped(), uint64(200_000))
}
