package writeback_test

// Regression tests for issue 10, item 14 (the read-through Cache).

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/stretchr/testify/require"
)

// slowLoads counts Loads, each of which waits until release is closed.
type slowLoads struct {
	counted[string]
	release chan struct{}
}

func (s *slowLoads) Load(ctx context.Context, k string) (string, error) {
	<-s.release
	return s.counted.Load(ctx, k)
}

// Item 14: 100 concurrent Loads of a key not cached make one store Load.
func TestCache_OneLoadPerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := &slowLoads{counted: counted[string]{mem: memstore.New[string, string]()}, release: make(chan struct{})}
		require.NoError(t, s.mem.Store(ctx, "k", "v"))
		c, err := writeback.NewCache[string, string](s, writeback.CacheOptions[string, string]{Capacity: 10,
			Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
		require.NoError(t, err)
		defer c.Close()
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				v, err := c.Load(ctx, "k")
				require.NoError(t, err)
				require.Equal(t, "v", v)
			})
		}
		synctest.Wait() // all 100 wait: for the store, or for the one load
		close(s.release)
		wg.Wait()
		require.EqualValues(t, 1, s.loads.Load(), "store loads for 100 concurrent cache loads")
		require.EqualValues(t, 1, c.Stats().Cache.Loads)
	})
}

// Item 14: far-future expiries and a MaxTTL near its maximum cache the
// value (the deadline arithmetic once overflowed and cached nothing).
func TestCache_FarFutureDeadlines(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	for _, tc := range []struct {
		name string
		opts writeback.CacheOptions[string, token]
	}{
		{"expiry in year 9999", writeback.CacheOptions[string, token]{
			Expiry: func(_ string, t token) time.Time { return t.Exp }, Skew: time.Minute}},
		{"expiry in year 9999, MaxTTL", writeback.CacheOptions[string, token]{
			Expiry: func(_ string, t token) time.Time { return t.Exp }, MaxTTL: time.Hour}},
		{"MaxTTL of 290 years", writeback.CacheOptions[string, token]{MaxTTL: math.MaxInt64}},
		{"MaxTTL of 290 years, with expiry", writeback.CacheOptions[string, token]{
			Expiry: func(_ string, t token) time.Time { return t.Exp }, MaxTTL: math.MaxInt64 - 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &counted[token]{mem: memstore.New[string, token]()}
			require.NoError(t, s.mem.Store(ctx, "k", token{ID: "k", Exp: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}))
			tc.opts.Capacity, tc.opts.Clock = 10, clk
			c, err := writeback.NewCache(s, tc.opts)
			require.NoError(t, err)
			defer c.Close()
			for range 3 {
				v, err := c.Load(ctx, "k")
				require.NoError(t, err)
				require.Equal(t, "k", v.ID)
			}
			require.EqualValues(t, 1, s.loads.Load(), "loads: the value was not cached")
			clk.Advance(30 * time.Minute)
			_, _ = c.Load(ctx, "k")
			require.EqualValues(t, 1, s.loads.Load(), "still cached 30 minutes later")
		})
	}
}

// Item 14: Invalidate drops the cached copy, not the stored value; Delete
// drops both.
func TestCache_InvalidateDropsOnlyTheCopy(t *testing.T) {
	ctx := t.Context()
	s := &counted[string]{mem: memstore.New[string, string]()}
	c, err := writeback.NewCache[string, string](s, writeback.CacheOptions[string, string]{Capacity: 10,
		Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Store(ctx, "k", "1"))
	_, err = c.Load(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, s.mem.Store(ctx, "k", "2")) // behind the cache's back
	v, _ := c.Load(ctx, "k")
	require.Equal(t, "1", v, "cached")
	c.Invalidate("k")
	require.Zero(t, c.Stats().Len)
	v, _ = c.Load(ctx, "k")
	require.Equal(t, "2", v, "reloaded after Invalidate")
	require.EqualValues(t, 2, s.loads.Load())

	_, err = c.Load(ctx, "absent")
	require.ErrorIs(t, err, shard.ErrNotFound)
	require.NoError(t, s.mem.Store(ctx, "absent", "now"))
	c.Invalidate("absent") // forgets the remembered miss
	v, err = c.Load(ctx, "absent")
	require.NoError(t, err)
	require.Equal(t, "now", v)

	require.NoError(t, c.Delete(ctx, "k"))
	_, err = s.mem.Load(ctx, "k")
	require.ErrorIs(t, err, shard.ErrNotFound, "Delete deletes from the store")
}
