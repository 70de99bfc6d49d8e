package writeback

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// DefaultNegativeTTL is how long a [Cache] built with the deprecated
// top-level fields of [CacheOptions] remembers a miss when NegativeTTL is
// 0.
//
// Deprecated: only the deprecated fields use it. With CacheOptions.L1,
// NegativeTTL means what it means in shard.Options (0: not remembered);
// set L1.NegativeTTL to time.Second for the old behaviour.
const DefaultNegativeTTL = time.Second

// CacheOptions configures a [Cache]. Its in-memory copies are an
// in-process shard.Cache, configured by L1 exactly as shard.New is: every
// field of shard.Options has its meaning and default there (TTL, MaxTTL,
// Expiry, ExpiryFraction, NegativeTTL, RefreshAhead, OnLoad, Logger, ...),
// as in objects.NewStore and tier.Options.L1.
//
// The other fields are the former, deprecated, way to configure the cache,
// kept so that code written for it builds and behaves as before: set
// either L1 or those, not both.
type CacheOptions[K comparable, V any] struct {
	// L1 configures the cache's in-memory copies (a shard.Cache): Capacity
	// or MaxWeight is required. Values are loaded from the store with
	// GetOrLoad, so NegativeTTL, RefreshAhead and OnLoad apply to loads
	// from the store.
	L1 shard.Options[K, V]

	// Capacity is the most values the cache holds, > 0.
	//
	// Deprecated: use L1.Capacity.
	Capacity int
	// MaxTTL caps how long a value stays cached; without Expiry it is the
	// TTL of every value. 0 means no cap.
	//
	// Deprecated: use L1.MaxTTL with L1.Expiry, or L1.TTL without it.
	MaxTTL time.Duration
	// Expiry, if set, returns when a loaded value itself expires (the zero
	// time: never); the value is cached until Expiry − Skew, or MaxTTL,
	// whichever is sooner.
	//
	// Deprecated: use L1.Expiry.
	Expiry func(key K, value V) time.Time
	// Skew is subtracted from Expiry's time.
	//
	// Deprecated: use L1.Skew.
	Skew time.Duration
	// NegativeTTL is how long a load that found nothing (shard.ErrNotFound)
	// is remembered. 0 means DefaultNegativeTTL (1s), unlike
	// shard.Options.NegativeTTL.
	//
	// Deprecated: use L1.NegativeTTL, where 0 means not remembered.
	NegativeTTL time.Duration
	// Clock is the time source for the deadlines; nil means shard's default.
	//
	// Deprecated: use L1.Clock.
	Clock clock.Clock
	// CountHits makes the cache count hits and misses for Stats.
	//
	// Deprecated: use L1.CountHits.
	CountHits bool
}

// legacy reports whether o sets any deprecated top-level field.
func (o *CacheOptions[K, V]) legacy() bool {
	return o.Capacity != 0 || o.MaxTTL != 0 || o.Expiry != nil || o.Skew != 0 ||
		o.NegativeTTL != 0 || o.Clock != nil || o.CountHits
}

// shardOptions returns the shard.Options o stands for, or an error naming
// the first invalid option.
func (o *CacheOptions[K, V]) shardOptions() (shard.Options[K, V], error) {
	if !o.legacy() {
		return o.L1, nil
	}
	if !reflect.ValueOf(o.L1).IsZero() {
		return o.L1, errors.New("writeback: set CacheOptions.L1 or the deprecated top-level fields (Capacity, MaxTTL, Expiry, Skew, NegativeTTL, Clock, CountHits), not both: move them into L1")
	}
	switch {
	case o.Capacity <= 0:
		return o.L1, fmt.Errorf("writeback: Capacity must be > 0, got %d", o.Capacity)
	case o.MaxTTL < 0:
		return o.L1, fmt.Errorf("writeback: MaxTTL must be >= 0, got %v", o.MaxTTL)
	case o.Skew < 0:
		return o.L1, fmt.Errorf("writeback: Skew must be >= 0, got %v", o.Skew)
	case o.NegativeTTL < 0:
		return o.L1, fmt.Errorf("writeback: NegativeTTL must be >= 0, got %v", o.NegativeTTL)
	}
	so := shard.Options[K, V]{
		Capacity:    o.Capacity,
		Clock:       o.Clock,
		CountHits:   o.CountHits,
		NegativeTTL: o.NegativeTTL,
	}
	if so.NegativeTTL == 0 {
		so.NegativeTTL = DefaultNegativeTTL
	}
	if o.Expiry != nil {
		so.Expiry, so.MaxTTL, so.Skew = o.Expiry, o.MaxTTL, o.Skew
	} else {
		so.TTL = o.MaxTTL
	}
	return so, nil
}

