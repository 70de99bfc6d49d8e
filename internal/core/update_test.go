package core

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/evict"
)

// TestEngineUpdate_SkipsTheShardLock: with the key's shard locked, an update
// of a present key completes (it takes no lock) and is visible, and Stats
// counts it as a set and a replacement.
func TestEngineUpdate_SkipsTheShardLock(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 64})
	defer c.Close()
	c.Set(1, 10)
	before := c.Stats()
	s := c.e.shard(c.hashOf(1))
	s.mu.Lock()
	done := make(chan struct{})
	go func() {
		c.Set(1, 11)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.mu.Unlock()
		t.Fatal("Set of a present key waited for the shard lock")
	}
	v, ok := c.Get(1)
	s.mu.Unlock()
	require.True(t, ok)
	assert.Equal(t, 11, v)
	after := c.Stats()
	assert.Equal(t, before.Sets+1, after.Sets)
	assert.Equal(t, before.Evictions[evict.Replaced]+1, after.Evictions[evict.Replaced])
}

// TestEngineUpdate_LockedWhereItMustBe: the options under which an update
// could change more than the value word, or a callback needs the replaced
// value, keep every update on the locked path.
func TestEngineUpdate_LockedWhereItMustBe(t *testing.T) {
	cases := map[string]Options[int, int]{
		"TTL":               {Capacity: 64, TTL: time.Hour},
		"ExpireAfterAccess": {Capacity: 64, ExpireAfterAccess: time.Hour},
		"ExpireAfter":       {Capacity: 64, ExpireAfter: func(int, int) time.Duration { return time.Hour }},
		"Weigher":           {MaxWeight: 64, Weigher: func(int, int) uint32 { return 1 }},
		"OnEvict":           {Capacity: 64, OnEvict: func(int, int, evict.Reason) {}},
		"RefreshAhead":      {Capacity: 64, TTL: time.Hour, RefreshAhead: 0.5},
	}
	for name, opts := range cases {
		c := Must(opts)
		assert.False(t, c.e.fast, name)
		c.Close()
	}
	c := Must(Options[int, int]{Capacity: 64})
	assert.True(t, c.e.fast, "an engine of int values (one word on every platform) without TTL, Weigher or OnEvict")
	c.Close()
	s := Must(Options[int, string]{Capacity: 64})
	assert.False(t, s.e.fast, "string values are not one word: they are replaced through a new node")
	s.Close()
}

// TestEngineUpdate_EntryWithDeadlineTakesTheLock: an entry given a deadline
// by SetTTL is updated under the lock, which clears the deadline as a Set
// without TTL does.
func TestEngineUpdate_EntryWithDeadlineTakesTheLock(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 64})
	defer c.Close()
	c.SetTTL(1, 10, time.Hour)
	c.Set(1, 11)
	v, d, ok := c.e.GetWithDeadline(c.hashOf(1), 1)
	require.True(t, ok)
	assert.Equal(t, 11, v)
	assert.Zero(t, d, "Set without TTL leaves no deadline")
}

// TestEngineCompute_NotLostToALockFreeUpdate: an update that lands while
// Compute's f runs (f holds the shard lock, the update does not need it)
// makes Compute call f again with the updated value, so that neither write
// is lost: f's result is computed from the value it replaces.
func TestEngineCompute_NotLostToALockFreeUpdate(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 64})
	defer c.Close()
	c.Set(1, 10)
	var seen []int
	actual, ok := c.e.Compute(c.hashOf(1), 1, func(old int, found bool) (int, ComputeOp) {
		require.True(t, found)
		seen = append(seen, old)
		if len(seen) == 1 {
			done := make(chan struct{})
			go func() {
				c.Set(1, 100) // lock-free: f holds the lock
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("Set of a present key waited for the shard lock")
			}
		}
		return old + 1, WriteOp
	})
	assert.True(t, ok)
	assert.Equal(t, []int{10, 100}, seen, "f runs again with the value the update wrote")
	assert.Equal(t, 101, actual)
	v, _ := c.Get(1)
	assert.Equal(t, 101, v)
}

// TestEngineUpdate_ReadYourWritesUnderEviction: a goroutine that updates
// its own keys while another fills the cache reads back each value it
// wrote, or a miss (an eviction), never an older value.
func TestEngineUpdate_ReadYourWritesUnderEviction(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 64, Shards: 2})
	defer c.Close()
	stop := make(chan struct{})
	var churn, writers sync.WaitGroup
	churn.Add(1)
	go func() { // new keys evict; Deletes unlink the writers' keys
		defer churn.Done()
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Set(i, 0)
			if i%3 == 0 {
				c.Delete(i % 8)
			}
		}
	}()
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 20_000 {
				k := w*4 + int(i%4)
				c.Set(k, i)
				if v, ok := c.Get(k); ok && v != i {
					t.Errorf("Get(%d) = %d after Set(%d, %d) returned", k, v, k, i)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	churn.Wait()
}
