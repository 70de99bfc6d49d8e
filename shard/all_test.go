package shard_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/shard"
)

// TestCacheAll_NoKeySeenTwice (issue 10, item 9): with one shard and every
// key in one bucket chain, a loop body that deletes the yielded key,
// inserts a new one (which takes the freed slot, behind the walk) and
// re-inserts the yielded key (which then lands in a slot ahead of the
// walk) made the old All yield that key again.
func TestCacheAll_NoKeySeenTwice(t *testing.T) {
	c := shard.Must(shard.Options[int, int]{
		Capacity: 1000, Shards: 1, NoAdmission: true,
		Hash: func(int) uint64 { return 0 }, // one chain: slot order is insertion order
	})
	defer c.Close()
	for i := range 10 {
		c.Set(i, i)
	}
	seen := map[int]int{}
	next := 1000
	for k := range c.All() {
		seen[k]++
		require.LessOrEqual(t, seen[k], 1, "key %d yielded twice", k)
		if k < 1000 {
			c.Delete(k)
			c.Set(next, next) // refills the freed slot
			next++
			c.Set(k, k) // goes to the first free slot: ahead of the walk
		}
	}
	for k := range 10 {
		assert.Equal(t, 1, seen[k], "key %d", k)
	}
}

// TestCacheAll_DeletedDuringIterationNotYielded: an entry the loop body
// deletes before the walk reaches it is not yielded (All yields from a copy
// of the index, checking it against the index once the shard was written).
func TestCacheAll_DeletedDuringIterationNotYielded(t *testing.T) {
	c := shard.Must(shard.Options[int, int]{Capacity: 100, Shards: 1, Hash: func(int) uint64 { return 0 }})
	defer c.Close()
	for i := range 10 {
		c.Set(i, i)
	}
	var got []int
	for k := range c.All() {
		got = append(got, k)
		if k == 0 {
			for i := 1; i < 10; i += 2 {
				c.Delete(i)
			}
			c.Set(2, 20) // rewritten: still yielded once, with its value now
		}
	}
	assert.ElementsMatch(t, []int{0, 2, 4, 6, 8}, got)
	for k, v := range c.All() {
		if k == 2 {
			assert.Equal(t, 20, v)
		}
	}
	c2 := shard.Must(shard.Options[int, int]{Capacity: 100, Shards: 1})
	defer c2.Close()
	for i := range 10 {
		c2.Set(i, i)
	}
	n := 0
	for range c2.All() {
		n++
		c2.Clear()
	}
	assert.Equal(t, 1, n, "nothing after a Clear in the body")
}

func TestCacheAll_AllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	c := shard.Must(shard.Options[int, int]{Capacity: 1000, Shards: 4})
	defer c.Close()
	for i := range 500 {
		c.Set(i, i)
	}
	all := c.All()
	sum := 0
	allocs := testing.AllocsPerRun(100, func() {
		for k := range all {
			sum += k
		}
	})
	assert.Zero(t, allocs)
}
