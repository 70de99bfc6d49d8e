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
//
// A [Queue] can put a TinyLFU admission filter in front of its policy
// ([Queue.EnableAdmission]; package shard does by default): new entries
// enter a FIFO window, and the window's oldest entry replaces the policy's
// victim only if a count-min [Sketch] estimates it more frequent. The
// sketch is fed from writes and from the visited bits the hand finds, never
// from reads. The window's size adapts ([Window]): ghosts of recently
// evicted keys tell, when a key comes back, whether a larger window or a
// larger main queue would have kept it, so recency-heavy workloads get a
// large window (the queue then behaves much like its plain policy) and
// frequency-heavy ones, loops and scans a small one.
package evict
