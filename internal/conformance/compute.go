package conformance

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/model"
	"github.com/hotcache/hotcache/shard"
)

// runCompute runs the subtests of Compute, GetOrLoadAll and Refresh.
func (s Suite[K, V]) runCompute(t *testing.T) {
	t.Run("Compute", s.compute)
	t.Run("ComputeConcurrent", s.computeConcurrent)
	t.Run("ComputeSupersedesLoad", s.computeSupersedesLoad)
	t.Run("ComputeRacesLoad", s.computeRacesLoad)
	t.Run("ComputePanic", s.computePanic)
	t.Run("GetOrLoadAll", s.getOrLoadAll)
	t.Run("GetOrLoadAllJoins", s.getOrLoadAllJoins)
	t.Run("GetOrLoadAllCancel", s.getOrLoadAllCancel)
	t.Run("GetOrLoadAllConcurrent", s.getOrLoadAllConcurrent)
	t.Run("Refresh", s.refresh)
	t.Run("RefreshConcurrent", s.refreshConcurrent)
	t.Run("RefreshJoinedByGetOrLoad", s.refreshJoined)
}

// replayOps is the number of operations Replay draws from; 10 to 12 are
// replayCompute's. replayNegativeTTL is how long its caches remember a
// not-found.
const (
	replayOps         = 13
	replayNegativeTTL = 1500 * time.Millisecond
)

var errBackend = errors.New("backend down")

// replayCompute runs op 10 (Compute), 11 (GetOrLoadAll) or 12 (Refresh)
// of Replay on the cache and the model, and requires them to agree. Keys
// whose index is a multiple of 10 have no value in the backend (few
// enough to be all remembered: the cache forgets not-founds beyond a
// shard's capacity, in an order the model does not follow); some loads
// fail.
func (s Suite[K, V]) replayCompute(t testing.TB, step int, op, arg byte, c Cache[K, V], m *model.Cache[K, V]) {
	idx := int(arg % 40)
	k := s.Key(idx)
	v := s.Val(int(op) * int(arg))
	variant := int(op / replayOps)
	switch op % replayOps {
	case 10:
		kind := shard.ComputeOp(variant % 3)
		type seen struct {
			old   V
			found bool
		}
		var got, want seen
		ga, gok := c.Compute(k, func(old V, found bool) (V, shard.ComputeOp) { got = seen{old, found}; return v, kind })
		ma, mok := m.Compute(k, func(old V, found bool) (V, shard.ComputeOp) { want = seen{old, found}; return v, kind })
		require.Equal(t, want, got, "step %d: Compute %v: f's arguments", step, kind)
		require.Equal(t, mok, gok, "step %d: Compute %v: ok", step, kind)
		require.Equal(t, ma, ga, "step %d: Compute %v: actual", step, kind)
	case 11:
		ids := []int{idx, (idx*7 + int(op)) % 40, (idx + 1) % 40, idx}
		index := map[K]int{}
		keys := make([]K, len(ids))
		for i, id := range ids {
			keys[i] = s.Key(id)
			index[keys[i]] = id
		}
		backend := func(asked *[]K) func([]K) (map[K]V, error) {
			return func(ks []K) (map[K]V, error) {
				*asked = append(*asked, ks...)
				if variant%8 == 0 {
					return nil, errBackend
				}
				vals := map[K]V{}
				for _, k := range ks {
					if index[k]%10 != 0 {
						vals[k] = s.Val(index[k] + 1000)
					}
				}
				return vals, nil
			}
		}
		var gAsked, mAsked []K
		gLoad := backend(&gAsked)
		got, gerr := c.GetOrLoadAll(context.Background(), keys, func(_ context.Context, ks []K) (map[K]V, error) { return gLoad(ks) })
		want, merr := m.GetOrLoadAll(keys, backend(&mAsked))
		require.Equal(t, mAsked, gAsked, "step %d: GetOrLoadAll: keys loaded", step)
		require.Equal(t, merr, gerr, "step %d: GetOrLoadAll: error", step)
		require.Equal(t, want, got, "step %d: GetOrLoadAll: values", step)
	case 12:
		load := func(K) (V, error) {
			switch {
			case variant%4 == 0:
				return v, errBackend
			case idx%10 == 0:
				return v, shard.ErrNotFound
			}
			return v, nil
		}
		gerr := c.Refresh(context.Background(), k, func(_ context.Context, k K) (V, error) { return load(k) })
		merr := m.Refresh(k, load)
		require.Equal(t, merr, gerr, "step %d: Refresh: error", step)
	}
}

