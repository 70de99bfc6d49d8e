package shard

import (
	"context"
	"io"
	"iter"
	"time"

	"github.com/hotcache/hotcache/internal/core"
	_ "github.com/hotcache/hotcache/internal/evictq" // see inlineBodies
)

// Cache is a bounded, sharded, in-process cache with lock-free reads.
//
// Get, Peek, Len, All and Stats take no lock and do not allocate; a Get hit
// writes shared memory only the first time it marks an entry visited since
// the eviction hand last passed it (and, with Options.CountHits, a striped
// hit counter). Set, SetTTL, SetIfAbsent, Compute (while its function
// runs) and Delete lock one shard (a write of a new key into a full cache
// whose shard holds nothing then evicts from other shards, locking one at
// a time); Clear and DeleteFunc lock one shard at a time. OnEvict runs
// after every lock is released.
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
	e *core.Engine[K, V] // hashes keys itself (GetKey, HashKey)
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
	var hash func(core.Seed, K) uint64 // nil: the engine's default hash, which its GetKey inlines
	if user := opts.Hash; user != nil {
		hash = func(_ core.Seed, k K) uint64 { return user(k) }
	}
	e, err := core.NewEngine(core.Options[K, V](opts), hash)
	if err != nil {
		return nil, err
	}
	c := &Cache[K, V]{e: e}
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

// hashOf returns the hash of key, as the engine computes it.
func (c *Cache[K, V]) hashOf(key K) uint64 { return c.e.HashKey(key) }

// Get returns the value stored under key and true, or the zero value and
// false if key is absent or expired. It marks the entry as used for
// eviction and counts a hit or a miss. Lock-free, allocation-free.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	// One call: the engine hashes the key itself, its default hashes
	// inlined (core.Engine.GetKey), and this wrapper inlines into the caller.
	return c.e.GetKey(key)
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
// to evict, before it stores (see Options.MaxWeight). An update of a
// present key takes no lock when the value is one word (a pointer, map,
// chan or func, or a pointer-free 4- or 8-byte value such as int64) and
// the cache has no TTL, ExpireAfterAccess, Expiry, ExpireAfter,
// RefreshAhead, Weigher or OnEvict, and the entry no deadline of its own
// and no load pending in its shard: it stores the word atomically, then
// checks that the entry is still in the cache (else it writes again under
// the lock). Compute's f still sees every such update: its write is a
// compare-and-swap that calls f again if an update came in between. A key not equal to
// itself (a floating-point NaN, or an array, struct or interface holding
// one) could never be read, replaced or deleted: Set, SetTTL and
// SetIfAbsent of it store nothing and take no room.
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
// shard only if the key is present or something is pending in its shard (a
// load in flight, a remembered not-found). Once Delete has returned, no
// load that was in flight stores its result: a GetOrLoad that starts
// afterwards returns a value loaded after Delete was called, or one
// written since.
func (c *Cache[K, V]) Delete(key K) bool { return c.e.Delete(c.hashOf(key), key) }

// DeleteFunc removes every live entry for which f returns true and returns
// how many it removed. f runs with no lock held and may call the cache.
// Entries written while DeleteFunc runs may or may not be visited.
//
// DeleteFunc also wins over the loads it finds in flight (GetOrLoad), and
// over remembered not-founds (Options.NegativeTTL). Once it has returned:
//   - a GetOrLoad that starts afterwards does not join a load that was in
//     flight when DeleteFunc reached the key's shard: it starts a new load
//     (for any key with a load in flight then, since the older load's
//     value is not known yet), and the older load's result goes to the
//     callers that were waiting for it but is not stored;
//   - if nobody starts a new load, the older load's result is stored only
//     if f reports false for its key and value (the zero value for a
//     not-found, which is then not remembered if f reports true);
//   - a remembered not-found of a key for which f(key, zero value) reports
//     true is forgotten: the next GetOrLoad of the key loads.
//
// So a function that judges by key alone invalidates everything the cache
// knows of the keys it matches.
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
// are done, and their waiters get whatever the loads then return. After
// Close, GetOrLoad returns ErrClosed where it would start a load (a hit
// is still served). A closed cache otherwise keeps working — every method stays safe and correct, reads still
// never return expired entries — but expired entries are then reclaimed
// only by writes and evictions.
func (c *Cache[K, V]) Close() error { return c.e.Close() }

// ComputeOp is what the function passed to [Cache.Compute] asks for.
type ComputeOp = core.ComputeOp

// The ComputeOps.
const (
	CancelOp     = core.CancelOp     // leave the entry as it is
	WriteOp      = core.WriteOp      // store the returned value
	InvalidateOp = core.InvalidateOp // delete the entry
)

