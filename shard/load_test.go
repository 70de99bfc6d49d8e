package shard_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// loadEpoch is in time.Local, as the times GetWithExpiry returns are.
var loadEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Local()

// newLoadCache returns a cache built from opts (Capacity 1024 unless set)
// that is closed when the test ends.
func newLoadCache[K comparable, V any](t testing.TB, opts shard.Options[K, V]) *shard.Cache[K, V] {
	t.Helper()
	if opts.Capacity == 0 {
		opts.Capacity = 1024
	}
	c, err := shard.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// gatedLoader is a load function that counts its calls and blocks each one
// until release is closed, then returns result(call number, key).
type gatedLoader struct {
	calls   atomic.Int32
	release chan struct{}
	result  func(n int32, k string) (string, error)
}

func newGatedLoader(result func(n int32, k string) (string, error)) *gatedLoader {
	return &gatedLoader{release: make(chan struct{}), result: result}
}

func (g *gatedLoader) load(_ context.Context, k string) (string, error) {
	n := g.calls.Add(1)
	<-g.release
	return g.result(n, k)
}

func valueOfKey(_ int32, k string) (string, error) { return "value of " + k, nil }

var errBackend = errors.New("backend unavailable")

func TestCacheGetOrLoad_OneLoadFor1000Goroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), CountHits: true})
		g := newGatedLoader(valueOfKey)
		const n = 1000
		vals, errs := make([]string, n), make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { vals[i], errs[i] = c.GetOrLoad(t.Context(), "k", g.load) })
		}
		synctest.Wait() // all 1000 are blocked: one in load, the rest waiting for it
		require.Equal(t, int32(1), g.calls.Load())
		close(g.release)
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, "value of k", vals[i])
		}
		v, ok := c.Get("k")
		assert.True(t, ok)
		assert.Equal(t, "value of k", v)
		st := c.Stats()
		assert.Equal(t, uint64(1), st.Loads)
		assert.Equal(t, uint64(n), st.Misses)
		assert.Equal(t, uint64(1), st.Sets)
	})
}

// TestCacheGetOrLoad_EachKeyLoadedOnce races real goroutines through the
// same sequence of fresh keys with instant loads, so that loads often end
// between another caller's lock-free miss and its locked look-up. A value,
// once stored, never expires: any second load of a key is a de-duplication
// failure.
func TestCacheGetOrLoad_EachKeyLoadedOnce(t *testing.T) {
	const keys = 20_000
	// Room for every key in every shard: nothing is evicted and reloaded.
	c := newLoadCache(t, shard.Options[int, int]{Capacity: 2 * keys})
	calls := make([]atomic.Int32, keys)
	load := func(_ context.Context, k int) (int, error) {
		calls[k].Add(1)
		return -k, nil
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			<-start
			for k := range keys {
				if v, err := c.GetOrLoad(context.Background(), k, load); err != nil || v != -k {
					t.Errorf("GetOrLoad(%d) = %d, %v", k, v, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for k := range calls {
		require.Equal(t, int32(1), calls[k].Load(), "loads of key %d", k)
	}
	assert.Equal(t, uint64(keys), c.Stats().Loads)
	assert.Equal(t, keys, c.Len())
}

func TestCacheGetOrLoad_DifferentKeysLoadInParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Shards: 1, Clock: clock.NewManual(loadEpoch)})
		bLoaded := make(chan struct{})
		load := func(_ context.Context, k string) (string, error) {
			if k == "a" {
				<-bLoaded // deadlocks (and synctest says so) if loads are serialized
			} else {
				close(bLoaded)
			}
			return k, nil
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			v, err := c.GetOrLoad(t.Context(), "a", load)
			assert.NoError(t, err)
			assert.Equal(t, "a", v)
		})
		synctest.Wait() // a's load is blocked
		v, err := c.GetOrLoad(t.Context(), "b", load)
		require.NoError(t, err)
		require.Equal(t, "b", v)
		wg.Wait()
	})
}