// compute checks each op of Compute, what f sees, and what the cache holds
// afterwards.
func (s Suite[K, V]) compute(t *testing.T) {
	clk := clock.NewManual(epoch)
	var evicted []evict.Reason
	var mu sync.Mutex
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk, TTL: time.Minute, OnEvict: func(_ K, _ V, r evict.Reason) {
		mu.Lock()
		evicted = append(evicted, r)
		mu.Unlock()
	}})
	k := s.Key(1)
	write := func(v V) func(V, bool) (V, shard.ComputeOp) {
		return func(V, bool) (V, shard.ComputeOp) { return v, shard.WriteOp }
	}

	var sawOld V
	sawFound := true
	actual, ok := c.Compute(k, func(old V, found bool) (V, shard.ComputeOp) {
		sawOld, sawFound = old, found
		return s.Val(9), shard.CancelOp
	})
	assert.False(t, sawFound, "f sees no value for an absent key")
	assert.Equal(t, *new(V), sawOld)
	assert.False(t, ok, "CancelOp on an absent key")
	assert.Equal(t, *new(V), actual)
	_, ok = c.Peek(k)
	assert.False(t, ok, "CancelOp stores nothing")

	actual, ok = c.Compute(k, write(s.Val(1)))
	assert.True(t, ok)
	assert.Equal(t, s.Val(1), actual)
	v, exp, ok := c.GetWithExpiry(k)
	require.True(t, ok, "WriteOp stores")
	assert.Equal(t, s.Val(1), v)
	assert.Equal(t, clk.Time().Add(time.Minute), exp, "a written value gets Options.TTL, as Set's")

	actual, ok = c.Compute(k, func(old V, found bool) (V, shard.ComputeOp) {
		sawOld, sawFound = old, found
		return s.Val(2), shard.CancelOp
	})
	assert.True(t, sawFound)
	assert.Equal(t, s.Val(1), sawOld, "f sees the current value")
	assert.True(t, ok, "CancelOp returns the current value")
	assert.Equal(t, s.Val(1), actual)

	actual, ok = c.Compute(k, write(s.Val(2)))
	assert.True(t, ok)
	assert.Equal(t, s.Val(2), actual)
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(2), v, "WriteOp replaces")

	actual, ok = c.Compute(k, func(V, bool) (V, shard.ComputeOp) { return s.Val(3), shard.InvalidateOp })
	assert.False(t, ok)
	assert.Equal(t, *new(V), actual)
	_, ok = c.Get(k)
	assert.False(t, ok, "InvalidateOp deletes")
	assert.Equal(t, 0, c.Len())
	mu.Lock()
	assert.Equal(t, []evict.Reason{evict.Replaced, evict.Deleted}, evicted, "OnEvict: replaced by WriteOp, deleted by InvalidateOp")
	mu.Unlock()

	// An expired entry is absent for f.
	c.Set(k, s.Val(4))
	clk.Advance(time.Minute)
	c.Compute(k, func(old V, found bool) (V, shard.ComputeOp) {
		sawFound = found
		return old, shard.CancelOp
	})
	assert.False(t, sawFound, "f sees no value for an expired entry")

	// A nil f and an unknown op panic, and nothing cached is lost.
	c.Set(k, s.Val(5))
	assert.PanicsWithValue(t, "shard: Compute called with a nil function", func() { c.Compute(k, nil) })
	assert.PanicsWithValue(t, "shard: Compute: f returned ComputeOp(7), want CancelOp, WriteOp or InvalidateOp", func() {
		c.Compute(k, func(V, bool) (V, shard.ComputeOp) { return s.Val(6), 7 })
	})
	v, ok = c.Get(k)
	assert.True(t, ok)
	assert.Equal(t, s.Val(5), v, "bad input leaves the entry as it was")
	c.Set(k, s.Val(7)) // and the shard unlocked
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(7), v)
}

