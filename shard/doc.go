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
// random seed of the cache's own ([Seed]), so no key set can be computed
// in advance to collide. The high bits of a key's hash pick the shard;
// each shard has a
// mutex for writers, an eviction queue (package evict), and an index that
// readers walk with atomic loads only: buckets of six slots with a metadata
// word of seven-bit hash tags, so a lookup touches the nodes whose tag
// matches and compares their keys in full. Nodes are published through
// atomic pointers; a Set of a present key stores a pointer or a pointer-free
// word-sized value in place with an atomic store, and publishes a new node
// in the old one's place otherwise. Readers never see a plain write, which
// is what `go test -race` checks. A Get hit writes nothing shared but the
// entry's visited bit, once per pass of the eviction hand (and a striped
// counter with Options.CountHits).
//
// Expiry deadlines are absolute nanoseconds compared with the clock (package
// clock) on every read that meets an expiring entry. The default clock is
// coarse: one atomic load per read.
//
// [Engine] is the same machinery with the hash passed in, for the caches that
// cachegen generates; they hash with the helpers [HashString], [HashUint64]
// and the like, under the engine's seed.
package shard
