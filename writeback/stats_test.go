package writeback_test

import (
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/writeback"
	"github.com/stretchr/testify/require"
)

func TestBuffer_Stats(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &failing{base: newBase()}
	b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, Clock: clk})
	require.NoError(t, err)
	defer b.Close(ctx)
	require.Equal(t, writeback.BufferStats{}, b.Stats())

	require.NoError(t, b.Store(ctx, "a", "1"))
	clk.Advance(time.Second)
	require.NoError(t, b.Store(ctx, "b", "1"))
	require.NoError(t, b.Store(ctx, "a", "2")) // coalesces: a's oldest write is still 1s old
	clk.Advance(time.Second)
	require.Equal(t, writeback.BufferStats{Pending: 2, OldestPending: 2 * time.Second}, b.Stats())

	s.set(3) // a: call and retry fail; b: the first call fails, its retry succeeds
	require.Error(t, b.Flush(ctx))
	require.Equal(t, writeback.BufferStats{Pending: 1, OldestPending: 2 * time.Second,
		Flushes: 1, StoreCalls: 4, StoreErrors: 3, Retries: 2, Written: 1,
		Isolated: 1, // a failed while b was stored: retried on its own from now on
	}, b.Stats())

	s.set(0)
	require.NoError(t, b.Flush(ctx))
	st := b.Stats()
	require.Equal(t, 0, st.Pending)
	require.Zero(t, st.OldestPending)
	require.EqualValues(t, 2, st.Flushes)
	require.EqualValues(t, 2, st.Written)
}

func TestCache_Stats(t *testing.T) {
	ctx := t.Context()
	s := &failing{base: newBase()}
	c, err := writeback.NewCache[string, string](s, writeback.CacheOptions[string, string]{Capacity: 10, CountHits: true})
	require.NoError(t, err)
	defer c.Close()

	require.NoError(t, c.Store(ctx, "a", "1"))
	s.set(1)
	require.Error(t, c.Store(ctx, "b", "1"))
	require.NoError(t, c.Delete(ctx, "b"))
	_, _ = c.Load(ctx, "a") // miss, load
	_, _ = c.Load(ctx, "a") // hit
	st := c.Stats()
	require.Equal(t, 1, st.Len)
	require.EqualValues(t, 3, st.StoreCalls)
	require.EqualValues(t, 1, st.StoreErrors)
	require.EqualValues(t, 1, st.Cache.Hits)
	require.True(t, st.Cache.HitsCounted)
}
