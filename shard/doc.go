// Package shard is hotcache's cache: a bounded, sharded map whose reads take
// no lock, with SIEVE or CLOCK eviction behind an adaptive TinyLFU admission
// filter (on by default; see Options.NoAdmission), and per-entry expiry on a
// coarse clock.
//
// A [Cache] is made of a power-of-two number of shards. Its bounds
// (Options.Capacity, Options.MaxWeight) hold for the whole cache, whatever
// the hash: a cache-wide count and weight are reserved atomically while
// there is room, and a full cache evicts in the shard being written (or,
// if that one is empty, in another, one lock at a time). Keys hash under a
// random seed of the cache's own, so no key set can be computed in advance
// to collide. The high bits of a key's hash pick the shard; each shard has
// a mutex for writers, an eviction queue (internal/evictq), and an index that
// readers walk with atomic loads only: buckets of six slots with a metadata
// word of seven-bit hash tags, so a lookup touches the nodes whose tag
// matches and compares their keys in full. Nodes are published through
// atomic pointers; a Set of a present key stores a pointer or a
// pointer-free word-sized value in place with an atomic store, and
// publishes a new node in the old one's place otherwise. Readers never see
// a plain write, which is what `go test -race` checks. A Get hit writes
// nothing shared but the entry's visited bit, once per pass of the eviction
// hand (and a striped counter with Options.CountHits).
//
// Expiry deadlines are absolute nanoseconds compared with the clock (package
// clock) on every read that meets an expiring entry. The default clock is
// coarse: one atomic load per read.
//
// # Linearizability
//
// Per key, these operations are linearizable: each appears to take effect
// at one instant between its call and its return, in an order that every
// goroutine agrees on: Get (and Peek, GetWithExpiry), Set, SetTTL,
// SetIfAbsent, Compute, Delete, DeleteFunc, Clear, and GetOrLoad,
// GetOrLoadAll and Refresh with respect to invalidation. A Set, SetTTL,
// Compute (WriteOp or InvalidateOp), Delete, DeleteFunc or Clear that has
// returned wins over every load or refresh in flight: no GetOrLoad or Get that starts
// after it returned sees a value that a load read before it was called.
// (DeleteFunc wins for the keys its function matches, as its doc says;
// Clear and DeleteFunc act on one key at a time, so they are linearizable
// per key, not across keys.) A cache may miss at any time (eviction,
// admission, expiry): a miss is always allowed, a value older than the
// last completed write or invalidation never is.
//
// Len, All and Stats are not linearizable: they add up or walk the shards
// one at a time, with no lock, while writes go on, and may see some of
// those writes and not others.
//
// The proof is the checker of package internal/lincheck: concurrent
// clients record histories of Get, Set, Compute, Delete, DeleteFunc,
// Clear, GetOrLoad, GetOrLoadAll and Refresh over a versioned source of truth that writers update before
// they invalidate (cache-aside), and porcupine checks each history against
// a per-key model, for Cache, a generated cache and writeback.Cache. CI
// runs it with the race windows widened on purpose (build tag
// hotcache_widen), and requires it to report a violation when the race it
// was written for is put back (build tag hotcache_reopen17). It proves the
// histories it checked, not all histories; see that package for the soak.
//
// The caches that cachegen generates, specialized to one key type, run on
// the same machinery through package shard/shardimpl, which is for
// generated code only.
//
// Options is the one options type of hotcache: writeback.CacheOptions and
// tier.Options wrap it whole as their L1 field, and package objects takes
// it as is, so a field means the same and has the same default
// everywhere. Options.BindFlags exposes the common ones as flags;
// Options.OnLoad reports each load's duration (for a histogram); and
// Options.Logger records failures of background work (nil: no logging).
// ErrClosed, ErrNotFound and PanicError are the errors of every package:
// Close is idempotent, and after it a method that can fail returns
// ErrClosed (here, GetOrLoad where it would start a load); Get, which
// cannot fail, returns (V, bool). The table of shared names is
// docs/vocabulary.md in the repository.
package shard
