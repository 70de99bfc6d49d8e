package shard

import (
	"io"
	"iter"
	"time"
	"unsafe"

	"github.com/hotcache/hotcache/internal/core"
)

// Cache is a bounded, sharded, in-process cache with lock-free reads.
//
// Get, Peek, Len, All and Stats take no lock and do not allocate; a Get hit
// writes shared memory only the first time it marks an entry visited since
// the eviction hand last passed it (and, with Options.CountHits, a striped
// hit counter). Set, SetTTL, SetIfAbsent and Delete lock one shard (a
// write of a new key into a full cache whose shard holds nothing then
// evicts from other shards, locking one at a time); Clear and DeleteFunc
// lock one shard at a time. OnEvict runs after every lock is released.
//
// Memory model: a Set, SetTTL or SetIfAbsent that stored a value happens
// before every Get that returns that value, and every Get that starts after
// the Set returned sees it or a later write of the same key (read-your-writes
// and no lost updates, also across goroutines).
//
// Expiry is checked on every read against the cache's clock: an entry is a
// miss from its deadline on (with the default coarse clock, at most one
// clock resolution plus the clock goroutine's scheduling delay after it; see
// clock.Coarse.Now). Expired entries are reclaimed by the eviction hand, by
// writes to the same key, and by a bounded background sweep that each cache
// runs on its own (see Options.OnEvict).
//
// A Cache must not be copied after first use. Build one with [New] or
// [Must]; the zero value is not usable.
type Cache[K comparable, V any] struct {
	e    *core.Engine[K, V]
	seed core.Seed // e's seed, here so that hashing a key needs no load through e
	kind core.KeyKind
	hash func(core.Seed, K) uint64 // the default hash (KindOther); the commonest key types' are called directly
	user func(K) uint64            // Options.Hash (KindUser)
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
	c := &Cache[K, V]{hash: core.DefaultHash[K](), kind: core.KindOf[K]()}
	if user := opts.Hash; user != nil {
		c.hash, c.kind, c.user = func(_ core.Seed, k K) uint64 { return user(k) }, core.KindUser, user
	}
	e, err := core.NewEngine(core.Options[K, V](opts), c.hash)
	if err != nil {
		return nil, err
	}
	c.e, c.seed = e, e.Seed()
	core.CloseWhenUnreachable(c, e)
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
	case core.KindWord:
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		return core.HashUint64(c.seed, *(*uint64)(unsafe.Pointer(&key)))
	case core.KindString:
		// Safety: KindString means K's underlying type is string.
		return core.HashString(c.seed, *(*string)(unsafe.Pointer(&key)))
	case core.KindUser:
		return c.user(key)
	}
	return c.hash(c.seed, key)
}

// Get returns the value stored under key and true, or the zero value and
// false if key is absent or expired. It marks the entry as used for
// eviction and counts a hit or a miss. Lock-free, allocation-free.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	if c.kind == core.KindWord {
		// hashOf's integer case, written out: hashOf is too big to inline,
		// and the call cost ~10% of a Get hit of a uint64 key.
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		return c.e.Get(core.HashUint64(c.seed, *(*uint64)(unsafe.Pointer(&key))), key)
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
func (c *Cache[K, V]) Stats() Stats { return Stats(c.e.Stats()) }

// Close stops the cache's background work and releases its clock. It is
// idempotent and returns nil. It also cancels the context of every load in
// flight (GetOrLoad's and refreshes): when Close returns, their contexts
// are done, and their waiters get whatever the loads then return; loads
// started after Close run with contexts of their own as usual. A closed
// cache keeps working — every method stays safe and correct, reads still
// never return expired entries — but expired entries are then reclaimed
// only by writes and evictions.
func (c *Cache[K, V]) Close() error { return c.e.Close() }

// SetCapacity changes Options.Capacity of a running cache to n (a
// configuration reload). Growing takes effect at once; shrinking evicts,
// by the policy and with OnEvict seeing evict.Capacity (evict.Expired for
// an expired entry), until the cache holds at most n entries, before
// SetCapacity returns; writes go on meanwhile, and Len() <= n holds from
// then on whenever no write is in flight. Each shard's admission filter is
// resized for its share of n (its adapted window starts over). n <= 0, or
// a cache built without Capacity (bounded by MaxWeight alone), is an
// error, and changes nothing. Locks every shard briefly, one after
// another, to store the bound, then one at a time to evict.
func (c *Cache[K, V]) SetCapacity(n int) error { return c.e.SetCapacity(n) }

// SetMaxWeight changes Options.MaxWeight of a running cache to w, as
// SetCapacity changes Capacity: shrinking evicts until the entries weigh
// at most w before it returns. A cache without a Weigher, or w == 0, is an
// error, and changes nothing.
func (c *Cache[K, V]) SetMaxWeight(w uint64) error { return c.e.SetMaxWeight(w) }

// Hottest returns an iterator over the live entries in the order the
// eviction policy would keep them, the last it would evict first: the
// reverse of Coldest. Best effort under concurrent writes; each key at
// most once.
func (c *Cache[K, V]) Hottest() iter.Seq2[K, V] { return c.e.Hottest() }

// Coldest returns an iterator over the live entries in the order the
// eviction policy would evict them. In each shard, entries not used since
// the SIEVE hand last passed them come first, in the order the hand
// reaches them (with admission, those in the admission window first,
// oldest first), then the used ones in the same order; shards are
// interleaved entry by entry. Expired entries, which the policy evicts
// first of all, are never yielded. It is a snapshot per shard, taken
// under the shard's lock (copying 8 bytes per entry, pooled), so under
// concurrent writes it is best effort: an entry written since may be
// missed, one removed since is skipped, no key is yielded twice. It does
// not mark entries used; the loop body may call the cache, and breaking
// out of the loop stops the walk.
func (c *Cache[K, V]) Coldest() iter.Seq2[K, V] { return c.e.Coldest() }

// SaveTo writes a snapshot of the cache to w; see [Save].
func (c *Cache[K, V]) SaveTo(w io.Writer) error { return c.e.SaveTo(w) }

// LoadFrom stores the entries of a snapshot read from r; see [Load].
func (c *Cache[K, V]) LoadFrom(r io.Reader) (int, error) { return c.e.LoadFrom(r) }

// inlineBodies is never called. Engine.Get (package internal/core) is
// compiled where it is instantiated: in the user's package, which imports
// shard but not core, and in generated code, which imports shard and
// shardimpl. There the compiler inlines Get's helpers (the index walk, the
// node's deadline and visited bit, their atomic loads) only if the export
// data of shard carries their bodies, and a non-generic instantiation of
// Get here is what puts them there (go1.26). Without it each helper becomes
// a call, 10–15% of a hit, for both the generic and the generated caches:
// TestGetCallsNothing (internal/core) fails without it.
func inlineBodies(e *core.Engine[uint64, uint64]) (uint64, bool) { return e.Get(0, 0) }

var _ = inlineBodies