func TestCacheGetOrLoad_NoLockHeldWhileLoading(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{Shards: 1})
	load := func(ctx context.Context, k string) (string, error) {
		// Every write below takes the only shard's lock.
		c.Set("other", "x")
		c.Delete("other")
		c.SetIfAbsent("other", "y")
		c.DeleteFunc(func(string, string) bool { return false })
		inner, err := c.GetOrLoad(ctx, "inner", func(context.Context, string) (string, error) { return "i", nil })
		return k + inner, err
	}
	v, err := c.GetOrLoad(context.Background(), "k", load)
	require.NoError(t, err)
	assert.Equal(t, "ki", v)
}

// TestCacheGetOrLoad_CancelledWaitersReturnAtOnce cancels half of 1000
// waiters, among them the caller that started the load: they return
// context.Canceled before any time passes and while the load is still
// blocked; the load goes on, keeps the first caller's values, is not
// cancelled, and its value reaches the others and the cache.
func TestCacheGetOrLoad_CancelledWaitersReturnAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch)})
		type ctxKey struct{}
		release := make(chan struct{})
		var loadCtx context.Context
		load := func(ctx context.Context, k string) (string, error) {
			loadCtx = ctx
			<-release
			return "v", nil
		}
		ctx, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "first caller"))
		const n = 1000
		var left, got atomic.Int32
		returnedAt := make([]time.Time, n)
		var wg sync.WaitGroup
		ask := func(i int, ctx context.Context) {
			wg.Go(func() {
				v, err := c.GetOrLoad(ctx, "k", load)
				returnedAt[i] = time.Now()
				switch {
				case errors.Is(err, context.Canceled) && v == "":
					left.Add(1)
				case err == nil && v == "v":
					got.Add(1)
				default:
					t.Errorf("GetOrLoad = %q, %v", v, err)
				}
			})
		}
		ask(0, ctx) // starts the load
		synctest.Wait()
		for i := 1; i < n; i++ {
			if i%2 == 0 {
				ask(i, ctx)
			} else {
				ask(i, t.Context())
			}
		}
		synctest.Wait()
		cancelledAt := time.Now()
		cancel()
		synctest.Wait()
		require.Equal(t, int32(n/2), left.Load(), "cancelled waiters returned while the load is blocked")
		require.Equal(t, int32(0), got.Load())
		for i := 0; i < n; i += 2 {
			require.Equal(t, cancelledAt, returnedAt[i], "waiter %d returned at once", i)
		}
		close(release)
		wg.Wait()
		assert.Equal(t, int32(n/2), got.Load())
		v, ok := c.Get("k")
		assert.True(t, ok, "the load's value is stored though its first caller left")
		assert.Equal(t, "v", v)
		assert.NoError(t, loadCtx.Err(), "the load's context is not cancelled with its first caller's")
		assert.Equal(t, "first caller", loadCtx.Value(ctxKey{}))
	})
}

func TestCacheGetOrLoad_DoneContextDoesNotLoad(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) {
		t.Error("load called with a done context")
		return "", nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	c.Set("k", "v")
	v, err := c.GetOrLoad(ctx, "k", nil)
	assert.NoError(t, err, "a hit needs neither a live context nor a loader")
	assert.Equal(t, "v", v)
	assert.PanicsWithValue(t, "shard: GetOrLoad called with a nil load function", func() {
		c.GetOrLoad(context.Background(), "absent", nil)
	})
}

func TestCacheGetOrLoad_ErrorGoesToEveryWaiterAndIsNotCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), NegativeTTL: time.Minute})
		g := newGatedLoader(func(n int32, k string) (string, error) {
			if n == 1 {
				return "", fmt.Errorf("load %s: %w", k, errBackend)
			}
			return "v", nil
		})
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, err := c.GetOrLoad(t.Context(), "k", g.load)
				assert.ErrorIs(t, err, errBackend)
			})
		}
		synctest.Wait()
		close(g.release)
		wg.Wait()
		assert.Equal(t, int32(1), g.calls.Load())
		assert.Equal(t, 0, c.Len())
		v, err := c.GetOrLoad(t.Context(), "k", g.load)
		require.NoError(t, err, "the error was not remembered")
		assert.Equal(t, "v", v)
		st := c.Stats()
		assert.Equal(t, uint64(2), st.Loads)
		assert.Equal(t, uint64(1), st.LoadErrors)
		assert.Equal(t, uint64(0), st.NegativeHits)
	})
}

