package conformance

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
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

// Cache is the method set shared by shard.Cache and generated caches.
type Cache[K comparable, V any] interface {
	Get(K) (V, bool)
	Peek(K) (V, bool)
	GetWithExpiry(K) (V, time.Time, bool)
	Set(K, V)
	SetTTL(K, V, time.Duration)
	SetIfAbsent(K, V) (V, bool)
	Delete(K) bool
	DeleteFunc(func(K, V) bool) int
	Len() int
	All() iter.Seq2[K, V]
	Clear()
	Stats() shard.Stats
	Close() error
	GetOrLoad(ctx context.Context, key K, load func(context.Context, K) (V, error)) (V, error)
	GetOrLoadCached(ctx context.Context, key K, load func(context.Context, K) (V, error)) (V, bool, error)
	Compute(key K, f func(old V, found bool) (V, shard.ComputeOp)) (V, bool)
	GetOrLoadAll(ctx context.Context, keys []K, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error)
	Refresh(ctx context.Context, key K, load func(context.Context, K) (V, error)) error
	SetCapacity(n int) error
	SetMaxWeight(w uint64) error
	Hottest() iter.Seq2[K, V]
	Coldest() iter.Seq2[K, V]
	shard.Snapshotter
}

// Suite describes the implementation under test.
type Suite[K comparable, V any] struct {
	// New builds a cache. Implementations with a built-in hash (the
	// generated caches) set RejectsHash and fail on an Options.Hash.
	New func(shard.Options[K, V]) (Cache[K, V], error)
	// RejectsHash says that New returns an error, naming Options.Hash, for
	// options that set Hash, instead of hashing with it.
	RejectsHash bool
	// Key and Val return distinct keys and values for distinct i >= 0.
	Key func(i int) K
	Val func(i int) V
	// HashOf, if set, returns the hash that the cache c (built by New)
	// uses: default hashes are seeded per cache, so only the cache knows
	// its own. The differential tests of the admission filter need it,
	// since its frequency sketch is indexed by the hash; without it they
	// are skipped.
	HashOf func(c Cache[K, V]) func(K) uint64
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Run runs the whole suite as subtests of t.
func Run[K comparable, V any](t *testing.T, s Suite[K, V]) {
	t.Run("SetGet", s.setGet)
	t.Run("Options", s.options)
	t.Run("Capacity", s.capacity)
	t.Run("Expiry", s.expiry)
	t.Run("SetIfAbsent", s.setIfAbsent)
	t.Run("DeleteFunc", s.deleteFunc)
	t.Run("OnEvict", s.onEvict)
	t.Run("Stats", s.stats)
	t.Run("Close", s.close)
	t.Run("Differential", s.differential)
	t.Run("Concurrent", s.concurrent)
	t.Run("GetOrLoad", s.getOrLoad)
	t.Run("GetOrLoadCached", s.getOrLoadCached)
	s.runCompute(t) // Compute, GetOrLoadAll, Refresh (compute.go)
	t.Run("SetCapacity", s.setCapacity)
	t.Run("SetMaxWeight", s.setMaxWeight)
	t.Run("HottestColdest", s.hottestColdest)
	t.Run("SaveLoad", s.saveLoad)
	t.Run("ExpireAfterAccess", s.expireAfterAccess)
}

func (s Suite[K, V]) build(t *testing.T, o shard.Options[K, V]) Cache[K, V] {
	t.Helper()
	c, err := s.New(o)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func (s Suite[K, V]) setGet(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 100})
	_, ok := c.Get(s.Key(1))
	assert.False(t, ok, "Get on an empty cache")
	c.Set(s.Key(1), s.Val(1))
	v, ok := c.Get(s.Key(1))
	require.True(t, ok)
	assert.Equal(t, s.Val(1), v)
	c.Set(s.Key(1), s.Val(2))
	v, _ = c.Peek(s.Key(1))
	assert.Equal(t, s.Val(2), v, "Set of a present key replaces the value")
	assert.Equal(t, 1, c.Len())
	assert.True(t, c.Delete(s.Key(1)))
	assert.False(t, c.Delete(s.Key(1)), "second Delete")
	_, ok = c.Get(s.Key(1))
	assert.False(t, ok)
	for i := range 50 {
		c.Set(s.Key(i), s.Val(i))
	}
	seen := map[K]V{}
	for k, v := range c.All() {
		_, dup := seen[k]
		require.False(t, dup, "All yields a key twice")
		seen[k] = v
	}
	require.Len(t, seen, 50)
	for i := range 50 {
		assert.Equal(t, s.Val(i), seen[s.Key(i)])
	}
	for range c.All() {
		break // stopping early must not panic
	}
	c.Clear()
	assert.Equal(t, 0, c.Len())
	_, ok = c.Get(s.Key(3))
	assert.False(t, ok, "Get after Clear")
}

