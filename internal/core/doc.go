// Package core is the cache engine shared by shard.Cache and the caches
// that cachegen generates (through shard/shardimpl): the shards, their
// lock-free indexes, eviction, expiry, loading and statistics. Its methods
// take the key's hash, computed by the caller.
//
// # Parts
//
// Each file owns one part of the engine's state and the rule that goes
// with it:
//
//   - engine.go: Engine and shard, NewEngine; Len, Stats, Close.
//   - lock.go: spinMutex, the shard lock: a sync.Mutex whose Lock retries
//     TryLock for a few microseconds before it blocks.
//   - options.go, stats.go: Options and Stats (shard's, converted), the
//     striped read counters.
//   - table.go: the index: buckets of tagged slots, read lock-free, written
//     under the shard lock; a table is replaced, never resized in place.
//     Overflow buckets come from the table's free lists and go back when a
//     chain's end empties; a bucket that moves keeps its chain in meta, and
//     walks that collect every node check it (eachInChain, appendChain).
//   - nodes.go: how an engine allocates its nodes (plain, with a hard
//     deadline, with a refresh time), fixed per engine; the only way back
//     from a node to its larger struct is checked against that kind.
//   - value.go: how a value is read and written in a node (immutable, or
//     one word updated atomically in place).
//   - hash.go: the seeded hashes, per key kind; strhash.go: the string
//     hash (wyhash-style, its constants drawn per cache); load_fast.go,
//     load_slow.go: the word loads it reads keys with, per platform.
//   - read.go: Get, GetKey (Get that hashes the key itself: shard.Cache.Get
//     is one call of it), Peek, GetWithDeadline: lock-free, no allocation,
//     no shared write (the visited bit is set only if clear).
//   - write.go: the write path. One write record (write) carries every
//     write of an entry, Set, SetTTL, SetDeadline, SetIfAbsent, LoadFrom,
//     a load's completion and Compute's, through put (and computeWrite):
//     claim the key, replace in place or insert with room taken.
//   - update.go: updates of a present key that skip the lock (one-word
//     values, nothing pending, no deadline).
//   - room.go: the engine's side of the whole-cache bound (package budget
//     keeps the bound and its usage): evict in the writing shard for room,
//     then in other shards one lock at a time (settle).
//   - detach.go: how an entry leaves a shard (detach, unlink) and the
//     victims OnEvict is told of; Delete, DeleteFunc, Clear.
//   - sweep.go: the incremental sweep of expired entries.
//   - deadline.go: deadlines from TTL, Expiry, ExpireAfter, MaxTTL, Skew.
//   - access.go: sliding expiry (ExpireAfterAccess).
//   - flight.go: single-flight loading: one load per key, its waiters, and
//     claim, the rule by which writes and loads of a key supersede each
//     other (issue 17's invalidation).
//   - load.go: GetOrLoad, GetOrLoadCached, PanicError, the load options.
//   - negative.go: remembered not-founds (NegativeTTL), in a table of their
//     own that the read path never sees.
//   - refresh.go: Refresh and refresh-ahead.
//   - bulk.go: GetOrLoadAll.
//   - compute.go: Compute.
//   - resize.go: SetCapacity, SetMaxWeight.
//   - iterate.go: All, Coldest, Hottest: snapshots per shard, each key at
//     most once.
//   - snapshot.go: SaveTo, LoadFrom.
//   - lifetime.go: the clock and the maintenance, and their release on
//     Close or when the owner is collected.
//   - check.go: the invariant check tests call.
//   - widen*.go, reopen17*.go: build-tag switches of the linearizability
//     checker (hotcache_widen widens race windows; hotcache_reopen17 and
//     hotcache_reopen17_item2 reopen the fixed races on purpose).
//
// # Invalidation
//
// A load's result is in the index before the load stops counting as
// pending (claim keeps it registered until the write; unregister after it);
// Delete reads pending before the index; DeleteFunc supersedes the loads in
// flight that its function matches; a write that lacks room evicts (settles)
// before it publishes, so the entries held never exceed the bounds.
//
// # Lock order
//
// Each shard has one mutex (shard.mu), which guards its queue, its table's
// writes, its load state and its sweep position. An operation holds at
// most one shard lock at a time: a write that must evict in another shard
// releases its own first (settle), and Compute, which holds its shard's
// lock while its function runs, only TryLocks others (tryEvictOther). The
// one exception is SetCapacity and SetMaxWeight (rebound), which lock every
// shard in index order; nothing else holds two, so this cannot deadlock.
// No lock is held while user code runs, except Compute's function (and the
// Weigher, Expiry and ExpireAfter of its value), which run under the key's
// shard lock and must not call the cache. The budget takes no lock.
//
// # Callbacks: on which goroutine
//
//   - OnEvict: on the goroutine of the operation that removed the entries,
//     after its shard lock is released (a write's evictions on the writer's,
//     Delete's on the deleter's, ...); the sweep's on the maintenance
//     goroutine (a timer's, about once a second, or the goroutine that
//     moves a Manual clock). Never on the clock's goroutine.
//   - loaders (GetOrLoad's, GetOrLoadAll's, Refresh's and refresh-ahead's
//     load): on a goroutine of their own, started per load; waiters block
//     on the load's done channel, and a waiter whose context ends leaves.
//   - Expiry, ExpireAfter, Weigher: on the writer's goroutine (for a load's
//     value, on the load's goroutine, before the result is published).
//   - OnLoad: on the load's goroutine, after its waiters are released.
//   - DeleteFunc's function: on DeleteFunc's goroutine with no lock held,
//     and for the loads it reaches, on each load's goroutine.
//   - Compute's function: on Compute's goroutine, under the shard lock.
package core