func TestCacheGetOrLoad_NotFoundRememberedForNegativeTTL(t *testing.T) {
	clk := clock.NewManual(loadEpoch)
	c := newLoadCache(t, shard.Options[string, string]{Clock: clk, NegativeTTL: 30 * time.Second})
	var calls atomic.Int32
	load := func(_ context.Context, k string) (string, error) {
		calls.Add(1)
		return "", fmt.Errorf("object %s: %w", k, shard.ErrNotFound)
	}
	ctx := context.Background()
	_, err := c.GetOrLoad(ctx, "k", load)
	require.ErrorIs(t, err, shard.ErrNotFound)
	assert.EqualError(t, err, "object k: shard: not found")

	clk.Advance(30*time.Second - 1)
	_, err2 := c.GetOrLoad(ctx, "k", load)
	assert.Same(t, err, err2, "the loader's own error is returned")
	assert.Equal(t, int32(1), calls.Load(), "remembered: no load")
	assert.Equal(t, uint64(1), c.Stats().NegativeHits)

	// A remembered not-found is not a value.
	_, ok := c.Get("k")
	assert.False(t, ok)
	_, ok = c.Peek("k")
	assert.False(t, ok)
	_, _, ok = c.GetWithExpiry("k")
	assert.False(t, ok)
	assert.Equal(t, 0, c.Len())
	for k := range c.All() {
		t.Errorf("All yields %q", k)
	}
	assert.False(t, c.Delete("other"))

	clk.Advance(1)
	_, err = c.GetOrLoad(ctx, "k", load)
	assert.ErrorIs(t, err, shard.ErrNotFound)
	assert.Equal(t, int32(2), calls.Load(), "NegativeTTL over: loads again")

	// A Set replaces the remembered not-found at once.
	c.Set("k", "v")
	v, err := c.GetOrLoad(ctx, "k", load)
	assert.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.Equal(t, int32(2), calls.Load())

	// Delete and Clear forget it.
	for _, forget := range []func(){func() { assert.False(t, c.Delete("gone")) }, c.Clear} {
		_, err = c.GetOrLoad(ctx, "gone", load)
		require.ErrorIs(t, err, shard.ErrNotFound)
		before := calls.Load()
		forget()
		_, err = c.GetOrLoad(ctx, "gone", load)
		require.ErrorIs(t, err, shard.ErrNotFound)
		assert.Equal(t, before+1, calls.Load(), "forgotten: loads again")
	}
}

func TestCacheGetOrLoad_NotFoundWithoutNegativeTTLIsNotRemembered(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{})
	var calls atomic.Int32
	load := func(context.Context, string) (string, error) {
		calls.Add(1)
		return "", shard.ErrNotFound
	}
	for range 3 {
		_, err := c.GetOrLoad(context.Background(), "k", load)
		assert.ErrorIs(t, err, shard.ErrNotFound)
	}
	assert.Equal(t, int32(3), calls.Load())
	st := c.Stats()
	assert.Equal(t, uint64(0), st.LoadErrors, "a not-found is not a failure")
	assert.Equal(t, uint64(3), st.NotFound)
}

func TestCacheGetOrLoad_RememberedNotFoundsBoundedByCapacity(t *testing.T) {
	c := newLoadCache(t, shard.Options[string, string]{Capacity: 4, Shards: 1, NegativeTTL: time.Hour})
	load := func(context.Context, string) (string, error) { return "", shard.ErrNotFound }
	ctx := context.Background()
	for i := range 100 {
		c.GetOrLoad(ctx, strconv.Itoa(i), load)
	}
	for i := range 100 {
		c.GetOrLoad(ctx, strconv.Itoa(i), load)
	}
	st := c.Stats()
	assert.LessOrEqual(t, st.NegativeHits, uint64(4), "at most Capacity keys remembered")
	assert.Equal(t, uint64(200), st.Loads+st.NegativeHits)
}

