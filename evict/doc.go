// Package evict holds hotcache's eviction policies, SIEVE and CLOCK, as plain
// data structures: no locks, no goroutines, no allocation. The caller (a cache
// shard) serializes every method except [Node.Visit] and [Node.Visited], which
// lock-free readers may call at any time.
//
// Both policies keep entries in one queue ordered by insertion, newest at the
// head, and mark an entry visited when it is read. They differ in what the
// eviction hand does with a visited entry:
//
//   - SIEVE (Zhang et al., "SIEVE is Simpler than LRU", NSDI 2024,
//     https://cachemon.github.io/SIEVE-website/) leaves it in place, clears
//     the bit, and moves the hand one step towards the head; the hand keeps
//     its position between evictions.
//   - CLOCK (FIFO with second chance) clears the bit and moves the entry to
//     the head; the hand is always at the tail.
//
// Either way, an entry whose deadline has passed when the hand meets it is
// evicted at once, whatever its visited bit.
package evict
