package shard_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// hungLoader is a load function that blocks until its context is done
// (a loader that bounds its RPC with ctx and whose backend never answers),
// then returns the value given by result (or ctx's error if result is nil).
// It records every context it was called with.
type hungLoader struct {
	mu     sync.Mutex
	ctxs   []context.Context
	result func(call int) (string, error)
	// release, if not nil, also ends the calls: a backend that answers.
	release chan struct{}
}

func (h *hungLoader) load(ctx context.Context, _ string) (string, error) {
	h.mu.Lock()
	h.ctxs = append(h.ctxs, ctx)
	n := len(h.ctxs)
	h.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-h.release:
	}
	if h.result != nil {
		return h.result(n)
	}
	return "", ctx.Err()
}

func (h *hungLoader) ctx(i int) context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ctxs[i]
}

func (h *hungLoader) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ctxs)
}

type ctxKey struct{}

// TestCacheGetOrLoad_LastWaiterLeavingCancelsLoad (issue 10, item 6): a
// hung load's context is cancelled once every waiter has left, not
// before; the next GetOrLoad starts a fresh load rather than join the
// abandoned one, and what the abandoned load returns late is not stored.
func TestCacheGetOrLoad_LastWaiterLeavingCancelsLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch)})
		staleBack := make(chan struct{})
		h := &hungLoader{release: make(chan struct{}), result: func(n int) (string, error) {
			if n == 1 {
				<-staleBack // the abandoned load answers late
				return "stale", nil
			}
			return "fresh", nil
		}}
		ctx1, cancel1 := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "first"))
		ctx2, cancel2 := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "second"))
		var wg sync.WaitGroup
		for _, ctx := range []context.Context{ctx1, ctx2} {
			wg.Go(func() {
				_, err := c.GetOrLoad(ctx, "k", h.load)
				assert.ErrorIs(t, err, context.Canceled)
			})
			synctest.Wait()
		}
		require.Equal(t, 1, h.calls(), "the second caller joined the first's load")
		loadCtx := h.ctx(0)
		assert.Equal(t, "first", loadCtx.Value(ctxKey{}), "the load carries the first caller's values")
		_, hasDeadline := loadCtx.Deadline()
		assert.False(t, hasDeadline)

		cancel1()
		synctest.Wait()
		assert.NoError(t, loadCtx.Err(), "a waiter is left: the load goes on")
		cancel2()
		synctest.Wait()
		assert.ErrorIs(t, loadCtx.Err(), context.Canceled, "the last waiter left: the load is cancelled")
		wg.Wait()

		// The hung call is unregistered: a new caller starts a new load.
		done := make(chan string)
		go func() {
			v, err := c.GetOrLoad(t.Context(), "k", h.load)
			assert.NoError(t, err)
			done <- v
		}()
		synctest.Wait()
		require.Equal(t, 2, h.calls(), "a fresh load, not the abandoned one")
		close(staleBack)
		synctest.Wait()
		_, ok := c.Get("k")
		assert.False(t, ok, "the abandoned load's late result is not stored")
		close(h.release)
		assert.Equal(t, "fresh", <-done)
		synctest.Wait()
		v, _ := c.Get("k")
		assert.Equal(t, "fresh", v)
		assert.NoError(t, h.ctx(1).Err())
	})
}

// TestCacheGetOrLoad_AbandonedNotFoundIsNotRemembered: an abandoned load
// that reports not-found does not make the key absent for NegativeTTL.
func TestCacheGetOrLoad_AbandonedNotFoundIsNotRemembered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), NegativeTTL: time.Hour})
		h := &hungLoader{result: func(n int) (string, error) {
			if n == 1 {
				return "", shard.ErrNotFound
			}
			return "v", nil
		}, release: make(chan struct{})}
		ctx, cancel := context.WithCancel(t.Context())
		go c.GetOrLoad(ctx, "k", h.load)
		synctest.Wait()
		cancel()
		synctest.Wait()
		close(h.release)
		v, err := c.GetOrLoad(t.Context(), "k", h.load)
		require.NoError(t, err)
		assert.Equal(t, "v", v)
		assert.Equal(t, 2, h.calls())
	})
}