func TestCacheGetOrLoad_PanicBecomesAnErrorForEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch), NegativeTTL: time.Minute})
		var calls atomic.Int32
		release := make(chan struct{})
		loadPanics := func(context.Context, string) (string, error) {
			calls.Add(1)
			<-release
			panic("boom")
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				_, err := c.GetOrLoad(t.Context(), "k", loadPanics)
				var pe *shard.PanicError
				if assert.ErrorAs(t, err, &pe) {
					assert.Equal(t, "boom", pe.Value)
					assert.Contains(t, string(pe.Stack), "TestCacheGetOrLoad_PanicBecomesAnErrorForEveryWaiter")
				}
				assert.EqualError(t, err, "shard: loader panicked: boom")
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		assert.Equal(t, int32(1), calls.Load())
		assert.Equal(t, 0, c.Len())

		// Nothing stays in flight or remembered, even for a panic whose
		// value wraps ErrNotFound: the next call loads again.
		panicNotFound := func(context.Context, string) (string, error) {
			calls.Add(1)
			panic(fmt.Errorf("odd: %w", shard.ErrNotFound))
		}
		for range 2 {
			_, err := c.GetOrLoad(t.Context(), "k", panicNotFound)
			assert.ErrorIs(t, err, shard.ErrNotFound, "Unwrap exposes an error panic value")
		}
		assert.Equal(t, int32(3), calls.Load())

		_, err := c.GetOrLoad(t.Context(), "k", func(context.Context, string) (string, error) {
			runtime.Goexit()
			return "", nil
		})
		assert.EqualError(t, err, "shard: loader called runtime.Goexit")

		v, err := c.GetOrLoad(t.Context(), "k", func(context.Context, string) (string, error) { return "v", nil })
		assert.NoError(t, err)
		assert.Equal(t, "v", v)
		assert.Equal(t, uint64(4), c.Stats().LoadErrors)
		assert.Equal(t, uint64(0), c.Stats().NegativeHits)
	})
}

// TestCacheGetOrLoad_WriteDuringLoadWins writes the key while its load is
// blocked, in every way a user can: the load's late result goes to its
// waiter but is not stored.
func TestCacheGetOrLoad_WriteDuringLoadWins(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(c *shard.Cache[string, string])
		want  string // "" means absent afterwards
	}{
		{"Set", func(c *shard.Cache[string, string]) { c.Set("k", "set") }, "set"},
		{"SetTTL", func(c *shard.Cache[string, string]) { c.SetTTL("k", "set", time.Hour) }, "set"},
		{"SetIfAbsent", func(c *shard.Cache[string, string]) { c.SetIfAbsent("k", "set") }, "set"},
		{"Delete", func(c *shard.Cache[string, string]) { assert.False(t, c.Delete("k")) }, ""},
		{"SetTTL/negative", func(c *shard.Cache[string, string]) { c.SetTTL("k", "x", -1) }, ""},
		{"Clear", func(c *shard.Cache[string, string]) { c.Clear() }, ""},
		{"DeleteFunc/matching", func(c *shard.Cache[string, string]) {
			c.DeleteFunc(func(k, v string) bool { return k == "k" && v == "loaded1" })
		}, ""},
		{"DeleteFunc/other", func(c *shard.Cache[string, string]) {
			c.DeleteFunc(func(k, _ string) bool { return k != "k" })
		}, "loaded1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch)})
				g := newGatedLoader(func(n int32, _ string) (string, error) { return "loaded" + strconv.Itoa(int(n)), nil })
				var wg sync.WaitGroup
				wg.Go(func() {
					v, err := c.GetOrLoad(t.Context(), "k", g.load)
					assert.NoError(t, err)
					assert.Equal(t, "loaded1", v, "the waiter gets the load's result")
				})
				synctest.Wait()
				tc.write(c)
				close(g.release)
				wg.Wait()
				synctest.Wait()
				v, ok := c.Get("k")
				assert.Equal(t, tc.want != "", ok)
				assert.Equal(t, tc.want, v, "the late load did not overwrite or resurrect")
				if tc.want == "" {
					// A later GetOrLoad loads afresh rather than trust the
					// superseded result.
					v, err := c.GetOrLoad(t.Context(), "k", g.load)
					assert.NoError(t, err)
					assert.Equal(t, "loaded2", v)
				}
			})
		})
	}
}

