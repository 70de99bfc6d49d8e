// Package evictq is the eviction machinery behind the policies that
// package evict names (SIEVE and CLOCK): the queue a cache shard keeps its
// entries in, the node each entry lives in, and the TinyLFU admission
// filter (a frequency sketch and an adaptive window). It is plain data
// structures: no locks, no goroutines, no allocation. The caller (a cache
// shard, internal/core) serializes every method except [Node.Visit] and
// [Node.Visited], which lock-free readers may call at any time. Only the
// engine uses it, so it is internal: a user chooses a policy
// (evict.Policy) and reads eviction reasons (evict.Reason), nothing more.
//
// Files and their rules:
//
//   - node.go: [Node], what lock-free readers touch (deadline, visited
//     bit, weight, hash bits), not generic so that its methods inline.
//   - queue.go: [Queue]: insertion order, the hand, admission, eviction,
//     the invariant check.
//   - admission.go: the admission filter's constants (window sizes, the
//     adaptation's step, the candidate's margin) and [Margin].
//   - order.go: [Queue.EvictionOrder], the order the hand would examine
//     nodes in (Coldest, Hottest, snapshots).
//   - sketch.go: [Sketch], the count-min frequency estimate admission
//     compares candidates with.
//   - window.go: [Window], the admission window's size and the ghosts that
//     adapt it.
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
// frequency-heavy ones, loops and scans a small one. Each ghost that comes
// back moves the window by 1/64 of the capacity (1 to 8 entries). In a
// queue of fewer than [MarginlessCapacity] entries a candidate must be
// estimated more frequent than the victim by more than one use
// ([AdmitMargin]), since its own count includes the miss that brought it
// in; larger queues admit it if it is estimated more frequent at all
// ([Margin]).
//
// # Why not Caffeine's or otter's adaptation
//
// Caffeine's adaptive W-TinyLFU, which otter v2 ports with the same
// constants, sizes its window by hill climbing on the hit rate: every
// sample of ten times the capacity in requests it compares the sample's
// hit rate with the previous one's, keeps moving the window in the same
// direction if it improved and turns back if not, with a step of 6.25% of
// the capacity that decays by 2% a sample and restarts when the hit rate
// moves by 5 points. Its main queue is a segmented LRU, and every read
// feeds the sketch through a read buffer. That needs the hit count, and
// every read's position in an LRU: here a read only sets a visited bit
// (no counter, no buffer, no write once the bit is set), so the queue
// never sees hits and cannot measure a hit rate. What it does see, under
// the shard lock, is every miss and every eviction; ghosts turn those into
// the same question hill climbing asks (would a larger window or a larger
// main queue have hit?), answered per returning key rather than per
// sample, as ARC's ghost lists do (Megiddo and Modha, FAST 2003; S3-FIFO's
// ghost queue answers a narrower one, whether a returning key skips the
// small FIFO). The step scales with the capacity, as Caffeine's does, but is
// bounded: on large queues, where ghosts come back often, unbounded steps
// made the window wander. The frequency a SIEVE victim reaches the sketch
// with is counted by the hand (once a pass), not per read, which is why
// the candidate needs the one-use margin that Caffeine, whose probation
// victim is the least recently used entry rather than the next one due in
// a loop, does without.
//
// Caffeine's main queue also keeps a protected segment (80%) that victims
// never come from, and admits a candidate of frequency 6 or more now and
// then at random (against hash flooding). A protected mark would need a
// bit per node that readers never store: the visited word is stored by
// readers, and every bit of the hash word is the caller's (bits 24 to 30
// tag its table slots). The one-use margin stands in for it where it
// matters, in small queues: measured on the hit-ratio matrix it gains on
// every LIRS trace and on loops, and costs 2 to 5 points on the large
// disk and recommendation traces (queues of 5000 entries and more), which
// is why it stops at [MarginlessCapacity]. Three alternatives were
// measured and dropped: counting every read in the sketch, as Caffeine
// does (here with [Queue.Touch] on each hit; lirs-multi3 at 372 entries
// lost 1.2 points, 40.0% to 38.8%, and lirs-ps did not move); a margin
// that adapts, set by which of two ghost sets a returning key hits (the
// candidates the margin rejected, or the victims it let go), which
// oscillated and lost on every disk trace it was tried on (P12 at 68 154
// entries: 38.9% against 40.0% without a margin and 40.9% with one); and
// more or longer-lived ghosts for small queues (GhostPercent 10 or 25),
// which lost up to 0.5 points on lirs-zigzag and lirs-backf.
package evictq