func (s Suite[K, V]) options(t *testing.T) {
	cases := []struct {
		o    shard.Options[K, V]
		want string
	}{
		{shard.Options[K, V]{}, "shard: Capacity must be > 0 unless MaxWeight is set, got 0"},
		{shard.Options[K, V]{Capacity: -1}, "shard: Capacity must be >= 0, got -1"},
		{shard.Options[K, V]{MaxWeight: 100}, "shard: MaxWeight (100) needs a Weigher"},
		{shard.Options[K, V]{Capacity: 10, Weigher: func(K, V) uint32 { return 1 }}, "shard: Weigher needs MaxWeight > 0"},
		{shard.Options[K, V]{Capacity: 10, Shards: 3}, "shard: Shards must be 0 or a power of two between 1 and 256, got 3"},
		{shard.Options[K, V]{Capacity: 10, Shards: 16}, "shard: Shards must be at most Capacity (10), got 16"},
		{shard.Options[K, V]{Capacity: 10, TTL: -time.Second}, "shard: TTL must be >= 0, got -1s"},
		{shard.Options[K, V]{Capacity: 10, Policy: 9}, "shard: Policy must be evict.SIEVE or evict.CLOCK, got Policy(9)"},
	}
	for _, tc := range cases {
		c, err := s.New(tc.o)
		assert.Nil(t, c)
		assert.EqualError(t, err, tc.want)
	}
	c, err := s.New(shard.Options[K, V]{Capacity: 10, Hash: func(K) uint64 { return 0 }})
	if s.RejectsHash {
		assert.Nil(t, c)
		assert.ErrorContains(t, err, "Options.Hash must be nil")
		return
	}
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func (s Suite[K, V]) capacity(t *testing.T) {
	for _, p := range []evict.Policy{evict.SIEVE, evict.CLOCK} {
		for _, shards := range []int{0, 1, 4} {
			c := s.build(t, shard.Options[K, V]{Capacity: 100, Shards: shards, Policy: p})
			for i := range 1000 {
				c.Set(s.Key(i), s.Val(i))
				// Capacity is the whole cache's, whatever the hash: nothing is
				// evicted before it is full.
				require.Equal(t, min(i+1, 100), c.Len(), "%v shards=%d after %d sets", p, shards, i+1)
			}
			// The last write always survives its own Set.
			v, ok := c.Get(s.Key(999))
			require.True(t, ok)
			assert.Equal(t, s.Val(999), v)
		}
	}
}

func (s Suite[K, V]) expiry(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := s.build(t, shard.Options[K, V]{Capacity: 100, TTL: time.Minute, Clock: clk})
	c.Set(s.Key(1), s.Val(1))
	c.SetTTL(s.Key(2), s.Val(2), time.Hour)
	c.SetTTL(s.Key(3), s.Val(3), 0)
	_, exp, ok := c.GetWithExpiry(s.Key(1))
	require.True(t, ok)
	assert.Equal(t, clk.Time().Add(time.Minute), exp)
	_, exp, ok = c.GetWithExpiry(s.Key(3))
	require.True(t, ok)
	assert.True(t, exp.IsZero(), "TTL 0 never expires")

	clk.Advance(time.Minute - 1)
	_, ok = c.Get(s.Key(1))
	assert.True(t, ok, "alive one nanosecond before its deadline")
	clk.Advance(1)
	_, ok = c.Get(s.Key(1))
	assert.False(t, ok, "expired at its deadline")
	_, ok = c.Peek(s.Key(1))
	assert.False(t, ok, "Peek never returns an expired entry")
	_, _, ok = c.GetWithExpiry(s.Key(1))
	assert.False(t, ok)
	for k := range c.All() {
		assert.NotEqual(t, s.Key(1), k, "All never yields an expired entry")
	}
	_, ok = c.Get(s.Key(2))
	assert.True(t, ok)
	clk.Advance(time.Hour)
	_, ok = c.Get(s.Key(2))
	assert.False(t, ok)
	_, ok = c.Get(s.Key(3))
	assert.True(t, ok)
	assert.Equal(t, 1, c.Len(), "Advance runs the sweep: expired entries are reclaimed")

	c.Set(s.Key(4), s.Val(4))
	c.SetTTL(s.Key(4), s.Val(5), -1)
	_, ok = c.Get(s.Key(4))
	assert.False(t, ok, "a negative TTL removes the key: the older value must not come back")

	// An expired key is absent for SetIfAbsent and Delete.
	c.Set(s.Key(6), s.Val(6))
	clk.Advance(2 * time.Minute)
	assert.False(t, c.Delete(s.Key(6)))
	c.Set(s.Key(7), s.Val(7))
	clk.Set(clk.Time().Add(2 * time.Minute))
	_, stored := c.SetIfAbsent(s.Key(7), s.Val(8))
	assert.True(t, stored)
}

func (s Suite[K, V]) setIfAbsent(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 10})
	v, stored := c.SetIfAbsent(s.Key(1), s.Val(1))
	assert.True(t, stored)
	assert.Equal(t, s.Val(1), v)
	v, stored = c.SetIfAbsent(s.Key(1), s.Val(2))
	assert.False(t, stored)
	assert.Equal(t, s.Val(1), v)
	got, _ := c.Get(s.Key(1))
	assert.Equal(t, s.Val(1), got)
}

