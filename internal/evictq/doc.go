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
//   - policy.go: [Policy] and [Reason], the queue's own copies of
//     evict.Policy and evict.Reason (same values), so that evict can import
//     this package for its deprecated names.
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
// in, and by more than two ([SmallMargin]) below [SmallCapacity] entries,
// where the sketch halves its counts within a few hundred uses; larger
// queues admit it if it is estimated more frequent at all ([Margin]).
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
// then at random (against hash flooding). A protected mark needs a bit per
// node that readers never store (the visited word is stored by readers);
// one was measured with a hash bit freed for it (the hash kept to 30 bits,
// the table tag moved to bits 23 to 29): the hand moved a visited node of
// the main queue to a protected segment of 20, 50 or 80% of it, a second
// hand sent its first node not visited since its last pass back to the main
// queue's head, and victims came only from the rest. It did not help where
// Caffeine is ahead (hit-ratio matrix, medians of 5 seeds, the same day's
// runs without it in parentheses; 80%: lirs-multi3 at 372 entries 39.9%
// (40.0 to 40.5), lirs-ps at 616 58.8% (58.8 to 58.9)) and lost on recency
// (lirs-sprite at 353 63.7% (65.6 to 65.8), at 1415 90.9% (91.2 to 91.3));
// 20% and 50% did no better, and without the margin it lost lirs-gli at 505
// (19.6%) as the plain queue does. The one-use margin stands in for it
// where it matters, in small queues: measured on the hit-ratio matrix it
// gains on every LIRS trace and on loops, and costs 2 to 5 points on the
// large disk and recommendation traces (queues of 5000 entries and more),
// which is why it stops at [MarginlessCapacity]. Three alternatives were
// measured and dropped: counting every read in the sketch, as Caffeine does
// (here with [Queue.Touch] on each hit; lirs-multi3 at 372 entries lost 1.2
// points, 40.0% to 38.8%, and lirs-ps did not move); a margin that adapts,
// set by which of two ghost sets a returning key hits (the candidates the
// margin rejected, or the victims it let go), which oscillated and lost on
// every disk trace it was tried on (P12 at 68 154 entries: 38.9% against
// 40.0% without a margin and 40.9% with one); and more or longer-lived
// ghosts for small queues (GhostPercent 10 or 25), which lost up to 0.5
// points on lirs-zigzag and lirs-backf.
//
// Narrower margins were measured against lirs-multi3 at 372 entries, the
// cell the margin costs most (40.0 to 40.5% with it, 41.1% without, otter
// 42.0%), and each gave back more on loops than it gained there: the margin
// only while the window is at its least size (multi3 40.4%; lirs-cs at 70
// 1.8% against 4.6 to 4.7%, lirs-backf at 150 13.5% against 15.1 to 15.7%);
// only against victims the hand has found visited before (multi3 41.3%;
// lirs-gli at 505 19.5% against 33.3 to 33.5%, lirs-loop at 50 1.7% against
// 4.4%, lirs-scan at 100 0.5% against 4.3 to 4.4%); none against a victim
// that has already turned away 16 candidates (multi3 40.8%; lirs-ps at 616
// 57.9%, lirs-scan at 100 2.3%); none against a victim the sketch counts no
// use for (multi3 40.4%; lirs-ps at 616 59.4% against 58.9% and lirs-gli at
// 126 8.5% against 6.6 to 7.9%, but lirs-gli at 505 24.3%, and lirs-multi3
// at 1490 still 54.0% against 56.3% when kept to queues below 200). A
// window that gives a node visited in it another round (CLOCK rather than
// FIFO) gained on OLTP (2000 entries: 46.8% against 46.0; 9344: 62.5%
// against 61.1) and lost on lirs-ps at 154 (38.0% against 39.1 to 39.6) and
// phase-shift at 1000 (34.3% against 35.6), moving no cell that misses the
// goal. With it, a fixed window of 80% comes within 0.3 points of LRU on
// lirs-sprite and lirs-zigzag (replayed through the queues alone), but the
// faster steps (8 to 16 entries) that took the adaptive window there on
// lirs-sprite at 1415 (91.7%) lost lirs-backf (1.9% at 37, 12.6% at 150)
// and lirs-zigzag at 400 (14.7% against 16.6 to 16.9%).
//
// What did move lirs-multi3 at 372 entries was the sketch's size: each of
// its two queues of 186 keys sees about 930 keys per halving period, and
// its table of 128 words (5.5 bytes per key) raises the estimate of most
// keys by collisions; 93, 128, 186, 256 and 512 words gave 38.9, 40.2,
// 40.9, 41.6 and 42.8% (256 words is 11 bytes per key, beyond the 4 more
// issue 20 allows), while counting only in the counters at the minimum
// (conservative update) or with 2 or 3 counters per key instead of 4 did
// not move it. A doorkeeper (a Bloom filter with two bits in one word per
// key, half the table's size, so 2 to 4 bytes per key) that takes each
// key's first use since the last halving took it to 41.5% and the whole
// matrix from otter + 1.83 to + 1.99 points (15 cells 0.3 to 1.8 points up,
// P12 at 68 154 and lirs-backf at 37 0.3 and 0.4 down), but lirs-backf at
// 37 then missed the goal (3.1%; 3.0 to 3.4% without it in four reruns, one
// of which passed) and the loop phase that follows a recency one in
// TestQueueAdmission_FollowsPhases ended at 47.2%, against the LFU's 49.8%
// (48.0% with the two bits in separate words, 44.8% with the visits the
// hand finds counted past the doorkeeper), so it was not kept.
//
// What was kept instead is a floor under the table ([MinSketchWords]: 256
// words, 2 KiB, for every queue sized for 32 keys or more), which gives
// the queues below 512 entries the density 256 words gave lirs-multi3
// (41.7%, passing) and costs nothing per entry in a large cache, and a
// margin of two uses below 128 entries ([SmallMargin]), which took the
// sweeps of lirs-backf at 37 and lirs-zigzag at 100 within 0.35 points of
// LRU (see [SmallCapacity] for both measures).
//
// Tried with the floor and found wanting (queues replayed alone with the
// matrix's sharding, medians of 11 seeds): ghosts for at least 8, 16 or 32
// keys of each kind in small queues (lirs-sprite at 1415, queues of 176,
// 91.3% to 91.6, 91.7 and 91.7, against LRU's 92.2, but lirs-zigzag at 400
// 16.8% to 15.4, 13.3 and 9.0, and lirs-backf at 150 15.5% to 14.8, 13.0 and
// 9.5: in a sweep a key the main queue let go comes back as often as one
// the window did, and more ghosts only shake the window harder); steps of
// 1/32 or 1/16 of the capacity (lirs-sprite at 1415 91.6 and 91.5%,
// lirs-zigzag at 400 15.8 and 15.1%, lirs-multi3 at 372 41.4 and 41.0%);
// admitting a candidate the window saw visited whatever the sketch says
// (lirs-sprite unmoved, lirs-zigzag at 100 3.4%, lirs-backf at 37 2.9%), or
// with no margin (nothing moved by more than 0.1); halving the counts after
// 15 uses per key of the table rather than of the queue (lirs-cpp at 61
// 60.6% against 62.2). Before the floor, no fixed window took lirs-sprite at
// 1415 to LRU's 92.2% (1%: 85.5, 30%: 90.9, 50%: 91.3, 80%: 90.9; plain
// SIEVE 90.8, plain CLOCK 92.2, CLOCK with admission 91.3, one queue of 1415
// entries 91.7): it needs a main queue that keeps recently used entries in
// recency order, which a SIEVE hand does not. lirs-ps at 616 (queues of 154;
// otter 60.0%, OPT 60.3) stayed at 58.9 to 59.1% whatever was changed: no
// margin, a least window of 2 or 8, halving periods of 10 or 20 uses per
// key, one queue of 616, a table of 512 words. Most of its hits are on 187
// keys used 21 times each, in a loop of about 405 requests, and on 943 keys
// used 3 times.
//
// Why (measured later with BenchmarkShardedReplay, 9 hash seeds): the
// cells differ only on the 943 keys used 3 times (hits on them, the
// caches themselves through the benchmarks' adapters, means of 5 runs:
// OPT 824, otter 754, hotcache 692; every other key gets the same hits in
// all three). 935 of them recur exactly 3631 requests apart, a loop of 935 keys
// with about 405 slots beside the 187-key loop and the 24 hot keys. Once
// the cache is full its content hardly changes: 53 of 3661 contests admit
// (one seed), and no sketch halves (each queue of 154, sized for 2310
// counted uses, counts about 1100 misses and few passes, since the hand
// seldom moves). The hand sits on the first unvisited node it met when the
// cache filled, an early key used once (estimate 1 to 5 by collisions),
// against which a loop key at its second use (estimate 2) needs more than
// the one-use margin; so 26 keys used 2 to 36 times in the first 200
// requests and some 30 early keys used once hold about 60 of those slots to
// the end (in one queue of 616: 375 loop keys at the end; OPT's hits imply
// about 410). Likely why otter keeps more: its probation victim is its
// least recently used entry, the early keys first, and it admits 2 against
// 1 (not instrumented). Tried, none above 59.15%: halving every 3, 5 or 8
// uses per key (59.05, 59.04, 59.04; lirs-ps at 154 38.96, 39.64, 39.74);
// conservative update (59.04); margin 0 (58.85) or ties to the candidate
// (52.59), which swap the retained loop keys (the hand's next victims) for
// keys with one use left; the main queue's oldest node as the victim when
// it is not visited and estimated lower than the hand's (59.15, but
// lirs-cpp at 61 60.1% against 62.1, lirs-ps at 154 39.2 against 39.8);
// moving the hand past a victim after it has turned away 1, 8 or 32
// candidates (58.97, 58.91, 58.89; lirs-multi3 at 372 40.7, 40.6, 41.2%
// against 41.9), or only when the margin alone decided (58.98, lirs-multi3
// at 372 39.7); a second hand that walks from the oldest node up to the
// hand, one step per rejected candidate, clearing and counting visited
// bits, and evicts an unvisited node in the candidate's favour (55.99;
// 58.23 when the node must also be estimated lower than the candidate;
// both lost on every LIRS trace: lirs-gli at 505 17.6 and 27.5% against
// 33.7). The diagnosis holds: removing, every 500 requests, the keys that
// are never used again (an oracle) takes one queue of 616 from 59.20 to
// 60.02%; the early keys are what the queue cannot tell from loop keys
// without either age, which a node does not have, or a margin, which the
// loops need.
//
// lirs-sprite at 1415 (8 queues of 177; LRU 92.2%, hotcache 91.3) does not
// depend on the main queue's hand once admission is on: with the adaptive
// window a CLOCK hand gives 91.23% and SIEVE 91.30 (9 seeds); at fixed
// windows of 50 and 80% SIEVE/CLOCK give 91.12/91.22 and 90.75/90.78, and
// with a window that gives its visited nodes another round (window CLOCK)
// 91.56/91.82 and 92.24/92.25. So a hand that switches between SIEVE and
// CLOCK (by ghosts or set dueling) can gain at most 0.1 to 0.3 points; what
// sprite needs is a large window that keeps visited nodes. Of the hits
// exact CLOCK gets and hotcache misses, most are candidates turned away
// with an estimate equal to or one above the victim's, but margin 0 or ties
// to the candidate gave 91.22 and 91.15% (CLOCK hand: 91.28 and 91.50). The
// window grows too slowly: a queue of 177 keeps 4 ghosts of each kind, and
// over the whole trace its window ghosts come back 343 times and main
// ghosts 77 (all 8 queues), so the windows reach only 30 to 60 entries by
// mid-trace. Every faster way tried reaches sprite and loses elsewhere
// (window CLOCK in each): window CLOCK alone 91.25 (OLTP at 2000 47.1%
// against 46.4, but TestQueueAdmission_FollowsPhases fails: recency phase
// 66.8% against LRU's 69.9, window at its largest, and the loop after it
// 36.4% against 49.8); a step that grows with consecutive ghosts of one
// kind (one more step for every 1, 2 or 4 in a row, at most 1/8 of the
// capacity): 91.66, 91.67, 91.57, with lirs-zigzag at 400 15.8, 16.3, 16.8%
// (16.8 without) and lirs-backf at 37 3.82, 4.07, 4.16; growing by twice
// the shrinking step: 91.71, lirs-zigzag at 400 15.8, lirs-backf at 37
// 3.90; 16 or 32 window ghosts, main ghosts as before: 91.98 and 92.02, but
// lirs-cpp at 61 37.8 and 33.3% (62.1), OLTP at 2000 45.6 and 45.3; 16
// ghosts of each kind: 91.81, lirs-zigzag at 400 13.3, lirs-backf at 37
// 3.16, lirs-cpp at 61 44.6; steps of 1/32 or 1/16: 91.69 and 91.68,
// lirs-zigzag at 400 15.8 and 14.0. On lirs-zigzag at 400 a fixed window of
// 80% with window CLOCK gives 18.8% (16.8 adaptive), but windows between
// are worse than small ones, and its ghosts of both kinds come back about
// equally (154 and 192), so ghosts cannot steer it there.
//
// In queues this small the adaptation hardly moves in either direction:
// starting the window at 50 or 80% rather than 1% gives lirs-sprite at
// 1415 91.94 and 92.24% with window CLOCK (90.91 and 90.79 without), but
// the loops never bring it back down (lirs-gli at 505 17.6 and 7.5%
// against 33.7, lirs-ps at 616 53.5 and 50.6, lirs-multi3 at 372 35.7 and
// 32.4, lirs-cpp at 61 55.6 and 42.3): their ghosts come back 0 to 5 times
// in the whole trace. Each cell's result is mostly where the window
// starts, and a signal fast enough for sprite (more ghosts, larger steps,
// above) also moves it on the sweeps and lirs-cpp, where it is wrong.
package evictq