// computeConcurrent increments one counter from many goroutines with
// Compute, mixed with Sets of other keys: no increment is lost, which
// holds only if no write of the key runs between f's read and the
// publication of its result.
func (s Suite[K, V]) computeConcurrent(t *testing.T) {
	const workers, each = 8, 200
	c := s.build(t, shard.Options[K, V]{Capacity: 2 * workers * each, Shards: 4})
	// The counter's value i is s.Val(i); text tells values apart, whatever V is.
	index := map[string]int{}
	for i := range workers*each + 1 {
		index[text(s.Val(i))] = i
	}
	k := s.Key(0)
	c.Set(k, s.Val(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				c.Compute(k, func(old V, found bool) (V, shard.ComputeOp) {
					if !found {
						return old, shard.CancelOp
					}
					return s.Val(index[text(old)] + 1), shard.WriteOp
				})
				c.Set(s.Key(1+w*each+i), s.Val(i))
			}
		}()
	}
	wg.Wait()
	v, ok := c.Get(k)
	require.True(t, ok)
	assert.Equal(t, s.Val(workers*each), v, "every increment counted")
}

// computeSupersedesLoad checks that a Compute that writes or deletes wins
// over a load of the key in flight, as Set and Delete do, and that one
// that cancels does not.
func (s Suite[K, V]) computeSupersedesLoad(t *testing.T) {
	for _, op := range []shard.ComputeOp{shard.WriteOp, shard.InvalidateOp, shard.CancelOp} {
		t.Run(op.String(), func(t *testing.T) {
			c := s.build(t, shard.Options[K, V]{Capacity: 100})
			k := s.Key(1)
			started, release := make(chan struct{}), make(chan struct{})
			done := make(chan V)
			go func() {
				v, _ := c.GetOrLoad(context.Background(), k, func(context.Context, K) (V, error) {
					close(started)
					<-release
					return s.Val(1), nil
				})
				done <- v
			}()
			<-started
			c.Compute(k, func(V, bool) (V, shard.ComputeOp) { return s.Val(2), op })
			close(release)
			assert.Equal(t, s.Val(1), <-done, "the load's caller gets the load's value")
			v, ok := c.Get(k)
			switch op {
			case shard.WriteOp:
				assert.True(t, ok)
				assert.Equal(t, s.Val(2), v, "the load completed after Compute must not overwrite its value")
			case shard.InvalidateOp:
				assert.False(t, ok, "the load completed after Compute's delete must not store")
			case shard.CancelOp:
				assert.True(t, ok)
				assert.Equal(t, s.Val(1), v, "a CancelOp supersedes nothing")
			}
		})
	}
}

// computeRacesLoad runs a GetOrLoad and a Compute write of one key at
// the same time, many times over: whatever the interleaving, the Compute's
// value is what stays. (A load that published first is overwritten; one
// in flight when Compute ran is superseded; one that starts after it finds
// the value and loads nothing.)
func (s Suite[K, V]) computeRacesLoad(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 1000})
	for i := range 300 {
		k := s.Key(i)
		var wg sync.WaitGroup
		wg.Go(func() {
			c.GetOrLoad(context.Background(), k, func(context.Context, K) (V, error) {
				runtime.Gosched()
				return s.Val(1), nil
			})
		})
		wg.Go(func() {
			c.Compute(k, func(V, bool) (V, shard.ComputeOp) { return s.Val(2), shard.WriteOp })
		})
		wg.Wait()
		v, ok := c.Get(k)
		require.True(t, ok)
		require.Equal(t, s.Val(2), v, "round %d: a load completed after Compute overwrote its value", i)
	}
}

// computePanic checks that a panic in f propagates, leaves the entry
// unchanged and releases the lock.
func (s Suite[K, V]) computePanic(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 10, Shards: 1})
	k := s.Key(1)
	c.Set(k, s.Val(1))
	assert.PanicsWithValue(t, "boom", func() {
		c.Compute(k, func(V, bool) (V, shard.ComputeOp) { panic("boom") })
	})
	v, ok := c.Get(k)
	require.True(t, ok)
	assert.Equal(t, s.Val(1), v)
	// Another goroutine's write of the same shard goes through: the lock
	// was released.
	done := make(chan struct{})
	go func() {
		c.Set(s.Key(2), s.Val(2))
		c.Compute(k, func(V, bool) (V, shard.ComputeOp) { return s.Val(3), shard.WriteOp })
		close(done)
	}()
	<-done
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(3), v)
}