func (s Suite[K, V]) deleteFunc(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 1000})
	for i := range 100 {
		c.Set(s.Key(i), s.Val(i))
	}
	even := map[K]bool{}
	for i := 0; i < 100; i += 2 {
		even[s.Key(i)] = true
	}
	n := c.DeleteFunc(func(k K, _ V) bool {
		c.Peek(k) // the predicate may call the cache
		return even[k]
	})
	assert.Equal(t, 50, n)
	assert.Equal(t, 50, c.Len())
	for i := range 100 {
		_, ok := c.Peek(s.Key(i))
		assert.Equal(t, i%2 == 1, ok, "key %d", i)
	}
}

func (s Suite[K, V]) onEvict(t *testing.T) {
	clk := clock.NewManual(epoch)
	var mu sync.Mutex
	got := map[evict.Reason]int{}
	var c Cache[K, V]
	c = s.build(t, shard.Options[K, V]{Capacity: 4, Shards: 1, Clock: clk, OnEvict: func(k K, v V, r evict.Reason) {
		c.Peek(k) // callbacks run with no lock held
		mu.Lock()
		got[r]++
		mu.Unlock()
	}})
	for i := range 4 {
		c.Set(s.Key(i), s.Val(i))
	}
	c.Set(s.Key(0), s.Val(10))                // replaced
	c.Delete(s.Key(1))                        // deleted
	c.Set(s.Key(5), s.Val(5))                 // fills the free slot
	c.Set(s.Key(6), s.Val(6))                 // capacity
	c.SetTTL(s.Key(7), s.Val(7), time.Second) // capacity again
	clk.Advance(time.Second)                  // expired by the sweep
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[evict.Reason]int{evict.Replaced: 1, evict.Deleted: 1, evict.Capacity: 2, evict.Expired: 1}, got)
}

