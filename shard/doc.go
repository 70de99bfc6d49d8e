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
// a mutex for writers, an eviction queue (package evict), and an index that
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