// Compute atomically replaces the entry of key with what f returns, or
// leaves or removes it; f sees the current value (found reports whether
// there is one: an expired entry is not). No other write of key runs
// between f's read and the result's publication: f runs under the key's
// shard lock, so it must be short, and must not call the cache (a call
// that locks the same shard deadlocks, and one that locks another shard
// can deadlock with another Compute). f runs once, except when a WriteOp
// of a new key (or a heavier value) finds the cache full, its shard empty
// and the other shards busy: Compute then unlocks having changed nothing,
// makes room as Set does (so the entries held never exceed Capacity or
// MaxWeight), and calls f again with the entry as it then is.
//
// f's op decides: [CancelOp] leaves everything as it is and returns
// (old, found); [WriteOp] stores the value f returned, as Set would (with
// Options.TTL or the deadline Expiry gives it, the old value reported to
// OnEvict as evict.Replaced) and returns (value, true); [InvalidateOp]
// deletes the entry, as Delete would, and returns the zero value and
// false. A written value that Expiry says has expired, or that is heavier
// than MaxWeight, is not stored and removes the entry, and Compute
// returns the zero value and false. Like Set and Delete, a WriteOp or
// InvalidateOp supersedes a load of key in flight (its result is not
// stored) and forgets a remembered not-found; a CancelOp does neither.
//
// If f panics, or returns another op (which panics), the entry is left
// unchanged, the lock is released, and the panic propagates to the
// caller; so does a panic of Weigher or Expiry, which run under the lock
// too for a WriteOp. A nil f panics.
func (c *Cache[K, V]) Compute(key K, f func(old V, found bool) (V, ComputeOp)) (actual V, ok bool) {
	return c.e.Compute(c.hashOf(key), key, f)
}

// GetOrLoadAll returns the values of keys, calling load once with the keys
// that are neither cached nor being loaded already (joining loads in
// flight for the others, as GetOrLoad does); load's result is stored. Keys
// load returns no value for are absent from the result (and remembered as
// not found under NegativeTTL); keys it returns that were not asked for
// are ignored. Duplicate keys are loaded once.
//
// When every key is cached (a live value or a remembered not-found),
// GetOrLoadAll is a Get per key: lock-free, and it allocates only the
// result map. Otherwise load runs on a goroutine of its own, once, with the
// keys in the order of their first appearance in keys, and each of them is
// a load in flight that GetOrLoad calls of the key join, and that a Set,
// Delete or Clear of the key supersedes, exactly as GetOrLoad's loads.
//
// A load error (other than one wrapping ErrNotFound, which makes every key
// it was asked for not found) stores nothing, goes to every caller waiting
// for those keys, and is returned with the values obtained otherwise; if
// several loads GetOrLoadAll waited for failed, it returns the error of
// the first key, in keys' order. A panic in load gives every waiter a
// [*PanicError]. If ctx ends while GetOrLoadAll waits, it returns the
// values it has and ctx.Err() at once, and the load goes on for the other
// callers waiting for its keys; load's context is cancelled when none is
// left, or by Close. A nil load is an error, whatever keys holds. On a
// closed cache no load starts: GetOrLoadAll returns the cached values with
// [ErrClosed]. A key not equal to itself (a float NaN) is neither loaded
// nor in the result.
//
// GetOrLoadAll does not start refresh-ahead (Options.RefreshAhead): it
// has no per-key loader to refresh with.
func (c *Cache[K, V]) GetOrLoadAll(ctx context.Context, keys []K, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	return c.e.GetOrLoadAll(ctx, keys, load)
}

// Refresh reloads key now, serving the current value to readers until the
// new one is stored; it returns the load's error, and a failed reload
// keeps the old value. key need not be cached: a reload of an absent key
// stores its value as a load does.
//
// The reload is a load of key in flight, as GetOrLoad's: it supersedes a
// load of key already in flight (whose result then goes only to the
// callers waiting for it), GetOrLoad misses of key meanwhile join it, and
// a Set, Delete or Clear of key while it runs wins over it (the reloaded
// value is not stored, and Refresh still returns nil: the load did not
// fail). A load that returns an error wrapping ErrNotFound removes key
// and, with Options.NegativeTTL, remembers it as not found, as a
// refresh-ahead does; a remembered not-found is forgotten when the reload
// starts. A value Expiry says has expired removes key too. A panic in load
// is returned as a [*PanicError].
//
// load runs on a goroutine of its own with a context that carries ctx's
// values. If ctx ends first, Refresh returns ctx.Err() at once and, unless
// GetOrLoad callers joined the reload, abandons it: its context is
// cancelled and its result is not stored. Reloads count in
// Stats.Refreshes and RefreshErrors. A nil load is an error. On a closed
// cache Refresh starts no load and returns [ErrClosed]. A key not equal to
// itself (a float NaN) is loaded but never stored.
func (c *Cache[K, V]) Refresh(ctx context.Context, key K, load func(context.Context, K) (V, error)) error {
	return c.e.Refresh(ctx, c.hashOf(key), key, load)
}

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
// Get here is what puts them there (go1.26), together with the import of
// internal/evictq, whose node methods (the deadline and the visited bit)
// Get calls: shard imports nothing else of it, and without the import
// those two stay calls. Without either, each helper becomes a call, 10–15%
// of a hit, for both the generic and the generated caches:
// TestGetCallsNothing (internal/core) fails without them.
func inlineBodies(e *core.Engine[uint64, uint64]) (uint64, bool) { return e.Get(0, 0) }

var _ = inlineBodies
