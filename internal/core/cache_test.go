package core

import (
	"context"
	"io"
	"iter"
	"time"
	"unsafe"
)

// Cache is shard.Cache for the tests of this package, which build caches
// as shard's tests did before the engine moved here: the same wrapper over
// Engine (a copy of shard/cache.go), with Options here being core.Options.
// shard's own tests cover the real one.
type Cache[K comparable, V any] struct {
	e    *Engine[K, V]
	seed Seed // e's seed, here so that hashing a key needs no load through e
	kind KeyKind
	hash func(Seed, K) uint64 // the default hash (KindOther); the commonest key types' are called directly
	user func(K) uint64       // Options.Hash (KindUser)
}

// New returns a cache configured by opts, or an error naming the first
// invalid option, e.g. "shard: Capacity must be > 0, got -1".
//
// The cache uses the shared clock and sweeps expired entries in the
// background about once a second. Close stops both; a cache that becomes
// unreachable without Close stops them when the garbage collector reclaims
// it (nothing global holds a cache, so this holds even when its callbacks
// refer to the cache).
func New[K comparable, V any](opts Options[K, V]) (*Cache[K, V], error) {
	c := &Cache[K, V]{hash: DefaultHash[K](), kind: KindOf[K]()}
	if user := opts.Hash; user != nil {
		c.hash, c.kind, c.user = func(_ Seed, k K) uint64 { return user(k) }, KindUser, user
	}
	e, err := NewEngine(opts, c.hash)
	if err != nil {
		return nil, err
	}
	c.e, c.seed = e, e.Seed()
	CloseWhenUnreachable(c, e)
	return c, nil
}

// Must is New that panics on invalid options.
func Must[K comparable, V any](opts Options[K, V]) *Cache[K, V] {
	c, err := New(opts)
	if err != nil {
		panic(err)
	}
	return c
}

// hashOf returns the hash of key: the default hashes of 8-byte integer and
// string keys are called directly (and the integer mixer inlined), others
// through c.hash or c.user.
func (c *Cache[K, V]) hashOf(key K) uint64 {
	switch c.kind {
	case KindWord:
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		return HashUint64(c.seed, *(*uint64)(unsafe.Pointer(&key)))
	case KindString:
		// Safety: KindString means K's underlying type is string.
		return HashString(c.seed, *(*string)(unsafe.Pointer(&key)))
	case KindUser:
		return c.user(key)
	}
	return c.hash(c.seed, key)
}

// Get returns the value stored under key and true, or the zero value and
// false if key is absent or expired. It marks the entry as used for
// eviction and counts a hit or a miss. Lock-free, allocation-free.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	if c.kind == KindWord {
		// hashOf's integer case, written out: hashOf is too big to inline,
		// and the call cost ~10% of a Get hit of a uint64 key.
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		return c.e.Get(HashUint64(c.seed, *(*uint64)(unsafe.Pointer(&key))), key)
	}
	return c.e.Get(c.hashOf(key), key)
}

// Peek is Get without side effects: it neither marks the entry used nor
// counts a hit or miss.
func (c *Cache[K, V]) Peek(key K) (V, bool) { return c.e.Peek(c.hashOf(key), key) }

// GetWithExpiry is Peek that also returns when the entry expires (the zero
// time if it never does).
func (c *Cache[K, V]) GetWithExpiry(key K) (V, time.Time, bool) {
	v, d, ok := c.e.GetWithDeadline(c.hashOf(key), key)
	if !ok || d == 0 {
		return v, time.Time{}, ok
	}
	return v, time.Unix(0, d), true
}

// Set stores value under key, expiring after Options.TTL (if set) or when
// Options.Expiry says. If key is present its entry is replaced in place;
// otherwise, if the cache is full, one entry is evicted (with
// Options.MaxWeight, as many as the new entry needs room for), from the
// key's shard if it holds any. Locks the key's shard; a write whose shard
// is empty when the cache is full then locks other shards, one at a time,
// to evict.
func (c *Cache[K, V]) Set(key K, value V) { c.e.Set(c.hashOf(key), key, value) }

// SetTTL is Set with a per-call TTL: 0 means no expiry. A negative ttl
// deletes key: it stores nothing and removes the key's present value, if
// any, as an overwrite by a value already expired would (OnEvict and
// Stats.Evictions see evict.Replaced, or evict.Expired if the old value had
// expired), and supersedes a load of the key in flight.
func (c *Cache[K, V]) SetTTL(key K, value V, ttl time.Duration) {
	c.e.SetTTL(c.hashOf(key), key, value, ttl)
}