// TestCacheClose_CancelsLoadsInFlight (issue 10, item 7): when Close
// returns, the context of every load in flight is done: a load with
// waiters, one superseded by a Set, and a refresh.
func TestCacheClose_CancelsLoadsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		c, err := shard.New(shard.Options[string, string]{Capacity: 64, Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.5})
		require.NoError(t, err)
		h := &hungLoader{}
		var wg sync.WaitGroup
		wg.Go(func() {
			_, err := c.GetOrLoad(t.Context(), "waited", h.load)
			assert.ErrorIs(t, err, context.Canceled, "the waiter gets what the cancelled load returned")
		})
		wg.Go(func() { c.GetOrLoad(t.Context(), "superseded", h.load) })
		synctest.Wait()
		c.Set("superseded", "set")
		c.Set("refreshed", "old")
		clk.Advance(6 * time.Second)
		v, err := c.GetOrLoad(t.Context(), "refreshed", h.load)
		require.NoError(t, err)
		require.Equal(t, "old", v)
		synctest.Wait()
		require.Equal(t, 3, h.calls())
		for i := range 3 {
			require.NoError(t, h.ctx(i).Err())
		}
		require.NoError(t, c.Close())
		for i := range 3 {
			assert.ErrorIs(t, h.ctx(i).Err(), context.Canceled, "load %d cancelled when Close returns", i)
		}
		wg.Wait()
		v, _ = c.Get("superseded")
		assert.Equal(t, "set", v)
	})
}

// TestCacheGetOrLoadCached (issue 11, item 3a): cached tells an answer from
// the cache (a value or a remembered not-found) from one that came from a
// load this call started or joined.
func TestCacheGetOrLoadCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), NegativeTTL: time.Minute, CountHits: true})
		load := func(_ context.Context, k string) (string, error) {
			if strings.HasPrefix(k, "absent") {
				return "", shard.ErrNotFound
			}
			return "v:" + k, nil
		}
		ctx := t.Context()
		check := func(k, wantV string, wantCached bool, wantNotFound bool) {
			t.Helper()
			v, cached, err := c.GetOrLoadCached(ctx, k, load)
			assert.Equal(t, wantV, v, k)
			assert.Equal(t, wantCached, cached, k)
			if wantNotFound {
				assert.ErrorIs(t, err, shard.ErrNotFound, k)
			} else {
				assert.NoError(t, err, k)
			}
		}
		check("a", "v:a", false, false)
		check("a", "v:a", true, false)
		check("absent", "", false, true)
		check("absent", "", true, true)
		c.Set("b", "set")
		check("b", "set", true, false)

		// Callers that join a load in flight waited for it: not cached.
		g := newGatedLoader(valueOfKey)
		var joined atomic.Int32
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				v, cached, err := c.GetOrLoadCached(ctx, "gated", g.load)
				assert.NoError(t, err)
				assert.Equal(t, "value of gated", v)
				if !cached {
					joined.Add(1)
				}
			})
		}
		synctest.Wait()
		close(g.release)
		wg.Wait()
		assert.Equal(t, int32(3), joined.Load())
		assert.Equal(t, int32(1), g.calls.Load())

		// A caller whose ctx ends while waiting: not cached, ctx's error.
		h := &hungLoader{}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, cached, err := c.GetOrLoadCached(cctx, "hung", h.load)
		assert.False(t, cached)
		assert.ErrorIs(t, err, context.Canceled)

		st := c.Stats()
		assert.Equal(t, uint64(1), st.NegativeHits)
		assert.Equal(t, uint64(1), st.NotFound)
	})
}

func TestCacheGetOrLoadCached_HitAllocatesNothing(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{TTL: time.Hour, NegativeTTL: time.Hour})
	load := func(_ context.Context, k string) (string, error) {
		if k == "absent" {
			return "", shard.ErrNotFound
		}
		return "v", nil
	}
	ctx := context.Background()
	c.GetOrLoadCached(ctx, "k", load)
	c.GetOrLoadCached(ctx, "absent", load)
	assert.Zero(t, testing.AllocsPerRun(1000, func() {
		if _, cached, err := c.GetOrLoadCached(ctx, "k", load); !cached || err != nil {
			t.Fatal(cached, err)
		}
	}), "value hit")
	assert.Zero(t, testing.AllocsPerRun(1000, func() {
		if _, cached, _ := c.GetOrLoadCached(ctx, "absent", load); !cached {
			t.Fatal("not cached")
		}
	}), "remembered not-found")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.GetOrLoad(ctx, "absent", load) }), "GetOrLoad of a remembered not-found")
}