// getOrLoadAll checks the sequential contract: cached keys are not loaded,
// the others in one call, absent ones remembered as not found, errors not
// cached, bad input rejected.
func (s Suite[K, V]) getOrLoadAll(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk, NegativeTTL: time.Minute})
	ctx := context.Background()
	var calls [][]K
	load := func(_ context.Context, ks []K) (map[K]V, error) {
		calls = append(calls, ks)
		out := map[K]V{}
		for _, k := range ks {
			if k != s.Key(3) { // key 3 has no value
				out[k] = s.Val(len(calls)*100 + len(out))
			}
		}
		out[s.Key(99)] = s.Val(99) // not asked for: ignored
		return out, nil
	}
	c.Set(s.Key(1), s.Val(1))
	got, err := c.GetOrLoadAll(ctx, []K{s.Key(1), s.Key(2), s.Key(3), s.Key(2), s.Key(4)}, load)
	require.NoError(t, err)
	assert.Equal(t, [][]K{{s.Key(2), s.Key(3), s.Key(4)}}, calls, "one load, of the missing keys, each once, in order")
	assert.Equal(t, map[K]V{s.Key(1): s.Val(1), s.Key(2): s.Val(100), s.Key(4): s.Val(101)}, got)
	for _, i := range []int{2, 4} {
		v, ok := c.Get(s.Key(i))
		assert.True(t, ok, "key %d loaded and stored", i)
		assert.Equal(t, got[s.Key(i)], v)
	}
	_, ok := c.Peek(s.Key(99))
	assert.False(t, ok, "a key not asked for is not stored")

	got, err = c.GetOrLoadAll(ctx, []K{s.Key(1), s.Key(2), s.Key(3)}, load)
	require.NoError(t, err)
	assert.Len(t, calls, 1, "cached values and remembered not-founds are not loaded")
	assert.Equal(t, map[K]V{s.Key(1): s.Val(1), s.Key(2): s.Val(100)}, got)
	_, err = c.GetOrLoad(ctx, s.Key(3), func(context.Context, K) (V, error) {
		t.Error("a key the bulk load returned nothing for is remembered as not found")
		return s.Val(0), nil
	})
	assert.ErrorIs(t, err, shard.ErrNotFound)
	clk.Advance(time.Minute)
	_, err = c.GetOrLoadAll(ctx, []K{s.Key(3)}, load)
	require.NoError(t, err)
	assert.Len(t, calls, 2, "and forgotten after NegativeTTL")

	fail := func(context.Context, []K) (map[K]V, error) { return map[K]V{s.Key(5): s.Val(5)}, errBackend }
	got, err = c.GetOrLoadAll(ctx, []K{s.Key(1), s.Key(5)}, fail)
	assert.ErrorIs(t, err, errBackend)
	assert.Equal(t, map[K]V{s.Key(1): s.Val(1)}, got, "the values obtained come with the error")
	_, ok = c.Peek(s.Key(5))
	assert.False(t, ok, "a failed load stores nothing")

	got, err = c.GetOrLoadAll(ctx, []K{s.Key(1), s.Key(8), s.Key(9)}, func(context.Context, []K) (map[K]V, error) {
		return map[K]V{s.Key(8): s.Val(8)}, fmt.Errorf("registry: %w", shard.ErrNotFound)
	})
	require.NoError(t, err, "a load error wrapping ErrNotFound makes its keys not found")
	assert.Equal(t, map[K]V{s.Key(1): s.Val(1)}, got)
	_, err = c.GetOrLoad(ctx, s.Key(8), nil)
	assert.ErrorIs(t, err, shard.ErrNotFound, "and remembered")

	got, err = c.GetOrLoadAll(ctx, []K{s.Key(6)}, func(context.Context, []K) (map[K]V, error) { panic("bulk boom") })
	var pe *shard.PanicError
	require.ErrorAs(t, err, &pe, "a panicking load gives a *PanicError")
	assert.Equal(t, "bulk boom", pe.Value)
	assert.Empty(t, got)

	n := c.Len()
	got, err = c.GetOrLoadAll(ctx, []K{s.Key(1)}, nil)
	assert.EqualError(t, err, "shard: GetOrLoadAll called with a nil load function")
	assert.Nil(t, got)
	assert.Equal(t, n, c.Len(), "bad input loses nothing")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	got, err = c.GetOrLoadAll(cancelled, []K{s.Key(1), s.Key(7)}, load)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, map[K]V{s.Key(1): s.Val(1)}, got, "a done ctx still gets the cached values")
	assert.Len(t, calls, 2, "a done ctx loads nothing")
}

