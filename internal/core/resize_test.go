package core

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/evictq"
)

// TestSetCapacity_ShrinkUnderWrites: writers run while the bounds shrink
// and grow; every SetCapacity and SetMaxWeight evicts for capacity only,
// and once the writers stop the invariant checker finds the shards, their
// queues and the cache-wide usage consistent and within the last bounds,
// whatever the hash.
func TestSetCapacity_ShrinkUnderWrites(t *testing.T) {
	for _, h := range capacityHashes {
		for _, weighted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/weighted=%v", h.name, weighted), func(t *testing.T) {
				var wrong atomic.Int64
				o := Options[uint64, int]{Capacity: 2000, Shards: 8, Hash: h.hash,
					OnEvict: func(_ uint64, _ int, r evict.Reason) {
						if r != evict.Capacity && r != evict.Replaced {
							wrong.Add(1)
						}
					}}
				if weighted {
					o.Weigher, o.MaxWeight = func(k uint64, _ int) uint32 { return uint32(k%4) + 1 }, 5000
				}
				c := Must(o)
				defer c.Close()
				var wg sync.WaitGroup
				stop := make(chan struct{})
				for g := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := uint64(0); ; i++ {
							select {
							case <-stop:
								return
							default:
							}
							k := uint64(g)<<40 | i%5000
							c.Set(k, int(i))
							c.Get(k)
						}
					}()
				}
				for _, n := range []int{1500, 100, 8, 3000, 50} {
					require.NoError(t, c.e.SetCapacity(n))
					if weighted {
						require.NoError(t, c.e.SetMaxWeight(uint64(n)*2))
					}
				}
				close(stop)
				wg.Wait()
				require.NoError(t, c.e.check())
				assert.LessOrEqual(t, c.Len(), 50)
				if weighted {
					assert.LessOrEqual(t, c.Stats().Weight, uint64(100))
				}
				assert.Zero(t, wrong.Load(), "evictions for reasons other than capacity (and writers' replacements)")
				for i := range uint64(200) {
					c.Set(1<<50|i, 0)
				}
				require.NoError(t, c.e.check())
				if !weighted {
					assert.Equal(t, 50, c.Len(), "the shrunk cache fills up to its new bound")
				}
			})
		}
	}
}

// TestSetCapacity_ResizesAdmission: each shard's admission filter and its
// share of the capacity follow SetCapacity, as NewEngine sizes them.
func TestSetCapacity_ResizesAdmission(t *testing.T) {
	c := Must(Options[uint64, int]{Capacity: 1000, Shards: 4})
	defer c.Close()
	require.NoError(t, c.e.SetCapacity(402))
	for i, want := range []int{101, 101, 100, 100} {
		s := &c.e.shards[i]
		assert.Equal(t, want, s.capacity, "shard %d's share", i)
		_, win := s.queue.WindowLen()
		assert.Equal(t, evictq.WindowCap(want), win, "shard %d's window", i)
	}
}