// TestCacheGetOrLoad_CallAfterDeleteStartsNewLoad: a caller arriving after
// a Delete does not join the load the Delete superseded.
func TestCacheGetOrLoad_CallAfterDeleteStartsNewLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newLoadCache(t, shard.Options[string, string]{Clock: clock.NewManual(loadEpoch)})
		g := newGatedLoader(func(n int32, _ string) (string, error) { return "loaded" + strconv.Itoa(int(n)), nil })
		results := make(chan string, 2)
		var wg sync.WaitGroup
		get := func() {
			wg.Go(func() {
				v, err := c.GetOrLoad(t.Context(), "k", g.load)
				assert.NoError(t, err)
				results <- v
			})
		}
		get()
		synctest.Wait()
		c.Delete("k")
		get()
		synctest.Wait()
		assert.Equal(t, int32(2), g.calls.Load())
		close(g.release)
		wg.Wait()
		got := []string{<-results, <-results}
		slices.Sort(got)
		assert.Equal(t, []string{"loaded1", "loaded2"}, got)
		v, _ := c.Get("k")
		assert.Equal(t, "loaded2", v, "only the load started after the Delete is stored")
	})
}

func TestCacheGetOrLoad_RefreshAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		c := newLoadCache(t, shard.Options[string, string]{Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.5})
		var calls atomic.Int32
		release := make(chan struct{})
		load := func(context.Context, string) (string, error) {
			n := calls.Add(1)
			if n > 1 {
				<-release
			}
			return "v" + strconv.Itoa(int(n)), nil
		}
		get := func() string {
			v, err := c.GetOrLoad(t.Context(), "k", load)
			require.NoError(t, err)
			return v
		}
		require.Equal(t, "v1", get())

		clk.Advance(5*time.Second - 1)
		require.Equal(t, "v1", get())
		synctest.Wait()
		assert.Equal(t, int32(1), calls.Load(), "not refreshed before half its lifetime")

		clk.Advance(1)
		require.Equal(t, "v1", get(), "the hit that starts a refresh returns at once")
		synctest.Wait()
		assert.Equal(t, int32(2), calls.Load(), "refresh started")
		for range 100 {
			require.Equal(t, "v1", get())
		}
		synctest.Wait()
		assert.Equal(t, int32(2), calls.Load(), "one refresh at a time")

		close(release)
		synctest.Wait()
		v, exp, ok := c.GetWithExpiry("k")
		require.True(t, ok)
		assert.Equal(t, "v2", v)
		assert.Equal(t, clk.Time().Add(10*time.Second), exp, "the refreshed value has a fresh lifetime")
		st := c.Stats()
		assert.Equal(t, uint64(1), st.Loads)
		assert.Equal(t, uint64(1), st.Refreshes)
		assert.Equal(t, uint64(0), st.RefreshErrors)

		clk.Advance(5*time.Second - 1)
		require.Equal(t, "v2", get())
		synctest.Wait()
		assert.Equal(t, int32(2), calls.Load(), "the new entry's refresh time counts from its write")
	})
}

