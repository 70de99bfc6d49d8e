package writeback_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/stretchr/testify/require"
)

func TestNewCache_BadOptions(t *testing.T) {
	mem := memstore.New[string, string]()
	for _, c := range []struct {
		opts writeback.CacheOptions[string, string]
		want string
	}{
		{writeback.CacheOptions[string, string]{}, "writeback: L1: shard: Capacity must be > 0 unless MaxWeight is set, got 0"},
		{writeback.CacheOptions[string, string]{Capacity: -1}, "writeback: Capacity must be > 0, got -1"},
		{writeback.CacheOptions[string, string]{Capacity: 1, L1: shard.Options[string, string]{Capacity: 1}},
			"writeback: set CacheOptions.L1 or the deprecated top-level fields (Capacity, MaxTTL, Expiry, Skew, NegativeTTL, Clock, CountHits), not both: move them into L1"},
		{writeback.CacheOptions[string, string]{L1: shard.Options[string, string]{Capacity: 1, NegativeTTL: -1}},
			"writeback: L1: shard: NegativeTTL must be >= 0, got -1ns"},
		{writeback.CacheOptions[string, string]{Capacity: 1, MaxTTL: -1}, "writeback: MaxTTL must be >= 0, got -1ns"},
		{writeback.CacheOptions[string, string]{Capacity: 1, Skew: -1}, "writeback: Skew must be >= 0, got -1ns"},
		{writeback.CacheOptions[string, string]{Capacity: 1, NegativeTTL: -1}, "writeback: NegativeTTL must be >= 0, got -1ns"},
	} {
		_, err := writeback.NewCache(mem, c.opts)
		require.EqualError(t, err, c.want)
	}
	_, err := writeback.NewCache[string, string](nil, writeback.CacheOptions[string, string]{Capacity: 1})
	require.EqualError(t, err, "writeback: store must not be nil")
}

type token struct {
	ID  string
	Exp time.Time
}

// counted counts the Loads that reach a memstore.
type counted[V any] struct {
	mem   *memstore.Store[string, V]
	loads atomic.Int64
}

func (s *counted[V]) Load(ctx context.Context, k string) (V, error) {
	s.loads.Add(1)
	return s.mem.Load(ctx, k)
}

func (s *counted[V]) Store(ctx context.Context, k string, v V) error { return s.mem.Store(ctx, k, v) }
func (s *counted[V]) Delete(ctx context.Context, k string) error     { return s.mem.Delete(ctx, k) }

func TestCache_TTLIsExpiryMinusSkewCappedByMaxTTL(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &counted[token]{mem: memstore.New[string, token]()}
	c, err := writeback.NewCache(s, writeback.CacheOptions[string, token]{
		Capacity: 100, MaxTTL: time.Minute, Skew: 10 * time.Second, Clock: clk,
		Expiry: func(_ string, t token) time.Time { return t.Exp },
	})
	require.NoError(t, err)
	defer c.Close()

	for _, tc := range []struct {
		name string
		exp  time.Duration // from now; 0: no expiry
		ttl  time.Duration // how long it must stay cached; 0: not at all
	}{
		{"expiry sooner than cap", 30 * time.Second, 20 * time.Second},
		{"cap sooner than expiry", time.Hour, time.Minute},
		{"no expiry", 0, time.Minute},
		{"within skew of expiry", 5 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := token{ID: tc.name}
			if tc.exp != 0 {
				tok.Exp = clk.Time().Add(tc.exp)
			}
			require.NoError(t, s.mem.Store(ctx, tc.name, tok))
			before := s.loads.Load()
			load := func() {
				v, err := c.Load(ctx, tc.name)
				require.NoError(t, err)
				require.Equal(t, tok, v)
			}
			load()
			require.EqualValues(t, 1, s.loads.Load()-before)
			if tc.ttl > 0 {
				clk.Advance(tc.ttl - 1)
				load()
				require.EqualValues(t, 1, s.loads.Load()-before, "served from the cache until the deadline")
				clk.Advance(1)
			}
			load()
			require.EqualValues(t, 2, s.loads.Load()-before, "reloaded at the deadline")
		})
	}
}

func TestCache_RemembersMissesBriefly(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &counted[string]{mem: memstore.New[string, string]()}
	c, err := writeback.NewCache(s, writeback.CacheOptions[string, string]{Capacity: 10, Clock: clk})
	require.NoError(t, err)
	defer c.Close()

	_, err = c.Load(ctx, "k")
	require.ErrorIs(t, err, shard.ErrNotFound)
	require.NoError(t, s.mem.Store(ctx, "k", "v")) // behind the cache's back
	clk.Advance(writeback.DefaultNegativeTTL - 1)
	_, err = c.Load(ctx, "k")
	require.ErrorIs(t, err, shard.ErrNotFound, "the miss is remembered")
	require.EqualValues(t, 1, s.loads.Load())
	clk.Advance(1)
	v, err := c.Load(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v", v)
}

func TestCache_WritesThroughItInvalidate(t *testing.T) {
	ctx := t.Context()
	c, err := writeback.NewCache(memstore.New[string, string](), writeback.CacheOptions[string, string]{Capacity: 10})
	require.NoError(t, err)
	defer c.Close()
	load := func() string {
		v, err := c.Load(ctx, "k")
		if err != nil {
			require.ErrorIs(t, err, shard.ErrNotFound)
			return "<none>"
		}
		return v
	}
	require.Equal(t, "<none>", load()) // a cached miss
	require.NoError(t, c.Store(ctx, "k", "1"))
	require.Equal(t, "1", load())
	require.NoError(t, c.Store(ctx, "k", "2"))
	require.Equal(t, "2", load())
	require.NoError(t, c.Delete(ctx, "k"))
	require.Equal(t, "<none>", load())
}

// gated is a store whose next Load, once armed, reads the value and then
// waits to return it until released.
type gated struct {
	base
	entered, release chan struct{}
}

func (s *gated) Store(ctx context.Context, k, v string) error { return s.mem.Store(ctx, k, v) }

func (s *gated) Load(ctx context.Context, k string) (string, error) {
	v, err := s.mem.Load(ctx, k)
	if s.entered != nil {
		close(s.entered)
		<-s.release
	}
	return v, err
}

// A load that read the old value before a write through the cache, and
// returns after it, must not cache the old value.
func TestCache_LoadRacingAWriteDoesNotCacheTheOldValue(t *testing.T) {
	ctx := t.Context()
	s := &gated{base: newBase(), entered: make(chan struct{}), release: make(chan struct{})}
	require.NoError(t, s.mem.Store(ctx, "k", "old"))
	c, err := writeback.NewCache(s, writeback.CacheOptions[string, string]{Capacity: 10})
	require.NoError(t, err)
	defer c.Close()

	done := make(chan string)
	go func() {
		v, _ := c.Load(ctx, "k")
		done <- v
	}()
	<-s.entered
	require.NoError(t, c.Store(ctx, "k", "new"))
	s.entered = nil // the next loads pass straight through
	close(s.release)
	require.Equal(t, "old", <-done, "the racing load began before the write")
	v, err := c.Load(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "new", v, "a load after the write returned must not see the old value")
}