func (s Suite[K, V]) stats(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 2, Shards: 1, CountHits: true})
	c.Set(s.Key(1), s.Val(1))
	c.Get(s.Key(1))
	c.Get(s.Key(1))
	c.Get(s.Key(2))
	c.Peek(s.Key(1)) // not counted
	c.Set(s.Key(2), s.Val(2))
	c.Set(s.Key(3), s.Val(3))
	st := c.Stats()
	assert.Equal(t, uint64(2), st.Hits)
	assert.Equal(t, uint64(1), st.Misses)
	assert.Equal(t, uint64(3), st.Sets)
	assert.Equal(t, uint64(1), st.Evictions[evict.Capacity])
	assert.InDelta(t, 2.0/3, st.HitRatio(), 1e-9)

	// Without CountHits reads are not counted; writes still are.
	q := s.build(t, shard.Options[K, V]{Capacity: 2, Shards: 1})
	q.Set(s.Key(1), s.Val(1))
	q.Get(s.Key(1))
	q.Get(s.Key(2))
	st = q.Stats()
	assert.Zero(t, st.Hits+st.Misses, "reads counted without CountHits")
	assert.Equal(t, uint64(1), st.Sets)
}

func (s Suite[K, V]) close(t *testing.T) {
	c, err := s.New(shard.Options[K, V]{Capacity: 10})
	require.NoError(t, err)
	c.Set(s.Key(1), s.Val(1))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	v, ok := c.Get(s.Key(1))
	assert.True(t, ok, "a closed cache keeps serving")
	assert.Equal(t, s.Val(1), v)
	c.Set(s.Key(2), s.Val(2))
	_, ok = c.Get(s.Key(2))
	assert.True(t, ok, "and keeps storing")
}

// differential runs random operations against the cache and the reference
// model with a manual clock, and requires every result to agree, including
// which entries are evicted and why: with one shard, and (if the suite
// knows its hash) with four shards and with weights.
func (s Suite[K, V]) differential(t *testing.T) {
	for _, p := range []evict.Policy{evict.SIEVE, evict.CLOCK} {
		for _, admission := range []bool{false, true} {
			for _, cfg := range []Config{{}, {Shards: 4}, {Shards: 4, Weighted: true}, {Shards: 4, WeightOnly: true},
				{Shards: 4, Resize: true}, {Shards: 4, Weighted: true, Resize: true}, {Shards: 4, WeightOnly: true, Resize: true},
				{ExpireAfterAccess: true}, {Shards: 4, Weighted: true, ExpireAfterAccess: true}} {
				if (admission || cfg.Shards > 1) && s.HashOf == nil {
					continue
				}
				cfg.Policy, cfg.Admission = p, admission
				for seed := range uint64(4) {
					t.Run(fmt.Sprintf("%v/admission=%v/shards=%d/weighted=%v/weightOnly=%v/resize=%v/access=%v/seed=%d", p, admission, cfg.Shards, cfg.Weighted, cfg.WeightOnly, cfg.Resize, cfg.ExpireAfterAccess, seed), func(t *testing.T) {
						RunOps(t, s, cfg, rand.New(rand.NewPCG(seed, 7)), 3000)
					})
				}
			}
		}
	}
}

