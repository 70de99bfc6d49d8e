package shard_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/shard"
)

var mapSink map[string]int

// A GetOrLoadAll whose keys are all cached allocates the result map and
// nothing else: as many allocations as building that map by hand.
func TestCacheGetOrLoadAll_CachedAllocatesOnlyTheMap(t *testing.T) {
	c := shard.Must(shard.Options[string, int]{Capacity: 1000})
	defer c.Close()
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "sha256:" + strconv.Itoa(i)
		c.Set(keys[i], i)
	}
	load := func(context.Context, []string) (map[string]int, error) {
		t.Error("every key is cached: nothing to load")
		return nil, nil
	}
	ctx := context.Background()
	got := testing.AllocsPerRun(100, func() {
		if m, err := c.GetOrLoadAll(ctx, keys, load); err != nil || len(m) != len(keys) {
			t.Fatal(len(m), err)
		}
	})
	want := testing.AllocsPerRun(100, func() {
		m := make(map[string]int, len(keys))
		for i, k := range keys {
			m[k] = i
		}
		mapSink = m // returned, as GetOrLoadAll's: its header is on the heap too
	})
	assert.Equal(t, want, got)
}

// Compute of an existing key whose value is stored in place (a word)
// allocates nothing, as Set does.
func TestCacheCompute_ExistingKeyAllocatesNothing(t *testing.T) {
	c := shard.Must(shard.Options[uint64, uint64]{Capacity: 1000})
	defer c.Close()
	c.Set(1, 1)
	inc := func(old uint64, _ bool) (uint64, shard.ComputeOp) { return old + 1, shard.WriteOp }
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.Compute(1, inc) }))
	v, ok := c.Get(1)
	require.True(t, ok)
	assert.Equal(t, uint64(1002), v, "AllocsPerRun runs f once more to warm up")
}
