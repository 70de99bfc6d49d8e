package shard_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
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

// Compute of an existing key whose value is stored in place (a word that
// fits an atomic store, here and on 32-bit platforms) allocates nothing, as
// Set does.
func TestCacheCompute_ExistingKeyAllocatesNothing(t *testing.T) {
	c := shard.Must(shard.Options[uint64, uint32]{Capacity: 1000})
	defer c.Close()
	c.Set(1, 1)
	inc := func(old uint32, _ bool) (uint32, shard.ComputeOp) { return old + 1, shard.WriteOp }
	assert.Zero(t, testing.AllocsPerRun(1000, func() { c.Compute(1, inc) }))
	v, ok := c.Get(1)
	require.True(t, ok)
	assert.Equal(t, uint32(1002), v, "AllocsPerRun runs f once more to warm up")
}

// A Weigher or Expiry that panics during a Compute write panics out of
// Compute, as f's panic does: the entry is left as it was and the shard
// unlocked.
func TestCacheCompute_CallbackPanicLeavesEntry(t *testing.T) {
	for name, opts := range map[string]shard.Options[string, string]{
		"Weigher": {MaxWeight: 100, Weigher: func(_, v string) uint32 {
			if v == "bad" {
				panic("callback boom")
			}
			return 1
		}},
		"Expiry": {Capacity: 10, Expiry: func(_, v string) time.Time {
			if v == "bad" {
				panic("callback boom")
			}
			return time.Time{}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			c := shard.Must(opts)
			defer c.Close()
			c.Set("k", "good")
			assert.PanicsWithValue(t, "callback boom", func() {
				c.Compute("k", func(string, bool) (string, shard.ComputeOp) { return "bad", shard.WriteOp })
			})
			v, ok := c.Get("k")
			assert.True(t, ok)
			assert.Equal(t, "good", v)
			c.Set("k", "again") // the shard was unlocked
			v, _ = c.Get("k")
			assert.Equal(t, "again", v)
		})
	}
}

// A value that Expiry says has expired already is not stored by a Compute
// write, and it removes the old value, as Set does.
func TestCacheCompute_ExpiredValueRemoves(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := shard.Must(shard.Options[string, time.Time]{Capacity: 10, Clock: clk,
		Expiry: func(_ string, t time.Time) time.Time { return t }})
	defer c.Close()
	c.Set("token", clk.Time().Add(time.Hour))
	actual, ok := c.Compute("token", func(time.Time, bool) (time.Time, shard.ComputeOp) {
		return clk.Time().Add(-time.Second), shard.WriteOp
	})
	assert.False(t, ok)
	assert.True(t, actual.IsZero())
	_, ok = c.Get("token")
	assert.False(t, ok, "the old value is gone")
}

// Close cancels the context of a bulk load in flight, and its callers get
// what it then returns.
func TestCacheGetOrLoadAll_CloseCancelsLoad(t *testing.T) {
	c := shard.Must(shard.Options[string, int]{Capacity: 10})
	started := make(chan struct{})
	res := make(chan error)
	go func() {
		_, err := c.GetOrLoadAll(context.Background(), []string{"a", "b"}, func(ctx context.Context, _ []string) (map[string]int, error) {
			close(started)
			<-ctx.Done() // a hang here fails the test
			return nil, ctx.Err()
		})
		res <- err
	}()
	<-started
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-res, context.Canceled)
	assert.Equal(t, 0, c.Len())
}

// A bulk load that calls runtime.Goexit gives every waiter an error
// instead of leaving them waiting.
func TestCacheGetOrLoadAll_LoadGoexit(t *testing.T) {
	c := shard.Must(shard.Options[string, int]{Capacity: 10})
	defer c.Close()
	_, err := c.GetOrLoadAll(context.Background(), []string{"a"}, func(context.Context, []string) (map[string]int, error) {
		runtime.Goexit()
		return nil, nil
	})
	assert.EqualError(t, err, "shard: loader called runtime.Goexit")
}