// Config selects the policy of a differential run.
type Config struct {
	Policy    evict.Policy
	Admission bool // requires Suite.HashOf
	// Shards is the number of shards (0 means 1); more than one requires
	// Suite.HashOf.
	Shards int
	// Weighted bounds the cache by weight too (see Weigh; MaxWeight 60);
	// WeightOnly by weight alone (Capacity 0).
	Weighted, WeightOnly bool
	// Resize turns one Peek in four into a change of the bounds
	// (SetCapacity, and SetMaxWeight when weighted); ExpireAfterAccess
	// builds the cache with a sliding lifetime of 4 s (a step of the clock, 0.7 s, falls between 1/8 and 1/4 of it, where the precision of the extension shows).
	Resize, ExpireAfterAccess bool
}

// Weigh is the weigher of weighted differential runs: 0 to 15 from a hash
// of the value's text (what a pointer points to), and 1 value in 16
// heavier than the cache (200).
func Weigh[K comparable, V any](_ K, v V) uint32 {
	h := uint32(2166136261)
	for _, b := range []byte(text(v)) {
		h = (h ^ uint32(b)) * 16777619
	}
	if h>>28 == 0 {
		return 200
	}
	return h % 16
}

// RunOps runs n random operations drawn from r against a cache built by s
// and the model, and fails at the first disagreement.
func RunOps[K comparable, V any](t testing.TB, s Suite[K, V], cfg Config, r *rand.Rand, n int) {
	Replay(t, s, cfg, func() (byte, bool) {
		if n == 0 {
			return 0, false
		}
		n--
		return byte(r.Uint32()), true
	})
}

// text returns v as text, through any pointers: what a pointer points to.
func text(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	return fmt.Sprint(rv)
}

type evRec[K comparable] struct {
	k K
	r evict.Reason
}

// Replay runs operations decoded from next (one byte per operation and
// argument) until next reports false. Fuzz targets feed it their input.
func Replay[K comparable, V any](t testing.TB, s Suite[K, V], cfg Config, next func() (byte, bool)) {
	clk := clock.NewManual(epoch)
	var got, want []evRec[K]
	// Capacity 16 with admission: a one-entry window in front of 15.
	capacity, shards := 16, max(cfg.Shards, 1)
	var weigher func(K, V) uint32
	var maxWeight uint64
	if cfg.Weighted || cfg.WeightOnly {
		weigher, maxWeight = Weigh[K, V], 60
	}
	if cfg.WeightOnly {
		capacity = 0
	}
	var access time.Duration
	if cfg.ExpireAfterAccess {
		access = 4 * time.Second
	}
	// The model does not bound remembered not-founds; the cache bounds them
	// by each shard's share of Capacity, which a run that shrinks Capacity
	// (cfg.Resize) reaches: such runs remember none.
	negTTL := replayNegativeTTL
	if cfg.Resize {
		negTTL = 0
	}
	c, err := s.New(shard.Options[K, V]{Capacity: capacity, Shards: shards, Policy: cfg.Policy, NoAdmission: !cfg.Admission, Clock: clk,
		Weigher: weigher, MaxWeight: maxWeight, NegativeTTL: negTTL, ExpireAfterAccess: access,
		OnEvict: func(k K, _ V, r evict.Reason) { got = append(got, evRec[K]{k, r}) }})
	require.NoError(t, err)
	defer c.Close()
	var hash func(K) uint64
	if s.HashOf != nil {
		hash = s.HashOf(c)
	}
	m := model.New(model.Options[K, V]{Capacity: capacity, Shards: shards, Policy: cfg.Policy, Admission: cfg.Admission, Hash: hash, Clock: clk,
		Weigher: weigher, MaxWeight: maxWeight, NegativeTTL: negTTL, ExpireAfterAccess: access,
		OnEvict: func(k K, _ V, r evict.Reason) { want = append(want, evRec[K]{k, r}) }})
	for step := 0; ; step++ {
		op, ok := next()
		if !ok {
			return
		}
		arg, _ := next()
		k := s.Key(int(arg % 40))
		v := s.Val(int(op) * int(arg))
		switch op % replayOps {
		case 0, 1, 2:
			gv, gok := c.Get(k)
			mv, mok := m.Get(k)
			require.Equal(t, mok, gok, "step %d: Get hit", step)
			require.Equal(t, mv, gv, "step %d: Get value", step)
		case 3, 4:
			c.Set(k, v)
			m.Set(k, v)
		case 5:
			ttl := time.Duration(arg%4) * time.Second
			c.SetTTL(k, v, ttl)
			m.SetTTL(k, v, ttl)
		case 6:
			ga, gs := c.SetIfAbsent(k, v)
			ma, ms := m.SetIfAbsent(k, v)
			require.Equal(t, ms, gs, "step %d: SetIfAbsent stored", step)
			require.Equal(t, ma, ga, "step %d: SetIfAbsent actual", step)
		case 7:
			require.Equal(t, m.Delete(k), c.Delete(k), "step %d: Delete", step)
		case 8:
			if cfg.Resize && arg%4 == 0 {
				if capacity > 0 {
					n := 4 + int(arg/4)%20
					require.NoError(t, c.SetCapacity(n))
					m.SetCapacity(n)
				}
				if weigher != nil {
					w := uint64(20 + int(arg/4)%60)
					require.NoError(t, c.SetMaxWeight(w))
					m.SetMaxWeight(w)
				}
				break
			}
			gv, gok := c.Peek(k)
			mv, mok := m.Peek(k)
			require.Equal(t, mok, gok, "step %d: Peek hit", step)
			require.Equal(t, mv, gv, "step %d: Peek value", step)
		case 9:
			clk.Advance(time.Duration(arg%3) * 700 * time.Millisecond)
			m.ExpireAll() // the manual clock ran the cache's sweep
		case 10, 11, 12:
			s.replayCompute(t, step, op, arg, c, m)
		}
		if op%replayOps == 9 {
			// A sweep reclaims in table order, the model in map order.
			require.ElementsMatch(t, want, got, "step %d: evictions", step)
		} else {
			require.Equal(t, want, got, "step %d: evictions", step)
		}
		got, want = got[:0], want[:0]
		require.Equal(t, m.Len(), c.Len(), "step %d: Len", step)
		require.Equal(t, m.Weight(), c.Stats().Weight, "step %d: Stats.Weight", step)
	}
}