// waitMisses waits until c, built with CountHits, has counted n misses: a
// GetOrLoad counts its miss before it waits for a load.
func waitMisses[K comparable, V any](c Cache[K, V], n uint64) {
	for c.Stats().Misses < n {
		runtime.Gosched()
	}
}

// getOrLoadAllJoins checks that GetOrLoadAll joins loads in flight and is
// joined by GetOrLoad, that one load's error reaches every waiter of its
// keys, and that a write during the load wins.
func (s Suite[K, V]) getOrLoadAllJoins(t *testing.T) {
	ctx := context.Background()
	a, b := s.Key(1), s.Key(2)

	t.Run("JoinsGetOrLoad", func(t *testing.T) {
		c := s.build(t, shard.Options[K, V]{Capacity: 100})
		started, release := make(chan struct{}), make(chan struct{})
		go c.GetOrLoad(ctx, a, func(context.Context, K) (V, error) {
			close(started)
			<-release
			return s.Val(1), nil
		})
		<-started
		var asked []K
		res := make(chan map[K]V)
		go func() {
			got, err := c.GetOrLoadAll(ctx, []K{a, b}, func(_ context.Context, ks []K) (map[K]V, error) {
				asked = ks
				close(release) // a's load completes only after the bulk load started
				return map[K]V{b: s.Val(2)}, nil
			})
			assert.NoError(t, err)
			res <- got
		}()
		assert.Equal(t, map[K]V{a: s.Val(1), b: s.Val(2)}, <-res)
		assert.Equal(t, []K{b}, asked, "the key being loaded is joined, not loaded again")
	})

	t.Run("JoinedByGetOrLoad", func(t *testing.T) {
		c := s.build(t, shard.Options[K, V]{Capacity: 100, CountHits: true})
		started, release := make(chan struct{}), make(chan struct{})
		res := make(chan error)
		go func() {
			_, err := c.GetOrLoadAll(ctx, []K{a, b}, func(context.Context, []K) (map[K]V, error) {
				close(started)
				<-release
				return nil, errBackend
			})
			res <- err
		}()
		<-started
		waitMisses(c, 2)
		joined := make(chan error)
		go func() {
			_, err := c.GetOrLoad(ctx, a, func(context.Context, K) (V, error) {
				t.Error("GetOrLoad of a key being bulk-loaded must join the bulk load")
				return s.Val(0), nil
			})
			joined <- err
		}()
		waitMisses(c, 3) // GetOrLoad waits for the bulk load
		close(release)
		assert.ErrorIs(t, <-res, errBackend)
		assert.ErrorIs(t, <-joined, errBackend, "the bulk load's error reaches every waiter of its keys")
		assert.Equal(t, 0, c.Len(), "nothing cached")
	})

	t.Run("WriteWins", func(t *testing.T) {
		c := s.build(t, shard.Options[K, V]{Capacity: 100})
		started, release := make(chan struct{}), make(chan struct{})
		res := make(chan map[K]V)
		go func() {
			got, _ := c.GetOrLoadAll(ctx, []K{a, b}, func(context.Context, []K) (map[K]V, error) {
				close(started)
				<-release
				return map[K]V{a: s.Val(1), b: s.Val(2)}, nil
			})
			res <- got
		}()
		<-started
		c.Set(a, s.Val(3))
		c.Delete(b)
		close(release)
		assert.Equal(t, map[K]V{a: s.Val(1), b: s.Val(2)}, <-res, "the callers get the load's values")
		v, _ := c.Get(a)
		assert.Equal(t, s.Val(3), v, "a Set during the bulk load wins")
		_, ok := c.Get(b)
		assert.False(t, ok, "a Delete during the bulk load wins")
	})
}