// TestCacheDeleteFunc_SparesUnrelatedLoads (issue 11, item 5): a DeleteFunc
// that runs while loads are in flight discards only the results it
// matches, by key or by loaded value; the others are stored.
func TestCacheDeleteFunc_SparesUnrelatedLoads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), Shards: 1})
		g := newGatedLoader(func(_ int32, k string) (string, error) { return "report for " + k, nil })
		keys := []string{"registry-a/app", "registry-b/app", "registry-b/untrusted"}
		var wg sync.WaitGroup
		for _, k := range keys {
			wg.Go(func() {
				v, err := c.GetOrLoad(t.Context(), k, g.load)
				assert.NoError(t, err)
				assert.Equal(t, "report for "+k, v, "every waiter gets its load's result")
			})
		}
		synctest.Wait()
		var judged []string
		var mu sync.Mutex
		n := c.DeleteFunc(func(k, v string) bool {
			mu.Lock()
			judged = append(judged, k)
			mu.Unlock()
			return strings.HasPrefix(k, "registry-a/") || strings.HasSuffix(v, "untrusted")
		})
		assert.Zero(t, n, "nothing stored yet")
		close(g.release)
		wg.Wait()
		synctest.Wait()
		_, ok := c.Get("registry-a/app")
		assert.False(t, ok, "registry A's load is discarded")
		_, ok = c.Get("registry-b/untrusted")
		assert.False(t, ok, "a load whose value matches is discarded")
		v, ok := c.Get("registry-b/app")
		assert.True(t, ok, "registry B's load is spared")
		assert.Equal(t, "report for registry-b/app", v)
		assert.ElementsMatch(t, keys, judged, "the filter judged each loaded value once")

		v, err := c.GetOrLoad(t.Context(), "registry-a/app", func(context.Context, string) (string, error) { return "reloaded", nil })
		require.NoError(t, err)
		assert.Equal(t, "reloaded", v, "a discarded load is not joined later")
	})
}

// TestCacheDeleteFunc_PanickingFilterDiscardsLoad: a DeleteFunc function
// that panics on a loaded value does not crash the loading goroutine; the
// value is not stored (the DeleteFunc itself could not judge it).
func TestCacheDeleteFunc_PanickingFilterDiscardsLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch)})
		g := newGatedLoader(valueOfKey)
		go c.GetOrLoad(t.Context(), "k", g.load)
		synctest.Wait()
		c.DeleteFunc(func(k, v string) bool {
			if v != "" {
				panic("boom")
			}
			return false
		})
		close(g.release)
		synctest.Wait()
		_, ok := c.Get("k")
		assert.False(t, ok)
	})
}

// BenchmarkCacheGetOrLoadNegative compares, in one run, a GetOrLoad hit on
// a remembered not-found with a hit on a value: one hot key each, read by
// every goroutine (the burst NegativeTTL exists to absorb), and
// GetOrLoadCached's hit with GetOrLoad's.
func BenchmarkCacheGetOrLoadNegative(b *testing.B) {
	c := shard.Must(shard.Options[string, string]{Capacity: 1024, TTL: time.Hour, NegativeTTL: time.Hour})
	defer c.Close()
	load := func(_ context.Context, k string) (string, error) {
		if k == "absent" {
			return "", shard.ErrNotFound
		}
		return "v", nil
	}
	ctx := context.Background()
	c.GetOrLoad(ctx, "present", load)
	c.GetOrLoad(ctx, "absent", load)
	// Interleaved: every goroutine alternates blocks of 256 positive and
	// 256 negative hits and times each block; the metric is the median
	// ratio of neighbouring blocks, which see the same noise (these
	// machines are shared).
	b.Run("Interleaved", func(b *testing.B) {
		const block = 256
		var mu sync.Mutex
		var ratios, pos, neg []float64
		b.RunParallel(func(pb *testing.PB) {
			var rs, ps, ns []float64
			for {
				t0 := time.Now()
				for range block {
					c.GetOrLoad(ctx, "present", load)
				}
				t1 := time.Now()
				for range block {
					c.GetOrLoad(ctx, "absent", load)
				}
				p, n := float64(t1.Sub(t0))/block, float64(time.Since(t1))/block
				rs, ps, ns = append(rs, n/p), append(ps, p), append(ns, n)
				if !pb.Next() {
					break
				}
			}
			mu.Lock()
			ratios, pos, neg = append(ratios, rs...), append(pos, ps...), append(neg, ns...)
			mu.Unlock()
		})
		median := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
		b.ReportMetric(median(pos), "positive-ns")
		b.ReportMetric(median(neg), "negative-ns")
		b.ReportMetric(median(ratios), "neg/pos")
	})
	for _, k := range []string{"present", "absent"} {
		b.Run("GetOrLoad/"+k, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.GetOrLoad(ctx, k, load)
				}
			})
		})
		b.Run("GetOrLoadCached/"+k, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.GetOrLoadCached(ctx, k, load)
				}
			})
		})
	}
}
