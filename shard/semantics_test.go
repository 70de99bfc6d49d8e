package shard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// Issue 11, item 6: the semantics users tripped over, pinned.

// Stats.Evictions is indexed by evict.Reason, which starts at 1: index 0
// stays 0 whatever leaves the cache.
func TestStats_EvictionsIndexedByReason(t *testing.T) {
	clk := clock.NewManual(loadEpoch)
	c := newLoadCache(t, shard.Options[int, int]{Capacity: 2, Shards: 1, NoAdmission: true, Clock: clk})
	c.Set(1, 1)
	c.Set(1, 2)                 // Replaced
	c.Set(2, 2)                 //
	c.Set(3, 3)                 // Capacity
	c.Delete(3)                 // Deleted
	c.SetTTL(4, 4, time.Second) //
	clk.Advance(time.Second)
	c.Set(4, 5) // Expired
	st := c.Stats()
	assert.Zero(t, st.Evictions[0], "index 0 is no reason")
	for _, r := range []evict.Reason{evict.Capacity, evict.Expired, evict.Deleted, evict.Replaced} {
		assert.Equal(t, uint64(1), st.Evictions[r], "%v", r)
	}
}

// LoadErrors counts failures, not not-founds, which NotFound counts.
func TestStats_NotFoundIsNotALoadError(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{})
	ctx := context.Background()
	c.GetOrLoad(ctx, "absent", func(context.Context, string) (string, error) { return "", shard.ErrNotFound })
	c.GetOrLoad(ctx, "broken", func(context.Context, string) (string, error) { return "", errors.New("down") })
	c.GetOrLoad(ctx, "panics", func(context.Context, string) (string, error) { panic("bug") })
	st := c.Stats()
	assert.Equal(t, uint64(3), st.Loads)
	assert.Equal(t, uint64(1), st.NotFound)
	assert.Equal(t, uint64(2), st.LoadErrors)
}

// Len counts an expired entry until it is reclaimed, though no read returns
// it.
func TestCacheLen_CountsExpiredUntilReclaimed(t *testing.T) {
	clk := clock.NewManual(loadEpoch)
	c := newLoadCache(t, shard.Options[string, string]{Clock: clk, TTL: time.Minute, Capacity: 2, Shards: 1})
	c.Set("k", "v")
	c.Set("other", "v")
	c.Close() // no background sweep from here on
	clk.Advance(time.Minute)
	_, ok := c.Get("k")
	require.False(t, ok, "expired: a miss")
	assert.Equal(t, 2, c.Len(), "but still counted")
	n := 0
	for range c.All() {
		n++
	}
	assert.Zero(t, n, "All yields live entries only")
	c.Set("k", "w") // a write of the key reuses the expired entry
	assert.Equal(t, 2, c.Len())
	c.Set("new", "v") // a full shard evicts the expired entry first
	assert.Equal(t, 2, c.Len())
	_, ok = c.Peek("k")
	assert.True(t, ok)
	assert.Equal(t, uint64(2), c.Stats().Evictions[evict.Expired])
}

// SetTTL with a negative TTL deletes the key, as an overwrite by a value
// already expired: OnEvict sees the old value as Replaced.
func TestCacheSetTTL_NegativeDeletes(t *testing.T) {
	var evicted []string
	c := newLoadCache(t, shard.Options[string, string]{
		OnEvict: func(k, v string, r evict.Reason) { evicted = append(evicted, k+"="+v+" "+r.String()) },
	})
	c.Set("k", "v")
	c.SetTTL("k", "new", -time.Second)
	_, ok := c.Peek("k")
	assert.False(t, ok, "deleted")
	assert.Equal(t, 0, c.Len())
	assert.Equal(t, []string{"k=v replaced"}, evicted)
	c.SetTTL("absent", "x", -1)
	_, ok = c.Peek("absent")
	assert.False(t, ok, "and nothing stored for an absent key")
	assert.Len(t, evicted, 1)
}
