package shard

import (
	"log/slog"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/core"
)

// Options configures a cache. The zero value of every field but Capacity
// and MaxWeight means "use the default"; one of those two is required.
type Options[K comparable, V any] struct {
	// Capacity is the most entries the cache holds, >= 0; 0 means no bound
	// on the number of entries, and then MaxWeight is required. Memory
	// follows the entries actually stored, not Capacity.
	//
	// Capacity bounds the cache as a whole, whatever the hash: no entry is
	// evicted for capacity before the cache holds Capacity entries, and
	// then each Set of a new key evicts one. A full cache evicts from the
	// shard being written if it holds any entry, else from another shard
	// (see Shards).
	Capacity int

	// Weigher and MaxWeight bound the cache by weight (bytes, say) rather
	// than, or as well as, by the number of entries: with MaxWeight > 0,
	// the total weight of the stored entries, each weighed by
	// Weigher(key, value) when it is written, stays at most MaxWeight, and
	// a Set evicts as many entries as it takes to make room. The bound
	// holds at every instant, writes in flight included: a write that
	// finds no room evicts (from other shards if its own is empty) before
	// it stores. The one exception: when the writes in flight together
	// need more than MaxWeight and the cache holds nothing left to evict,
	// they store anyway and then evict each other, so the total is then
	// at most the weight of those writes. (Stats.Weight adds the shards'
	// weights one by one, so while entries move it may read an entry
	// evicted from one shard and its replacement in another.) A value heavier than MaxWeight (or than
	// evict.MaxWeight, 2^31 - 1) is not stored, and its write removes the
	// key's older value all the same. With Capacity as well, both bounds
	// hold. Each needs the other. Weigher runs on the writing goroutine
	// with no lock held; it must be safe for concurrent use and return the
	// same weight for the same key and value. An entry of weight 0 takes
	// no room (with Capacity 0, such entries are not bounded at all).
	// Stats.Weight reports the total. A write that changes an entry's weight replaces its node
	// (one allocation) instead of updating the value in place.
	Weigher   func(key K, value V) uint32
	MaxWeight uint64

	// Shards is the number of independently locked shards: 0 chooses from
	// GOMAXPROCS and Capacity (or MaxWeight); otherwise a power of two
	// between 1 and 256, and at most Capacity if Capacity is set. Each
	// shard sizes its admission filter for an equal share of Capacity;
	// the bounds themselves hold for the whole cache.
	Shards int

	// TTL is how long an entry written by Set lives: 0 means no expiry.
	// Negative is an error. SetTTL overrides it per call.
	TTL time.Duration

	// Clock is the time source for deadlines. nil means the shared coarse
	// clock, clock.Default(), or, for a cache built inside a
	// testing/synctest bubble, a clock that follows the bubble's time.
	// Tests pass a *clock.Manual, or leave Clock nil and run in a bubble. A
	// clock with Acquire and Release methods (a *clock.Coarse) is acquired by
	// New and released by Close.
	Clock clock.Clock

	// Policy is the eviction algorithm: evict.SIEVE (the zero value) or
	// evict.CLOCK.
	Policy evict.Policy

	// NoAdmission turns off the TinyLFU admission filter that every cache
	// has by default. With admission, new entries enter a FIFO window
	// (1% of each shard, at least four entries, at first), and an entry
	// leaving the window displaces the policy's victim only if it has been
	// used more often. The window adapts, between four entries and 80% of
	// the shard, from the keys that come back soon after they were evicted:
	// recency-heavy workloads grow it (the cache then behaves much like
	// plain SIEVE), frequency-heavy ones shrink it. Admission makes the
	// cache resist scans and loops larger than the cache (a controller's
	// periodic full resync), where plain SIEVE, CLOCK and LRU keep
	// nothing, and gains up to 35 points on frequency-heavy disk traces
	// (see benchmarks/results); it costs about 4 bytes per entry once a
	// shard is full, and some write throughput. Reads stay lock-free:
	// frequencies are gathered from writes and from the visited bits the
	// eviction hand finds. A Set is never lost to admission: the new entry
	// is in the window when Set returns.
	//
	// With NoAdmission, a cache is plain SIEVE (or CLOCK): each Set
	// evicts the policy's victim.
	NoAdmission bool

	// CountHits makes Get, GetOrLoad and their relatives count hits and
	// misses for Stats (Hits, Misses, HitRatio); without it those stay 0.
	// Counting is an atomic add to a striped counter on every read: a
	// locked instruction that also keeps the processor from overlapping
	// one Get's cache misses with the next one's, so it is off by default
	// (as in otter). The write-side counters of Stats are always kept.
	CountHits bool

	// Hash hashes keys. nil chooses a default by key type, seeded at
	// random for each cache: a mixer of the key XOR the seed for
	// integers, hash/maphash for strings, byte arrays and other comparable
	// types. Keys are always compared in full, so a poor Hash costs speed,
	// never correctness (nor capacity: the bounds are the whole cache's).
	// Hash must be deterministic for the life of the cache and safe for
	// concurrent use.
	//
	// A custom Hash is called as it is, not seeded: if clients choose the
	// keys, protecting the cache from hash flooding (keys computed to
	// collide, making every operation walk one long chain) is its job. Build
	// it on hash/maphash with a seed from maphash.MakeSeed (for example
	// maphash.Comparable(seed, k)), or leave Hash nil. The caches that
	// cachegen generates hash with their own generated, seeded hash: their
	// constructors return an error if Hash is set.
	Hash func(K) uint64

	// OnEvict, if set, is called for every entry that leaves the cache,
	// with the reason, after every lock is released. It may call the cache.
	// It runs on the goroutine whose call removed the entry: the writer
	// whose Set replaced or evicted it, the caller of Delete, DeleteFunc,
	// Clear or Sweep. Expired entries that the background sweep reclaims
	// are passed to it on this cache's own maintenance goroutine (a timer's,
	// about once a second while the cache is open; with a *clock.Manual,
	// the goroutine calling Advance or Set), never on the clock's
	// goroutine: a slow OnEvict delays this cache's next sweep, and no other
	// cache's expiry or clock.
	OnEvict func(key K, value V, reason evict.Reason)

	// Expiry, if set, gives each value its own deadline, e.g. the expiry of
	// the token it holds: a value written by Set, SetIfAbsent or a load
	// lives until Expiry(key, value) - Skew (see ExpiryFraction), and at
	// most MaxTTL (if set) after the write. A zero time means "use TTL"
	// (still capped by MaxTTL). A value whose deadline has already passed
	// is not stored, and its write removes the key's older value all the
	// same. SetTTL and the engine's SetDeadline ignore Expiry. Expiry runs
	// on the writing goroutine with no lock held; it must be safe for
	// concurrent use. Expiry and ExpireAfter exclude each other.
	Expiry func(key K, value V) time.Time

	// ExpiryFraction, if in (0, 1), keeps a value written under Expiry for
	// only that fraction of the lifetime it has left: its deadline is
	// now + ExpiryFraction × (Expiry(key, value) − now), then Skew is taken
	// off and MaxTTL caps it as usual. Flux and the kubelet keep a
	// registry token for 80% of its lifetime: 0.8. 0 and 1 mean the whole
	// lifetime. Requires Expiry.
	ExpiryFraction float64

	// ExpireAfter, if set, gives each value written by Set, SetIfAbsent or
	// a load its own lifetime, counted from the write (otter's
	// expire-after-create): the value lives ExpireAfter(key, value), e.g. a
	// per-registry TTL. 0 means "use TTL"; a negative duration means "do
	// not store", and the write removes the key's older value all the
	// same. MaxTTL, if set, caps it. SetTTL and the engine's SetDeadline
	// ignore it. It runs on the writing goroutine with no lock held and
	// must be safe for concurrent use. ExpireAfter and Expiry exclude each
	// other: Expiry is for values that carry an absolute expiry.
	ExpireAfter func(key K, value V) time.Duration

	// MaxTTL caps the lifetime of values written under Expiry or
	// ExpireAfter: 0 means no cap. Requires one of them (without them, TTL
	// alone is the lifetime).
	MaxTTL time.Duration

	// Skew is taken off every non-zero time Expiry returns, so that a
	// value leaves the cache that long before its own expiry (clock skew
	// between hosts, time spent in flight). Requires Expiry; >= 0.
	Skew time.Duration

	// NegativeTTL is how long GetOrLoad remembers that its loader reported
	// a key absent (an error wrapping ErrNotFound): meanwhile GetOrLoad
	// returns that error without loading. 0 means not remembered. A write
	// or Delete of the key, or Clear, forgets it at once. Remembered keys
	// are not entries: Get, Peek, Len and All do not see them, and each
	// shard remembers at most its share of Capacity (without Capacity, of
	// MaxWeight, up to 2^20 keys in all).
	NegativeTTL time.Duration

	// RefreshAhead, if in (0, 1), makes GetOrLoad reload an entry in the
	// background once it has lived that fraction of its lifetime (its time
	// from write to deadline): the hit returns the current value at once,
	// and one reload of the key starts (joined by any GetOrLoad of the key
	// that misses meanwhile). A failed reload keeps the current value until
	// its deadline and is counted in Stats.RefreshErrors; it is tried once
	// per stored value. A reload that reports the key not found (an error
	// wrapping ErrNotFound) is not a failure: the source says the key is
	// gone, so the current value is removed (OnEvict sees evict.Replaced),
	// the absence is remembered for NegativeTTL, and it is counted in
	// Stats.NotFound. A refresh's context is cancelled only by Close (no
	// caller waits for it). 0 means no refresh. Requires TTL or Expiry. Each
	// entry then carries 16 more bytes (when to refresh, and a flag), and
	// a write to a present key allocates a new entry rather than update
	// the value in place.
	RefreshAhead float64

	// OnLoad, if set, is called once for every load GetOrLoad runs (and
	// every refresh-ahead reload), after the load's waiters have been
	// released, with the key, how long the loader ran (by the time
	// package's monotonic clock, which a testing/synctest bubble controls)
	// and the error it returned (nil, one wrapping ErrNotFound, a
	// *PanicError, ...). It is how load latency reaches a histogram (see
	// package metrics' LoadHistogram). It runs on the loading goroutine
	// with no lock held, must be safe for concurrent use, and must not
	// panic. nil costs nothing: not even a time reading per load.
	OnLoad func(key K, d time.Duration, err error)

	// Logger, if set, receives a record of each failure of the cache's
	// background work, which no caller sees otherwise: a refresh-ahead
	// reload that failed (Warn, with the key and the error). Records carry
	// the key: leave Logger nil if keys are secrets. nil means no logging
	// (pass slog.Default() for the process's logger); the same rule holds
	// for writeback.Options.Logger and tier.Options.Logger.
	Logger *slog.Logger

	// ExpireAfterAccess, if > 0, expires an entry that is neither read nor
	// written for that long: a sliding lifetime, as Caffeine's
	// expireAfterAccess. Get and GetOrLoad hits count as reads (Peek,
	// GetWithExpiry, All, Hottest and Coldest do not); Set, SetTTL,
	// SetIfAbsent that stores, a load's result and Load count as writes.
	// With TTL, a per-call TTL, Expiry or ExpireAfter, the earlier of the
	// two deadlines wins: the sliding one never extends an entry past the
	// deadline it was written with.
	//
	// Precision: to keep reads free of a shared write per hit, a read
	// extends the deadline only once less than 7/8 of ExpireAfterAccess is
	// left, and then to a whole ExpireAfterAccess from now (one
	// compare-and-swap on the entry; at most once per clock tick, since
	// the coarse clock reads the same within a tick). An idle entry
	// therefore expires between 7/8 of ExpireAfterAccess and
	// ExpireAfterAccess after its last use (plus up to one clock
	// resolution, as every deadline), and an entry read at least once per
	// 7/8 of ExpireAfterAccess never expires by it. GetWithExpiry reports
	// the current deadline. Each entry carries 8 more bytes (its written
	// deadline). 0 means no sliding expiry; negative is an error; it
	// excludes RefreshAhead (whose reloads are timed from a fixed
	// deadline).
	ExpireAfterAccess time.Duration
}

// ErrNotFound is returned, or wrapped, by loaders to say that a key has no
// value; see the loading methods.
var ErrNotFound = core.ErrNotFound