// getOrLoadAllCancel checks that a GetOrLoadAll whose ctx ends returns at
// once, that the load goes on for other waiters, and that its context is
// cancelled once none is left.
func (s Suite[K, V]) getOrLoadAllCancel(t *testing.T) {
	a, b := s.Key(1), s.Key(2)
	for _, other := range []bool{false, true} {
		t.Run(fmt.Sprintf("otherWaiter=%v", other), func(t *testing.T) {
			c := s.build(t, shard.Options[K, V]{Capacity: 100, CountHits: true})
			started, release := make(chan struct{}), make(chan struct{})
			loadCtx := make(chan context.Context, 1)
			ctx, cancel := context.WithCancel(context.Background())
			res := make(chan error)
			go func() {
				_, err := c.GetOrLoadAll(ctx, []K{a, b}, func(lctx context.Context, _ []K) (map[K]V, error) {
					loadCtx <- lctx
					close(started)
					<-release
					return map[K]V{a: s.Val(1), b: s.Val(2)}, nil
				})
				res <- err
			}()
			<-started
			lctx := <-loadCtx
			joined := make(chan V)
			if other {
				waitMisses(c, 2)
				go func() {
					v, err := c.GetOrLoad(context.Background(), b, func(context.Context, K) (V, error) {
						t.Error("GetOrLoad of a key being bulk-loaded must join the bulk load")
						return s.Val(0), nil
					})
					assert.NoError(t, err)
					joined <- v
				}()
				waitMisses(c, 3)
			}
			cancel()
			assert.ErrorIs(t, <-res, context.Canceled, "the caller returns when its ctx ends, before the load")
			if other {
				assert.NoError(t, lctx.Err(), "the load goes on while a caller waits for one of its keys")
				close(release)
				assert.Equal(t, s.Val(2), <-joined)
				v, ok := c.Get(b)
				assert.True(t, ok)
				assert.Equal(t, s.Val(2), v)
				return
			}
			<-lctx.Done() // cancelled once no caller waits: a hang fails the test
			close(release)
		})
	}
}

// refresh checks Refresh's sequential contract.
func (s Suite[K, V]) refresh(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk, NegativeTTL: time.Minute})
	ctx := context.Background()
	k := s.Key(1)
	value := func(v V) func(context.Context, K) (V, error) {
		return func(context.Context, K) (V, error) { return v, nil }
	}

	require.NoError(t, c.Refresh(ctx, k, value(s.Val(1))))
	v, ok := c.Get(k)
	assert.True(t, ok, "Refresh of an absent key stores it")
	assert.Equal(t, s.Val(1), v)

	require.NoError(t, c.Refresh(ctx, k, value(s.Val(2))))
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(2), v, "Refresh replaces")

	err := c.Refresh(ctx, k, func(context.Context, K) (V, error) { return s.Val(3), errBackend })
	assert.ErrorIs(t, err, errBackend, "Refresh returns the load's error")
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(2), v, "a failed reload keeps the old value")

	err = c.Refresh(ctx, k, func(context.Context, K) (V, error) { panic("refresh boom") })
	var pe *shard.PanicError
	require.ErrorAs(t, err, &pe)
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(2), v, "a panicking reload keeps the old value")

	err = c.Refresh(ctx, k, nil)
	assert.EqualError(t, err, "shard: Refresh called with a nil load function")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, c.Refresh(cancelled, k, value(s.Val(4))), context.Canceled)
	v, _ = c.Get(k)
	assert.Equal(t, s.Val(2), v, "bad input loses nothing")

	err = c.Refresh(ctx, k, func(context.Context, K) (V, error) { return s.Val(0), shard.ErrNotFound })
	assert.ErrorIs(t, err, shard.ErrNotFound)
	_, ok = c.Get(k)
	assert.False(t, ok, "a not-found reload removes the key")
	_, err = c.GetOrLoad(ctx, k, func(context.Context, K) (V, error) {
		t.Error("the not-found is remembered for NegativeTTL")
		return s.Val(0), nil
	})
	assert.ErrorIs(t, err, shard.ErrNotFound)
	require.NoError(t, c.Refresh(ctx, k, value(s.Val(5))), "a Refresh reloads a remembered not-found")
	v, ok = c.Get(k)
	assert.True(t, ok)
	assert.Equal(t, s.Val(5), v)

	st := c.Stats()
	assert.Equal(t, uint64(6), st.Refreshes, "reloads count as refreshes")
	assert.Equal(t, uint64(2), st.RefreshErrors)
}