func TestCacheGetOrLoad_RefreshAheadFailureKeepsValueUntilDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		c := newLoadCache(t, shard.Options[string, string]{Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.8})
		var calls atomic.Int32
		load := func(context.Context, string) (string, error) {
			if calls.Add(1) > 1 {
				return "", errBackend
			}
			return "v1", nil
		}
		get := func() (string, error) { return c.GetOrLoad(t.Context(), "k", load) }
		_, err := get()
		require.NoError(t, err)
		clk.Advance(8 * time.Second)
		v, err := get()
		require.NoError(t, err)
		assert.Equal(t, "v1", v)
		synctest.Wait()
		assert.Equal(t, int32(2), calls.Load())
		assert.Equal(t, uint64(1), c.Stats().RefreshErrors)

		clk.Advance(2*time.Second - 1)
		for range 10 {
			v, err = get()
			require.NoError(t, err)
			assert.Equal(t, "v1", v, "the current value is kept after a failed refresh")
		}
		synctest.Wait()
		assert.Equal(t, int32(2), calls.Load(), "a failed refresh is not retried on every hit")

		clk.Advance(1)
		_, err = get()
		assert.ErrorIs(t, err, errBackend, "at its deadline the value is gone and a miss loads")
		st := c.Stats()
		assert.Equal(t, uint64(2), st.Loads)
		assert.Equal(t, uint64(1), st.LoadErrors)
		assert.Equal(t, uint64(1), st.Refreshes)
	})
}

// TestCacheGetOrLoad_RefreshAheadJoinedByMisses: a refresh still running at
// the entry's deadline is the load that misses wait for, not a second one.
func TestCacheGetOrLoad_RefreshAheadJoinedByMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		c := newLoadCache(t, shard.Options[string, string]{Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.5})
		g := newGatedLoader(func(n int32, _ string) (string, error) { return "v" + strconv.Itoa(int(n)), nil })
		c.Set("k", "v0")
		clk.Advance(6 * time.Second)
		v, err := c.GetOrLoad(t.Context(), "k", g.load)
		require.NoError(t, err)
		require.Equal(t, "v0", v)
		synctest.Wait()
		require.Equal(t, int32(1), g.calls.Load())

		clk.Advance(4 * time.Second) // v0 expires; the refresh is still blocked
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				v, err := c.GetOrLoad(t.Context(), "k", g.load)
				assert.NoError(t, err)
				assert.Equal(t, "v1", v)
			})
		}
		synctest.Wait()
		close(g.release)
		wg.Wait()
		assert.Equal(t, int32(1), g.calls.Load())
		st := c.Stats()
		assert.Equal(t, uint64(0), st.Loads)
		assert.Equal(t, uint64(1), st.Refreshes)
	})
}

func TestCacheGetOrLoad_RefreshAheadSupersededBySet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		c := newLoadCache(t, shard.Options[string, string]{Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.5})
		g := newGatedLoader(valueOfKey)
		c.Set("k", "v0")
		clk.Advance(6 * time.Second)
		c.GetOrLoad(t.Context(), "k", g.load)
		synctest.Wait()
		c.Set("k", "set")
		close(g.release)
		synctest.Wait()
		v, _ := c.Get("k")
		assert.Equal(t, "set", v)
	})
}

func TestCacheGetOrLoad_RefreshAheadNotFoundRemovesValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadEpoch)
		var evicted []string
		c := newLoadCache(t, shard.Options[string, string]{
			Clock: clk, TTL: 10 * time.Second, RefreshAhead: 0.5, NegativeTTL: time.Minute,
			OnEvict: func(k, v string, r evict.Reason) { evicted = append(evicted, v+" "+r.String()) },
		})
		var calls atomic.Int32
		load := func(context.Context, string) (string, error) {
			calls.Add(1)
			return "", shard.ErrNotFound
		}
		c.Set("k", "v0")
		clk.Advance(6 * time.Second)
		v, err := c.GetOrLoad(t.Context(), "k", load)
		require.NoError(t, err)
		require.Equal(t, "v0", v)
		synctest.Wait()
		_, ok := c.Get("k")
		assert.False(t, ok, "the source says the key is gone")
		assert.Equal(t, []string{"v0 replaced"}, evicted)
		_, err = c.GetOrLoad(t.Context(), "k", load)
		assert.ErrorIs(t, err, shard.ErrNotFound)
		assert.Equal(t, int32(1), calls.Load(), "and the absence is remembered")
		st := c.Stats()
		assert.Equal(t, uint64(1), st.NotFound, "counted as not-found")
		assert.Equal(t, uint64(0), st.RefreshErrors, "not as a failed refresh (whose value is kept)")
		assert.Equal(t, uint64(1), st.Evictions[evict.Replaced])
	})
}