// SetIfAbsent stores value under key only if no live entry holds key. It
// returns the value key holds afterwards and whether it was this call's.
func (c *Cache[K, V]) SetIfAbsent(key K, value V) (actual V, stored bool) {
	return c.e.SetIfAbsent(c.hashOf(key), key, value)
}

// Delete removes key and reports whether a live entry held it. Locks one
// shard only if the key is present.
func (c *Cache[K, V]) Delete(key K) bool { return c.e.Delete(c.hashOf(key), key) }

// DeleteFunc removes every live entry for which f returns true and returns
// how many it removed. f runs with no lock held and may call the cache.
// Entries written while DeleteFunc runs may or may not be visited.
func (c *Cache[K, V]) DeleteFunc(f func(key K, value V) bool) int { return c.e.DeleteFunc(f) }

// Len returns the number of entries stored, including expired entries that
// have not been reclaimed yet: an entry past its deadline is a miss for
// every read at once, but it counts in Len (and holds its memory) until the
// eviction hand, a write of its key or the background sweep removes it.
// Len is therefore not the number of entries All would yield. Remembered
// not-founds (Options.NegativeTTL) are not entries and do not count.
// Len() <= Options.Capacity whenever no write is in flight.
func (c *Cache[K, V]) Len() int { return c.e.Len() }

// All returns an iterator over the live entries, in no particular order. It
// holds no lock; entries written during the iteration may or may not be
// seen, and none is seen twice.
func (c *Cache[K, V]) All() iter.Seq2[K, V] { return c.e.All() }

// Clear removes every entry (OnEvict sees them as evict.Deleted).
func (c *Cache[K, V]) Clear() { c.e.Clear() }

// Stats returns a snapshot of the cache's counters (hits and misses only
// with Options.CountHits).
func (c *Cache[K, V]) Stats() Stats { return c.e.Stats() }

// Close stops the cache's background work and releases its clock. It is
// idempotent and returns nil. It also cancels the context of every load in
// flight (GetOrLoad's and refreshes): when Close returns, their contexts
// are done, and their waiters get whatever the loads then return. After
// Close, GetOrLoad returns ErrClosed where it would start a load (a hit
// is still served). A closed cache otherwise keeps working — every method
// stays safe and correct, reads still never return expired entries — but
// expired entries are then reclaimed only by writes and evictions.
func (c *Cache[K, V]) Close() error { return c.e.Close() }

func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, load func(context.Context, K) (V, error)) (V, error) {
	return c.e.GetOrLoad(ctx, c.hashOf(key), key, load)
}

func (c *Cache[K, V]) GetOrLoadCached(ctx context.Context, key K, load func(context.Context, K) (V, error)) (value V, cached bool, err error) {
	return c.e.GetOrLoadCached(ctx, c.hashOf(key), key, load)
}

// The methods below complete the copy to shard.Cache's method set
// (TestMethodSets_Agree checks that it stays complete).

func (c *Cache[K, V]) Compute(key K, f func(old V, found bool) (V, ComputeOp)) (actual V, ok bool) {
	return c.e.Compute(c.hashOf(key), key, f)
}

func (c *Cache[K, V]) GetOrLoadAll(ctx context.Context, keys []K, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	return c.e.GetOrLoadAll(ctx, keys, load)
}

func (c *Cache[K, V]) Refresh(ctx context.Context, key K, load func(context.Context, K) (V, error)) error {
	return c.e.Refresh(ctx, c.hashOf(key), key, load)
}

func (c *Cache[K, V]) SetCapacity(n int) error           { return c.e.SetCapacity(n) }
func (c *Cache[K, V]) SetMaxWeight(w uint64) error       { return c.e.SetMaxWeight(w) }
func (c *Cache[K, V]) Hottest() iter.Seq2[K, V]          { return c.e.Hottest() }
func (c *Cache[K, V]) Coldest() iter.Seq2[K, V]          { return c.e.Coldest() }
func (c *Cache[K, V]) SaveTo(w io.Writer) error          { return c.e.SaveTo(w) }
func (c *Cache[K, V]) LoadFrom(r io.Reader) (int, error) { return c.e.LoadFrom(r) }
