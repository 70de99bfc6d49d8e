package shard

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
)

var loadTestEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestEngineGetOrLoad_Stress mixes loads that succeed, fail, report
// not-found and panic with every kind of write, cancellations, refreshes
// and time passing, from real goroutines; then, once every background load
// has ended, it checks that values never crossed keys, that nothing stays
// in flight, and that the shards are consistent.
// It runs with RefreshAhead (new nodes on every write) and without (int
// values updated in place).
func TestEngineGetOrLoad_Stress(t *testing.T) {
	for _, refresh := range []float64{0, 0.5} {
		t.Run(fmt.Sprintf("RefreshAhead=%v", refresh), func(t *testing.T) { stressGetOrLoad(t, refresh) })
	}
}

func stressGetOrLoad(t *testing.T, refresh float64) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewManual(loadTestEpoch)
		c := Must(Options[int, int]{
			Capacity: 64, Shards: 4, Clock: clk, TTL: 10 * time.Second,
			NegativeTTL: 3 * time.Second, RefreshAhead: refresh,
		})
		defer c.Close()
		load := func(_ context.Context, k int) (int, error) {
			switch {
			case k%10 == 0:
				return 0, ErrNotFound
			case k%10 == 1:
				return 0, errors.New("backend")
			case k%37 == 2:
				panic("boom")
			}
			return k + 1000*rand.IntN(1000), nil
		}
		checkValue := func(k, v int, err error) {
			var pe *PanicError
			switch {
			case err == nil && v%1000 != k:
				t.Errorf("GetOrLoad(%d) = %d: another key's value", k, v)
			case err != nil && k%10 > 1 && k%37 != 2 && !errors.Is(err, context.Canceled):
				t.Errorf("GetOrLoad(%d): unexpected error %v", k, err)
			case errors.As(err, &pe) && k%37 != 2:
				t.Errorf("GetOrLoad(%d): unexpected panic %v", k, pe.Value)
			}
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 2))
				for i := range 3000 {
					k := r.IntN(200)
					switch r.IntN(20) {
					case 0, 1, 2, 3, 4, 5, 6, 7:
						v, err := c.GetOrLoad(context.Background(), k, load)
						checkValue(k, v, err)
					case 8:
						ctx, cancel := context.WithCancel(context.Background())
						wg.Go(func() {
							v, err := c.GetOrLoad(ctx, k, load)
							checkValue(k, v, err)
						})
						cancel()
					case 9, 10:
						if v, ok := c.Get(k); ok && v%1000 != k {
							t.Errorf("Get(%d) = %d", k, v)
						}
					case 11, 12:
						c.Set(k, k+1000*i)
					case 13:
						c.SetTTL(k, k, time.Duration(r.IntN(3)-1)*time.Second)
					case 14:
						c.SetIfAbsent(k, k)
					case 15:
						c.Delete(k)
					case 16:
						if i%100 == 0 {
							c.DeleteFunc(func(k, _ int) bool { return k%7 == 0 })
						}
					case 17:
						if w == 0 {
							clk.Advance(time.Second / 2) // also runs the sweep
						}
					case 18:
						if w == 1 && i%1000 == 0 {
							c.Clear()
						}
					case 19:
						c.Stats()
					}
				}
			})
		}
		wg.Wait()
		synctest.Wait() // refreshes and abandoned loads have ended
		require.NoError(t, c.e.check())
		st := c.Stats()
		t.Logf("%+v", st)
		assert.NotZero(t, st.Loads)
		assert.NotZero(t, st.LoadErrors)
		assert.NotZero(t, st.NegativeHits)
		assert.Equal(t, refresh != 0, st.Refreshes != 0)
		for i := range c.e.shards {
			s := &c.e.shards[i]
			s.mu.Lock()
			assert.Nil(t, s.ld.calls, "shard %d: loads left in flight", i)
			assert.Nil(t, s.ld.running, "shard %d: loads left running", i)
			assert.LessOrEqual(t, s.ld.negCount, s.capacity)
			assert.Equal(t, int64(s.ld.negCount), s.ld.pending.Load())
			remembered := 0
			if nt := s.ld.neg.Load(); nt != nil {
				forEach(nt, func(*node[int, error]) { remembered++ })
			}
			assert.Equal(t, s.ld.negCount, remembered, "shard %d: negCount", i)
			s.mu.Unlock()
		}
	})
}