// concurrent hammers one cache from many goroutines, each owning a key
// range: every goroutine must read its own writes, and Len must stay within
// capacity.
func (s Suite[K, V]) concurrent(t *testing.T) {
	const workers, perWorker = 8, 2000
	c := s.build(t, shard.Options[K, V]{Capacity: 512})
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				k := s.Key(w*perWorker + i%300)
				v := s.Val(w*perWorker + i)
				c.Set(k, v)
				if got, ok := c.Get(k); !ok || fmt.Sprint(got) != fmt.Sprint(v) {
					// Another goroutine's Set may have evicted k in between, never
					// replaced it: keys are disjoint.
					if ok {
						errs <- fmt.Sprintf("worker %d: read %v, wrote %v", w, got, v)
						return
					}
				}
				switch i % 7 {
				case 0:
					c.Delete(s.Key(w*perWorker + (i+1)%300))
				case 1:
					c.SetIfAbsent(k, v)
				case 2:
					c.Peek(k)
				case 3:
					if i%700 == 3 {
						c.DeleteFunc(func(K, V) bool { return false })
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.LessOrEqual(t, c.Len(), 512)
	n := 0
	for range c.All() {
		n++
	}
	assert.Equal(t, c.Len(), n, "All sees every stored entry once no write is in flight")
}

// getOrLoad checks loading through the implementation's own hash: one load
// for many concurrent callers, a loaded value is a Get hit and a Set value a
// GetOrLoad hit, errors are not cached, not-found is remembered for
// NegativeTTL and forgotten on Set.
func (s Suite[K, V]) getOrLoad(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk, NegativeTTL: time.Minute})
	ctx := context.Background()
	var mu sync.Mutex
	loads := 0
	release := make(chan struct{})
	load := func(_ context.Context, k K) (V, error) {
		mu.Lock()
		loads++
		mu.Unlock()
		<-release
		return s.Val(1), nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.GetOrLoad(ctx, s.Key(1), load)
			assert.NoError(t, err)
			assert.Equal(t, s.Val(1), v)
		}()
	}
	close(release)
	wg.Wait()
	// Callers that came while the load ran waited for it; any later one hit
	// the stored value.
	mu.Lock()
	assert.Equal(t, 1, loads, "one load per key")
	mu.Unlock()
	v, ok := c.Get(s.Key(1))
	require.True(t, ok, "a loaded value is stored under the same hash as Get uses")
	assert.Equal(t, s.Val(1), v)
	_, err := c.GetOrLoad(ctx, s.Key(1), load)
	require.NoError(t, err)
	assert.Equal(t, 1, loads, "a hit does not load")

	c.Set(s.Key(2), s.Val(2))
	v, err = c.GetOrLoad(ctx, s.Key(2), func(context.Context, K) (V, error) {
		t.Error("a Set value must be a GetOrLoad hit")
		return s.Val(0), nil
	})
	require.NoError(t, err)
	assert.Equal(t, s.Val(2), v)

	boom := errors.New("backend down")
	_, err = c.GetOrLoad(ctx, s.Key(3), func(context.Context, K) (V, error) { return s.Val(0), boom })
	assert.ErrorIs(t, err, boom)
	_, ok = c.Peek(s.Key(3))
	assert.False(t, ok, "errors are not cached")

	calls := 0
	missing := func(context.Context, K) (V, error) { calls++; return s.Val(0), shard.ErrNotFound }
	_, err = c.GetOrLoad(ctx, s.Key(4), missing)
	assert.ErrorIs(t, err, shard.ErrNotFound)
	_, err = c.GetOrLoad(ctx, s.Key(4), missing)
	assert.ErrorIs(t, err, shard.ErrNotFound)
	assert.Equal(t, 1, calls, "not-found is remembered for NegativeTTL")
	clk.Advance(time.Minute)
	_, _ = c.GetOrLoad(ctx, s.Key(4), missing)
	assert.Equal(t, 2, calls, "and forgotten after it")
	c.Set(s.Key(4), s.Val(4))
	v, err = c.GetOrLoad(ctx, s.Key(4), missing)
	assert.NoError(t, err)
	assert.Equal(t, s.Val(4), v, "a Set replaces a remembered absence at once")
}

