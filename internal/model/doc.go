// Package model is hotcache's reference cache: a mutex, a map, and an exact
// SIEVE or CLOCK queue per shard kept in a plain slice (with the admission
// filter, a window slice, and the same frequency sketch and adaptive window
// sizer, evictq.Sketch and evictq.Window, as package evictq's Queue, fed the
// same calls). It is slow and obviously correct, and it follows the same contract as shard.Cache down to
// which entry each eviction picks, so tests and fuzzing can compare the two
// operation by operation.
//
// The model shards keys like the real cache (the top bits of the hash),
// bounds the whole cache by Capacity and MaxWeight as it does (a full cache
// evicts in the written key's shard, or, if that shard is empty, from the
// others round robin), and sizes each shard's admission filter for the same
// share, so with the same Hash and Shards the two must agree on every
// result of a single goroutine's operations.
//
// Loading is modelled as a single goroutine sees it: GetOrLoadAll and
// Refresh call their load function inline and store its result as the
// cache's loads do, and keys a load reports not found are remembered for
// NegativeTTL (without the cache's bound on how many it remembers: tests
// keep few of them). Compute runs its function under the model's mutex.
package model