func TestCacheGetOrLoad_HitAllocatesNothing(t *testing.T) {
	for _, refresh := range []float64{0, 0.9} {
		c := newLoadCache(t, shard.Options[string, string]{TTL: time.Hour, RefreshAhead: refresh})
		load := func(context.Context, string) (string, error) { return "v", nil }
		ctx := context.Background()
		_, err := c.GetOrLoad(ctx, "k", load)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(1000, func() {
			if v, err := c.GetOrLoad(ctx, "k", load); err != nil || v != "v" {
				t.Fatal(v, err)
			}
		})
		assert.Zero(t, allocs, "RefreshAhead %v", refresh)
	}
}

// BenchmarkCacheGetOrLoad compares a GetOrLoad hit with a Get hit on the
// same cache and keys, in the same run.
func BenchmarkCacheGetOrLoad(b *testing.B) {
	const keys = 1 << 10
	c := shard.Must(shard.Options[uint64, uint64]{Capacity: 2 * keys, TTL: time.Hour})
	defer c.Close()
	load := func(_ context.Context, k uint64) (uint64, error) { return k, nil }
	ctx := context.Background()
	for k := range uint64(keys) {
		c.GetOrLoad(ctx, k, load)
	}
	b.Run("Get", func(b *testing.B) {
		var i uint64
		for b.Loop() {
			if _, ok := c.Get(i & (keys - 1)); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("GetOrLoad", func(b *testing.B) {
		var i uint64
		for b.Loop() {
			if _, err := c.GetOrLoad(ctx, i&(keys-1), load); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// Interleaved alternates blocks of 1024 Gets and 1024 GetOrLoads and
	// reports the median of each and of their ratio: on a noisy machine,
	// neighbouring blocks see the same noise.
	b.Run("Interleaved", func(b *testing.B) {
		var gets, loads, ratios []float64
		for b.Loop() {
			t0 := time.Now()
			for k := range uint64(keys) {
				if _, ok := c.Get(k); !ok {
					b.Fatal("miss")
				}
			}
			t1 := time.Now()
			for k := range uint64(keys) {
				if _, err := c.GetOrLoad(ctx, k, load); err != nil {
					b.Fatal(err)
				}
			}
			get, getOrLoad := float64(t1.Sub(t0))/keys, float64(time.Since(t1))/keys
			gets, loads, ratios = append(gets, get), append(loads, getOrLoad), append(ratios, getOrLoad/get)
		}
		median := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
		b.ReportMetric(median(gets), "Get-ns")
		b.ReportMetric(median(loads), "GetOrLoad-ns")
		b.ReportMetric(median(ratios), "ratio")
	})
	b.Run("GetOrLoadParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var i uint64
			for pb.Next() {
				c.GetOrLoad(ctx, i&(keys-1), load)
				i++
			}
		})
	})
	b.Run("GetParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var i uint64
			for pb.Next() {
				c.Get(i & (keys - 1))
				i++
			}
		})
	})
}

// BenchmarkCacheGetOrLoadCancel measures, on the real clock, how long after
// its context is cancelled a waiter returns while the load it waits for
// goes on: 100 waiters per iteration; it reports the median and the 99th
// percentile over all of them.
func BenchmarkCacheGetOrLoadCancel(b *testing.B) {
	c := shard.Must(shard.Options[string, string]{Capacity: 16, CountHits: true})
	defer c.Close()
	release := make(chan struct{})
	defer close(release)
	load := func(context.Context, string) (string, error) { <-release; return "v", nil }
	const waiters = 100
	var all []time.Duration
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		misses := c.Stats().Misses
		lat := make(chan time.Duration, waiters)
		var cancelledAt atomic.Pointer[time.Time]
		for range waiters {
			go func() {
				c.GetOrLoad(ctx, "k", load)
				lat <- time.Since(*cancelledAt.Load())
			}()
		}
		for c.Stats().Misses < misses+waiters { // all are waiting
			runtime.Gosched()
		}
		now := time.Now()
		cancelledAt.Store(&now)
		cancel()
		for range waiters {
			all = append(all, <-lat)
		}
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100])/1e3, "p99-µs")
}
