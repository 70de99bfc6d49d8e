// Package model is hotcache's reference cache: a mutex, a map, and an exact
// SIEVE or CLOCK queue per shard kept in a plain slice (with the admission
// filter, a window slice, and the same frequency sketch and adaptive window
// sizer, evict.Sketch and evict.Window, as package evict's Queue, fed the
// same calls). It is slow and obviously correct, and it follows the same contract as shard.Cache down to
// which entry each eviction picks, so tests and fuzzing can compare the two
// operation by operation.
//
// The model shards keys like the real cache (the top bits of the hash) and
// splits capacity the same way, so with the same Hash and Shards the two
// must agree on every result.
package model
