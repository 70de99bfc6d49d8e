package core

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEngineDelete_WinsOverCompletingLoad (issue 17, item 1) runs, step by
// step, the interleaving that lost: a load's completion has claimed the
// right to publish its (now replaced) value, a Delete runs, and the load
// publishes. The Delete must not take its lock-free way out (no entry, and
// nothing pending): the load still counts as pending until its value is
// in the index, so the Delete supersedes it and the value is not stored.
func TestEngineDelete_WinsOverCompletingLoad(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 64})
	defer c.Close()
	e := c.e
	h := c.hashOf(1)
	s := e.shard(h)

	s.mu.Lock() // a load of 1 in flight, as GetOrLoad registers it
	call := e.register(context.Background(), s, 1, false)
	call.waiters = 1
	s.mu.Unlock()
	call.val = 7 // it read the source before the writer updated it

	s.mu.Lock() // its completion claims the right to publish ...
	require.True(t, e.claim(s, h, 1, call))
	assert.NotZero(t, s.ld.pending.Load(), "the load stopped counting as pending before its value is in the index")
	s.mu.Unlock()

	assert.False(t, c.Delete(1)) // ... the writer's Delete runs ...

	wr := write[int, int]{h: h, k: 1, v: call.val, c: call}
	_, stored := e.put(&wr) // ... and the load publishes.
	assert.False(t, stored, "the load's value was stored after the Delete returned")
	_, ok := c.Get(1)
	assert.False(t, ok, "a stale value is served after Delete returned")
	assert.Zero(t, s.ld.pending.Load())
	assert.Empty(t, s.ld.calls)
	assert.Empty(t, s.ld.running)
}

// TestEngineNaNKeys_LeaveNoState (issue 17, item 5): writes and loads of a
// key not equal to itself leave no entry, no single-flight call and no
// pending count behind.
func TestEngineNaNKeys_LeaveNoState(t *testing.T) {
	c := Must(Options[float64, int]{Capacity: 64, NegativeTTL: time.Hour})
	defer c.Close()
	nan := math.NaN()
	for i := range 1000 {
		c.Set(nan, i)
		c.GetOrLoad(context.Background(), nan, func(context.Context, float64) (int, error) {
			if i%2 == 0 {
				return 0, ErrNotFound
			}
			return i, nil
		})
	}
	assert.Zero(t, c.Len())
	for i := range c.e.shards {
		s := &c.e.shards[i]
		assert.Zero(t, s.ld.pending.Load(), "shard %d: pending", i)
		assert.Empty(t, s.ld.calls, "shard %d: single-flight calls left", i)
		assert.Empty(t, s.ld.running, "shard %d: loads left running", i)
		assert.Nil(t, s.ld.neg.Load(), "shard %d: a not-found of NaN remembered", i)
	}
	assert.EqualValues(t, 1000, c.Stats().Loads, "each GetOrLoad of NaN is a load")
}

// TestEngineMaxWeight_NeverExceeded (issue 17, item 6): under steady
// writes of new keys with a Weigher, from real goroutines, the entries
// held never weigh more than MaxWeight nor outnumber Capacity, sampled as
// an exact snapshot (every shard locked at once) by a goroutine running
// beside the writers. (A write that finds no room settles, evicting from
// other shards, before it publishes.)
//
// The Compute subtest writes with Compute (WriteOp), whose write cannot
// unlock its shard to settle: it must find room the same way (issue 21
// merged onto issue 17's fix).
func TestEngineMaxWeight_NeverExceeded(t *testing.T) {
	t.Run("Set", func(t *testing.T) { checkMaxWeightNeverExceeded(t, false) })
	t.Run("Compute", func(t *testing.T) { checkMaxWeightNeverExceeded(t, true) })
}

func checkMaxWeightNeverExceeded(t *testing.T, compute bool) {
	const maxWeight, capacity = 2000, 100
	c := Must(Options[int, int]{
		Capacity: capacity, MaxWeight: maxWeight, Shards: 64, NoAdmission: true,
		Weigher: func(_ int, v int) uint32 { return uint32(v) },
	})
	defer c.Close()
	e := c.e
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 17))
			for i := 0; !stop.Load(); i++ {
				k, v := r.IntN(1<<20), 1+r.IntN(100)
				if compute {
					e.Compute(c.hashOf(k), k, func(int, bool) (int, ComputeOp) { return v, WriteOp })
				} else {
					c.Set(k, v)
				}
			}
		})
	}
	var samples, over int
	var worstWeight uint64
	var worstCount int64
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		for i := range e.shards {
			e.shards[i].mu.Lock()
		}
		var weight uint64
		var count int64
		for i := range e.shards {
			weight += e.shards[i].weight.Load()
			count += e.shards[i].count.Load()
		}
		for i := range e.shards {
			e.shards[i].mu.Unlock()
		}
		samples++
		if weight > maxWeight || count > capacity {
			over++
		}
		worstWeight, worstCount = max(worstWeight, weight), max(worstCount, count)
	}
	stop.Store(true)
	wg.Wait()
	assert.Zero(t, over, "%d of %d samples over the bounds: worst weight %d (MaxWeight %d), worst count %d (Capacity %d)",
		over, samples, worstWeight, maxWeight, worstCount, capacity)
	assert.LessOrEqual(t, c.Stats().Weight, uint64(maxWeight), "at rest")
	t.Logf("%d samples, worst weight %d of %d, worst count %d of %d", samples, worstWeight, maxWeight, worstCount, capacity)
}