func TestEngineSweep_ForgetsExpiredNotFounds(t *testing.T) {
	clk := clock.NewManual(loadTestEpoch)
	c := Must(Options[string, int]{Capacity: 1000, Shards: 2, Clock: clk, NegativeTTL: time.Second})
	defer c.Close()
	load := func(context.Context, string) (int, error) { return 0, ErrNotFound }
	for i := range 100 {
		c.GetOrLoad(context.Background(), strconv.Itoa(i), load)
	}
	pending := func() (n int64) {
		for i := range c.e.shards {
			n += c.e.shards[i].ld.pending.Load()
		}
		return n
	}
	assert.Equal(t, int64(100), pending())
	clk.Advance(time.Second - 1) // runs the sweep, nothing has expired
	assert.Equal(t, int64(100), pending())
	clk.Advance(1)
	assert.Equal(t, int64(0), pending(), "the sweep forgets expired not-founds")
	for i := range c.e.shards {
		assert.Nil(t, c.e.shards[i].ld.neg.Load(), "and drops the empty table")
	}
}

// TestRefreshNode_Size pins what RefreshAhead adds to an entry: 16 bytes; on
// 64-bit platforms a uint64 to uint64 node goes from 48 bytes to 64 (both
// malloc size classes).
func TestRefreshNode_Size(t *testing.T) {
	plain, refresh := unsafe.Sizeof(node[uint64, uint64]{}), unsafe.Sizeof(refreshNode[uint64, uint64]{})
	assert.Equal(t, uintptr(16), refresh-plain)
	if unsafe.Sizeof(uintptr(0)) == 8 {
		assert.Equal(t, uintptr(48), plain)
		assert.Equal(t, uintptr(64), refresh)
	}
}

// TestEngineGetOrLoad_NegativeHitTakesNoLock (issue 11, item 4): a
// remembered not-found is answered while its shard's lock is held by
// someone else, so the answer takes no lock.
func TestEngineGetOrLoad_NegativeHitTakesNoLock(t *testing.T) {
	c := Must(Options[string, int]{Capacity: 16, Shards: 1, NegativeTTL: time.Hour})
	defer c.Close()
	load := func(context.Context, string) (int, error) { return 0, ErrNotFound }
	_, err := c.GetOrLoad(context.Background(), "absent", load)
	require.ErrorIs(t, err, ErrNotFound)
	s := &c.e.shards[0]
	s.mu.Lock()
	done := make(chan error)
	go func() {
		_, err := c.GetOrLoad(context.Background(), "absent", load)
		done <- err
	}()
	err = <-done // deadlocks (and the test times out) if the hit locks
	s.mu.Unlock()
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, uint64(1), c.Stats().NegativeHits)
}

// TestEngine_RememberedNotFoundsTable exercises the table of remembered
// not-founds through growth, forced forgetting at capacity, and shrinking:
// every remembered key is answered, none beyond capacity, and the count
// matches the table.
func TestEngine_RememberedNotFoundsTable(t *testing.T) {
	clk := clock.NewManual(loadTestEpoch)
	const capacity = 300
	c := Must(Options[int, int]{Capacity: capacity, Shards: 1, Clock: clk, NegativeTTL: time.Minute})
	defer c.Close()
	var loads int
	load := func(context.Context, int) (int, error) { loads++; return 0, ErrNotFound }
	ctx := context.Background()
	s := &c.e.shards[0]
	count := func() (n int) {
		if nt := s.ld.neg.Load(); nt != nil {
			forEach(nt, func(*node[int, error]) { n++ })
		}
		return n
	}
	for i := range 1000 {
		c.GetOrLoad(ctx, i, load)
		require.Equal(t, min(i+1, capacity), s.ld.negCount)
	}
	require.Equal(t, capacity, count())
	var remembered []int
	forEach(s.ld.neg.Load(), func(n *node[int, error]) { remembered = append(remembered, n.Item.key) })
	loads = 0
	for _, k := range remembered {
		_, cached, err := c.GetOrLoadCached(ctx, k, load)
		require.True(t, cached)
		require.ErrorIs(t, err, ErrNotFound)
	}
	assert.Zero(t, loads, "every remembered key is answered from memory")
	for i := range 1000 {
		c.Delete(i)
	}
	assert.Zero(t, s.ld.negCount)
	assert.Nil(t, s.ld.neg.Load())
	for i := range 100 {
		c.GetOrLoad(ctx, i, load)
	}
	for i := range 90 {
		c.Set(i, i) // forgets; the table shrinks as it empties
	}
	assert.Equal(t, 10, s.ld.negCount)
	assert.Equal(t, 10, count())
	assert.Equal(t, bucketsFor(10), len(s.ld.neg.Load().buckets))
	loads = 0
	for i := 90; i < 100; i++ {
		c.GetOrLoad(ctx, i, load)
	}
	assert.Zero(t, loads)
}