// startRefresh starts a Refresh of k in c whose load returns v once
// release is closed, and returns when the load has started; res gets
// Refresh's error.
func (s Suite[K, V]) startRefresh(c Cache[K, V], k K, v V) (release chan struct{}, res chan error) {
	started := make(chan struct{})
	release, res = make(chan struct{}), make(chan error)
	go func() {
		res <- c.Refresh(context.Background(), k, func(context.Context, K) (V, error) {
			close(started)
			<-release
			return v, nil
		})
	}()
	<-started
	return release, res
}

// refreshConcurrent checks that readers keep the current value while a
// reload runs, and that a Delete or Set during the reload wins over it.
func (s Suite[K, V]) refreshConcurrent(t *testing.T) {
	for _, write := range []string{"none", "Delete", "Set", "Clear"} {
		t.Run(write, func(t *testing.T) {
			c := s.build(t, shard.Options[K, V]{Capacity: 100})
			k := s.Key(1)
			c.Set(k, s.Val(1))
			release, res := s.startRefresh(c, k, s.Val(2))
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 100 {
						v, ok := c.Get(k)
						if write == "none" && (!ok || text(v) != text(s.Val(1))) {
							t.Errorf("a reader saw %v, %v during the reload, want the current value", v, ok)
							return
						}
					}
				}()
			}
			wg.Wait()
			switch write {
			case "Delete":
				c.Delete(k)
			case "Set":
				c.Set(k, s.Val(3))
			case "Clear":
				c.Clear()
			}
			close(release)
			require.NoError(t, <-res)
			v, ok := c.Get(k)
			switch write {
			case "none":
				assert.True(t, ok)
				assert.Equal(t, s.Val(2), v, "the reloaded value is stored")
			case "Set":
				assert.Equal(t, s.Val(3), v, "a Set during the reload wins")
			default:
				assert.False(t, ok, "a %s during the reload wins: the reload must not resurrect the key", write)
			}
		})
	}
}

// getOrLoadAllConcurrent runs GetOrLoadAll and GetOrLoad over overlapping
// keys from many goroutines: each key is loaded once (loads in flight are
// joined, stored ones hit), and every caller gets every key's value.
func (s Suite[K, V]) getOrLoadAllConcurrent(t *testing.T) {
	const workers, nkeys = 8, 64
	c := s.build(t, shard.Options[K, V]{Capacity: 1000})
	index := map[K]int{}
	for i := range nkeys {
		index[s.Key(i)] = i
	}
	var mu sync.Mutex
	loads := map[K]int{}
	bulk := func(_ context.Context, ks []K) (map[K]V, error) {
		out := map[K]V{}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range ks {
			loads[k]++
			out[k] = s.Val(index[k])
		}
		return out, nil
	}
	one := func(_ context.Context, k K) (V, error) {
		mu.Lock()
		defer mu.Unlock()
		loads[k]++
		return s.Val(index[k]), nil
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for round := range 8 {
				var keys []K
				for i := range nkeys {
					if (i+w+round)%3 != 0 {
						keys = append(keys, s.Key(i))
					}
				}
				if w%4 == 0 {
					for _, k := range keys {
						v, err := c.GetOrLoad(context.Background(), k, one)
						assert.NoError(t, err)
						assert.Equal(t, s.Val(index[k]), v)
					}
					continue
				}
				got, err := c.GetOrLoadAll(context.Background(), keys, bulk)
				assert.NoError(t, err)
				assert.Len(t, got, len(keys))
				for _, k := range keys {
					assert.Equal(t, s.Val(index[k]), got[k])
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for k, n := range loads {
		assert.Equal(t, 1, n, "key %v loaded %d times", k, n)
	}
	assert.Len(t, loads, nkeys)
}

// refreshJoined checks that a GetOrLoad miss during a Refresh waits for
// the reload instead of loading again.
func (s Suite[K, V]) refreshJoined(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 100, CountHits: true})
	k := s.Key(1)
	release, res := s.startRefresh(c, k, s.Val(1))
	joined := make(chan V)
	go func() {
		v, err := c.GetOrLoad(context.Background(), k, func(context.Context, K) (V, error) {
			t.Error("a GetOrLoad miss during a Refresh must join the reload")
			return s.Val(0), nil
		})
		assert.NoError(t, err)
		joined <- v
	}()
	waitMisses(c, 1)
	close(release)
	require.NoError(t, <-res)
	assert.Equal(t, s.Val(1), <-joined)
}
