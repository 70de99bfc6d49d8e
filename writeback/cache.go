package writeback

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// DefaultNegativeTTL is how long a [Cache] remembers a miss when
// CacheOptions.NegativeTTL is 0: long enough to absorb a burst of lookups
// of an unknown token, short enough that a value stored behind the cache's
// back soon shows.
const DefaultNegativeTTL = time.Second

// CacheOptions configures a [Cache]. Zero fields mean the defaults;
// negative durations are errors.
type CacheOptions[K comparable, V any] struct {
	// Capacity is the most values (and remembered misses) the cache holds.
	// Required, > 0.
	Capacity int
	// MaxTTL caps how long a value stays cached. 0 means no cap: a value
	// then stays until evicted, its Expiry, or a write through the cache.
	MaxTTL time.Duration
	// Expiry, if set, returns when a loaded value itself expires (the zero
	// time: never), e.g. a token's expiry. The value is cached until
	// Expiry − Skew, or MaxTTL, whichever is sooner, and not at all if that
	// has passed.
	Expiry func(key K, value V) time.Time
	// Skew is subtracted from Expiry's time, so that a value is dropped a
	// little before it expires.
	Skew time.Duration
	// NegativeTTL is how long a load that found nothing (shard.ErrNotFound)
	// is remembered. 0 means DefaultNegativeTTL.
	NegativeTTL time.Duration
	// Clock is the time source for the deadlines; nil means clock.Default().
	Clock clock.Clock
	// CountHits makes the cache count hits and misses for Stats (it is
	// shard.Options.CountHits, off by default for the read path's speed).
	CountHits bool
}

// Cache is a read-through cache over a [Store], kept in a [shard.Cache]:
// Load serves cached values and misses, and loads the rest from the store;
// Store and Delete write to the store and then drop the cached entry.
//
// A Load that starts after a Store or Delete through the same Cache
// returned never sees the value that write replaced: a load racing with a
// write does not cache what it read (a per-key-stripe write generation
// tells it). Writes made to the store behind the cache's back show only
// once the cached entry expires.
//
// Cache is itself a Store, and is safe for concurrent use. Close releases
// its shard.Cache.
type Cache[K comparable, V any] struct {
	store   Store[K, V]
	c       *shard.Cache[K, cached[V]]
	opts    CacheOptions[K, V]
	clock   clock.Clock
	seed    maphash.Seed
	stripes [64]stripe

	calls, errors atomic.Uint64 // Store and Delete calls to the store, failed ones
}

// cached is a value or a remembered miss.
type cached[V any] struct {
	value   V
	missing bool
}

// stripe orders a key's cache fills after its writes: a write bumps gen,
// a fill stores only if gen has not moved since its load began.
type stripe struct {
	mu  sync.Mutex
	gen uint64
	_   [48]byte // one stripe per cache line
}

// NewCache returns a read-through cache over store, or an error naming the
// first invalid option.
func NewCache[K comparable, V any](store Store[K, V], opts CacheOptions[K, V]) (*Cache[K, V], error) {
	switch {
	case store == nil:
		return nil, errors.New("writeback: store must not be nil")
	case opts.Capacity <= 0:
		return nil, fmt.Errorf("writeback: Capacity must be > 0, got %d", opts.Capacity)
	case opts.MaxTTL < 0:
		return nil, fmt.Errorf("writeback: MaxTTL must be >= 0, got %v", opts.MaxTTL)
	case opts.Skew < 0:
		return nil, fmt.Errorf("writeback: Skew must be >= 0, got %v", opts.Skew)
	case opts.NegativeTTL < 0:
		return nil, fmt.Errorf("writeback: NegativeTTL must be >= 0, got %v", opts.NegativeTTL)
	}
	if opts.NegativeTTL == 0 {
		opts.NegativeTTL = DefaultNegativeTTL
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Default()
	}
	c, err := shard.New(shard.Options[K, cached[V]]{Capacity: opts.Capacity, Clock: clk, CountHits: opts.CountHits})
	if err != nil {
		return nil, fmt.Errorf("writeback: %w", err)
	}
	return &Cache[K, V]{store: store, c: c, opts: opts, clock: clk, seed: maphash.MakeSeed()}, nil
}

func (c *Cache[K, V]) stripe(key K) *stripe {
	return &c.stripes[maphash.Comparable(c.seed, key)%uint64(len(c.stripes))]
}

// Load returns the cached value or miss for key, or else loads it from the
// store and caches the outcome (not errors other than shard.ErrNotFound).
func (c *Cache[K, V]) Load(ctx context.Context, key K) (V, error) {
	if e, ok := c.c.Get(key); ok {
		if e.missing {
			return e.value, shard.ErrNotFound
		}
		return e.value, nil
	}
	s := c.stripe(key)
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	v, err := c.store.Load(ctx, key)
	var e cached[V]
	var ttl time.Duration
	switch {
	case err == nil:
		e.value, ttl = v, c.ttl(key, v)
	case errors.Is(err, shard.ErrNotFound):
		e.missing, ttl = true, c.opts.NegativeTTL
	default:
		return v, err
	}
	if ttl < 0 {
		return v, err
	}
	s.mu.Lock()
	if s.gen == gen {
		c.c.SetTTL(key, e, ttl)
	}
	s.mu.Unlock()
	return v, err
}

// ttl returns how long to cache v: 0 for ever, negative for not at all.
func (c *Cache[K, V]) ttl(key K, v V) time.Duration {
	now := c.clock.Now()
	deadline := int64(math.MaxInt64)
	if c.opts.MaxTTL > 0 {
		deadline = now + int64(c.opts.MaxTTL)
	}
	if c.opts.Expiry != nil {
		if exp := c.opts.Expiry(key, v); !exp.IsZero() {
			deadline = min(deadline, exp.UnixNano()-int64(c.opts.Skew))
		}
	}
	switch {
	case deadline == math.MaxInt64:
		return 0
	case deadline <= now:
		return -1
	}
	return time.Duration(deadline - now)
}

// Store stores value in the store, then drops key from the cache (also if
// the store failed: its state is then unknown).
func (c *Cache[K, V]) Store(ctx context.Context, key K, value V) error {
	err := c.count(c.store.Store(ctx, key, value))
	c.invalidate(key)
	return err
}

// Delete deletes key from the store, then drops it from the cache.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	err := c.count(c.store.Delete(ctx, key))
	c.invalidate(key)
	return err
}

func (c *Cache[K, V]) invalidate(key K) {
	s := c.stripe(key)
	s.mu.Lock()
	s.gen++
	c.c.Delete(key)
	s.mu.Unlock()
}

// Close releases the cache's shard.Cache (not the store). It returns nil.
func (c *Cache[K, V]) Close() error { return c.c.Close() }

// count counts a store call that returned err, and returns err.
func (c *Cache[K, V]) count(err error) error {
	c.calls.Add(1)
	if err != nil {
		c.errors.Add(1)
	}
	return err
}

// Stats returns a snapshot of the cache's counters. It takes no lock that
// Load takes.
func (c *Cache[K, V]) Stats() CacheStats {
	return CacheStats{
		Cache:       c.c.Stats(),
		Len:         c.c.Len(),
		StoreCalls:  c.calls.Load(),
		StoreErrors: c.errors.Load(),
	}
}
