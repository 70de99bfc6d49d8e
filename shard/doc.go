// Package shard is hotcache's cache: a bounded, sharded map whose reads take
// no lock, with SIEVE or CLOCK eviction behind an adaptive TinyLFU admission
// filter (on by default; see Options.NoAdmission), and per-entry expiry on a
// coarse clock.
//
// A [Cache] splits its capacity exactly among a power-of-two number of
// shards. The high bits of a key's hash pick the shard; each shard has a
// mutex for writers, an eviction queue (package evict), and an index that
// readers walk with atomic loads only: buckets of six slots with a metadata
// word of seven-bit hash tags, so a lookup touches the nodes whose tag
// matches and compares their keys in full. Entries are immutable nodes
// published through atomic pointers; a Set of a present key publishes a new
// node in the old one's place. Nothing is ever written in place under a
// reader's feet, which is what `go test -race` checks.
//
// Expiry deadlines are absolute nanoseconds compared with the clock (package
// clock) on every read that meets an expiring entry. The default clock is
// coarse: one atomic load per read.
//
// [Engine] is the same machinery with the hash passed in, for the caches that
// cachegen generates.
package shard