// getOrLoadCached checks the cached-or-loaded signal through the
// implementation's own hash: a load is not cached, a stored value and a
// remembered not-found are.
func (s Suite[K, V]) getOrLoadCached(t *testing.T) {
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clock.NewManual(epoch), NegativeTTL: time.Minute})
	ctx := context.Background()
	calls := 0
	load := func(_ context.Context, k K) (V, error) {
		calls++
		if k == s.Key(2) {
			return s.Val(0), shard.ErrNotFound
		}
		return s.Val(1), nil
	}
	for i, wantCached := range []bool{false, true} {
		v, cached, err := c.GetOrLoadCached(ctx, s.Key(1), load)
		require.NoError(t, err)
		assert.Equal(t, s.Val(1), v)
		assert.Equal(t, wantCached, cached, "value, call %d", i)
		_, cached, err = c.GetOrLoadCached(ctx, s.Key(2), load)
		assert.ErrorIs(t, err, shard.ErrNotFound)
		assert.Equal(t, wantCached, cached, "not-found, call %d", i)
	}
	assert.Equal(t, 2, calls)
	c.Set(s.Key(3), s.Val(3))
	v, cached, err := c.GetOrLoadCached(ctx, s.Key(3), load)
	require.NoError(t, err)
	assert.True(t, cached, "a Set value is cached")
	assert.Equal(t, s.Val(3), v)
}
