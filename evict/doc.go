// Package evict names what a user of hotcache chooses and reads about
// eviction: the [Policy] a cache evicts by (Options.Policy), the [Reason] an
// entry left a cache for (OnEvict, Stats.Evictions), and the largest weight
// an entry can carry ([MaxWeight]).
//
// Both policies keep a shard's entries in one queue ordered by insertion,
// newest at the head, and mark an entry visited when it is read. They
// differ in what the eviction hand does with a visited entry:
//
//   - [SIEVE] (Zhang et al., "SIEVE is Simpler than LRU", NSDI 2024,
//     https://cachemon.github.io/SIEVE-website/) leaves it in place, clears
//     the bit, and moves the hand one step towards the head; the hand keeps
//     its position between evictions.
//   - [CLOCK] (FIFO with second chance) clears the bit and moves the entry to
//     the head; the hand is always at the tail.
//
// Either way, an entry whose deadline has passed when the hand meets it is
// evicted at once, whatever its visited bit.
//
// By default (unless Options.NoAdmission) a TinyLFU admission filter stands
// in front of the policy: new entries enter a small window, and the
// window's oldest entry replaces the policy's victim only if a frequency
// sketch estimates it more frequent; the window's size adapts to the
// workload. The machinery (the queue, its nodes, the sketch and the
// window, and why it adapts as it does rather than as Caffeine does) lives
// in the engine's internal package internal/evictq, whose documentation
// tells the whole algorithm.
package evict