// Cache is a read-through cache over a store ([KV]), kept in a
// [shard.Cache] (its L1): Get serves cached values and remembered misses,
// and loads the rest with shard.Cache.GetOrLoad, so that one load per key
// runs at a time however many goroutines ask. Set and Delete write to the
// store and then drop the cached copy; Invalidate only drops it.
//
// A Get that starts after a Set, Delete or Invalidate through the same
// Cache returned never sees the value that write replaced: a load in
// flight when the copy is dropped still answers its callers but does not
// cache what it read (shard.Cache.GetOrLoad's rule for a Delete racing a
// load). Writes made to the store behind the cache's back show only once
// the cached copy expires or is invalidated.
//
// Cache is itself a KV (through its Load and Store, the KV names of Get
// and Set), so it stacks. It is safe for concurrent use; its state is the
// shard.Cache's, plus atomic counters and a closed flag. Close releases
// the shard.Cache; afterwards every method that can fail returns
// ErrClosed.
type Cache[K comparable, V any] struct {
	store KV[K, V]
	c     *shard.Cache[K, V]
	load  func(context.Context, K) (V, error)

	closed        atomic.Bool
	calls, errors atomic.Uint64 // Set and Delete calls to the store, failed ones
}

// NewCache returns a read-through cache over store, or an error naming the
// first invalid option.
func NewCache[K comparable, V any](store KV[K, V], opts CacheOptions[K, V]) (*Cache[K, V], error) {
	if store == nil {
		return nil, errors.New("writeback: store must not be nil")
	}
	so, err := opts.shardOptions()
	if err != nil {
		return nil, err
	}
	c, err := shard.New(so)
	if err != nil {
		return nil, fmt.Errorf("writeback: L1: %w", err)
	}
	return &Cache[K, V]{store: store, c: c, load: store.Load}, nil
}

// Get returns the value of key: the cached copy, or else the store's value,
// loaded once for all the callers asking meanwhile and cached. A key the
// store does not hold (its Load returned an error wrapping
// shard.ErrNotFound), or whose absence is remembered (L1.NegativeTTL), is a
// miss: (zero, false, nil). Any other error means the value is unknown: the
// store failed (not cached), the store panicked (a *shard.PanicError), ctx
// ended while waiting, or the cache is closed (ErrClosed). See
// shard.Cache.GetOrLoad for the load's context.
func (c *Cache[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	if c.closed.Load() {
		var zero V
		return zero, false, ErrClosed
	}
	v, err := c.c.GetOrLoad(ctx, key, c.load)
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, shard.ErrNotFound):
		return v, false, nil
	}
	return v, false, err
}

// Load is Get in the form of [KV.Load]: a miss is an error wrapping
// shard.ErrNotFound.
//
// Deprecated: use Get. Load stays so that a Cache is a KV.
func (c *Cache[K, V]) Load(ctx context.Context, key K) (V, error) {
	if c.closed.Load() {
		var zero V
		return zero, ErrClosed
	}
	return c.c.GetOrLoad(ctx, key, c.load)
}

// Set stores value in the store, then drops key's cached copy (also if
// the store failed: its state is then unknown). After Close it returns
// ErrClosed and touches nothing.
func (c *Cache[K, V]) Set(ctx context.Context, key K, value V) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err := c.count(c.store.Store(ctx, key, value))
	c.c.Delete(key)
	return err
}

// Store is Set.
//
// Deprecated: use Set. Store stays so that a Cache is a KV.
func (c *Cache[K, V]) Store(ctx context.Context, key K, value V) error { return c.Set(ctx, key, value) }

// Delete deletes key from the store, then drops its cached copy. After
// Close it returns ErrClosed and touches nothing.
func (c *Cache[K, V]) Delete(ctx context.Context, key K) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err := c.count(c.store.Delete(ctx, key))
	c.c.Delete(key)
	return err
}

// Invalidate drops key's cached copy (a value or a remembered miss), and
// keeps a load of key in flight from caching what it read: the next Get
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
// Get takes.
func (c *Cache[K, V]) Stats() CacheStats {
	l1 := c.c.Stats()
	return CacheStats{
		L1:          l1,
		Cache:       l1,
		Len:         c.c.Len(),
		StoreCalls:  c.calls.Load(),
		StoreErrors: c.errors.Load(),
	}
}

// Close releases the cache's shard.Cache (not the store). It is idempotent
// and returns nil; afterwards Get, Set and Delete return ErrClosed.
func (c *Cache[K, V]) Close() error {
	c.closed.Store(true)
	return c.c.Close()
}
