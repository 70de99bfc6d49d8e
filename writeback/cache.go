package writeback

import (
	"context"
	"errors"
	"fmt"
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
// negative durations are errors. The fields are those of [shard.Options]
// of the same names.
type CacheOptions[K comparable, V any] struct {
	// Capacity is the most values the cache holds. Required, > 0.
	Capacity int
	// MaxTTL caps how long a value stays cached. 0 means no cap: a value
	// then stays until evicted, its Expiry, or a write through the cache.
	MaxTTL time.Duration
	// Expiry, if set, returns when a loaded value itself expires (the zero
	// time: never), e.g. a token's expiry. The value is cached until
	// Expiry − Skew, or MaxTTL, whichever is sooner, and not at all if that
	// has passed. Times beyond the int64 nanosecond range (year 2262) are
	// taken as that limit.
	Expiry func(key K, value V) time.Time
	// Skew is subtracted from Expiry's time, so that a value is dropped a
	// little before it expires. Without Expiry it has no effect.
	Skew time.Duration
	// NegativeTTL is how long a load that found nothing (shard.ErrNotFound)
	// is remembered. 0 means DefaultNegativeTTL.
	NegativeTTL time.Duration
	// Clock is the time source for the deadlines; nil means shard's default
	// (clock.ForCaller(): the shared coarse clock, or a synctest bubble's time).
	Clock clock.Clock
	// CountHits makes the cache count hits and misses for Stats (it is
	// shard.Options.CountHits, off by default for the read path's speed).
	CountHits bool
}

// Cache is a read-through cache over a store ([KV]), kept in a
// [shard.Cache]: Load serves cached values and remembered misses, and
// loads the rest with shard.Cache.GetOrLoad, so that one load per key runs
// at a time however many goroutines ask. Store and Delete write to the
// store and then drop the cached copy; Invalidate only drops it.
//
// A Load that starts after a Store, Delete or Invalidate through the same
// Cache returned never sees the value that write replaced: a load in
// flight when the copy is dropped still answers its callers but does not
// cache what it read (shard.Cache.GetOrLoad's rule for a Delete racing a
// load). Writes made to the store behind the cache's back show only once
// the cached copy expires or is invalidated.
//
// Cache is itself a KV, and is safe for concurrent use; its state is the
// shard.Cache's, plus two atomic counters. Close releases the shard.Cache.
type Cache[K comparable, V any] struct {
	store KV[K, V]
	c     *shard.Cache[K, V]
	load  func(context.Context, K) (V, error)

	calls, errors atomic.Uint64 // Store and Delete calls to the store, failed ones
}

// NewCache returns a read-through cache over store, or an error naming the
// first invalid option.
func NewCache[K comparable, V any](store KV[K, V], opts CacheOptions[K, V]) (*Cache[K, V], error) {
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
	so := shard.Options[K, V]{
		Capacity:    opts.Capacity,
		Clock:       opts.Clock,
		CountHits:   opts.CountHits,
		NegativeTTL: opts.NegativeTTL,
	}
	if opts.Expiry != nil {
		so.Expiry, so.MaxTTL, so.Skew = opts.Expiry, opts.MaxTTL, opts.Skew
	} else {
		so.TTL = opts.MaxTTL
	}
	c, err := shard.New(so)
	if err != nil {
		return nil, fmt.Errorf("writeback: %w", err)
	}
	return &Cache[K, V]{store: store, c: c, load: store.Load}, nil
}

// Load returns the cached value for key, or the remembered miss (an error
// wrapping shard.ErrNotFound), or else loads it from the store, once for
// all the callers asking meanwhile, and caches the outcome (errors other
// than not-found are returned and not cached). A store Load that panics
// gives its callers a *shard.PanicError. See shard.Cache.GetOrLoad for the
// load's context and the callers whose ctx ends while they wait.
func (c *Cache[K, V]) Load(ctx context.Context, key K) (V, error) {
	return c.c.GetOrLoad(ctx, key, c.load)
}

// Store stores value in the store, then drops key's cached copy (also if
// the store failed: its state is then unknown).
func (c *Cache[K, V]) Store(ctx context.Context, key K, value V) error {
	err := c.count(c.store.Store(ctx, key, value))
	c.c.Delete(key)
	return err
}

// Delete deletes key from the store, then drops its cached copy.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	err := c.count(c.store.Delete(ctx, key))
	c.c.Delete(key)
	return err
}

// Invalidate drops key's cached copy (a value or a remembered miss), and
// keeps a load of key in flight from caching what it read: the next Load
// reads the store. The store is not touched.
func (c *Cache[K, V]) Invalidate(key K) { c.c.Delete(key) }

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

// Close releases the cache's shard.Cache (not the store). It returns nil.
func (c *Cache[K, V]) Close() error { return c.c.Close() }
