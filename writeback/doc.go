// Package writeback puts hotcache in front of slow stores: a write-behind
// [Buffer] that batches writes to a store, and a read-through [Cache] that
// keeps reads off it. Both are themselves a store ([KV]), so they stack:
// Cache → Buffer → database.
//
// # Stores
//
// A [KV] ([Store] is its former, deprecated, name) has Load, Store and
// Delete, the store's vocabulary; "not found" is shard.ErrNotFound
// (wrapped or not). The Buffer and the Cache are KVs, and also speak the
// cache vocabulary of every hotcache type: Get (a miss is (zero, false,
// nil)), Set, Delete. A store may also implement
// [BulkStore] (StoreMany, DeleteMany, each all-or-nothing, over distinct
// keys) and [TxStore] (InTx: run single operations in one transaction);
// the buffer detects them by interface assertion and prefers bulk, then
// transactions, then one call per key. A decorator embeds KV to inherit
// what it does not override, and so hides those two; [WithCodec], which
// stores typed values in a store of encoded ones, keeps them. Package
// memstore is a map-backed store for tests; the nested module
// writeback/sqlitestore is a SQLite one. Package storetest is the test
// suite every store passes, in each of its capabilities.
//
// # Buffer
//
// Store and Delete put the write in a map keyed by the key, so writes
// coalesce (the last wins; a delete is a write) and Load sees them
// (read-your-writes). Each pending key has one entry: its latest write, a
// sequence number, and the time of its oldest unstored write; the entries
// also form a list in the order their keys became pending, so the list
// never holds a key twice and never outgrows the map. A goroutine flushes
// when MaxBatch keys are pending or the oldest write is MaxDelay old;
// [Buffer.Flush] and [Buffer.Close] flush too, one flush at a time. A
// flush walks the list, stores the writes oldest first, MaxBatch per call
// (the keys of one call are distinct; keys written together stay
// together, which keeps a database's pages warm), and then removes only
// the entries whose sequence number is unchanged. A write made during the
// flush stays pending, and so does a write whose store call failed twice
// (one retry); a store call that panics has failed, with a [*PanicError].
// The retry of a failed call of many keys is two calls, one per half: if
// one half is stored and the other fails, the store rejects something in
// it, and the flush splits it again, down to the rejected write, so that
// one poison value does not hold back the keys batched with it (1,023 of
// 1,024 stored by the same flush, in 21 calls). The rejected write is then
// isolated: kept in a list of its own, written alone, retried after pauses
// of its own (doubling like those below, which its failures do not
// lengthen), until it is stored or rewritten; with one call per key, so is
// a write whose call and retry failed while others of its flush were
// stored. If both halves fail (the store may be down), each
// half goes in a call of its own at the next flush, and so on; failed
// writes that a later flush stores bring the calls back to MaxBatch keys,
// doubling per call.
// Nothing leaves the map unstored, so nothing is lost silently: failures
// go to Options.OnError and the next Flush or Close returns a
// [*FlushError] naming every key still unstored.
//
// After a flush in which a call failed, the goroutine pauses before the
// next: RetryDelay, doubled after each flush in which every call failed,
// up to MaxRetryDelay, each pause drawn between half that and that; a
// flush with a successful call brings the delay back to RetryDelay. Each
// flush calls a store that fails every call at most twice per pending
// key, so a store that is down sees at most 4/MaxRetryDelay calls per pending key per second once
// the delay is capped (0.8 with the defaults). Flush and Close do not
// wait for the pause.
//
// At most MaxPending keys are pending: Store and Delete of another key
// then wait for a flush to make room, or for their context (the write is
// then not taken). The map, the list, and the flush's copy of them are
// bounded by MaxPending.
//
// Close refuses new writes ([ErrClosed]), stops the goroutine (cancelling
// its store call if Close's context ends first), waits for it, and drains.
// Flush after Close retries what Close could not store.
//
// Time: Options.Clock measures MaxDelay and the pauses, and the goroutine
// sleeps on a time.Timer. Tests either run the buffer in a
// testing/synctest bubble with the default clock, or use a *clock.Manual
// and [Buffer.Tick] (deprecated), which makes the goroutine check its triggers and
// waits for the result.
//
// # Cache
//
// [Cache] is a shard.Cache (its L1, configured by CacheOptions.L1 with
// every shard.Options field) loaded with GetOrLoad from the store: one load
// per key at a time, values kept for L1's TTL, or until min(Expiry(value)
// − Skew, now + MaxTTL) (shard's deadline arithmetic, which saturates for
// far-future times), misses remembered for L1.NegativeTTL (0: not
// remembered). Set and Delete through it write the store first and then
// delete the cached entry; Invalidate only deletes the entry. A load in
// flight when the entry is deleted answers its callers but does not cache
// its result, so a Get that starts after a write through the cache
// returned never sees the value it replaced. Load and Store remain as
// deprecated names of Get and Set, and the former top-level fields of
// CacheOptions keep their former meaning (NegativeTTL 0 there is 1s).
//
// # Close
//
// As everywhere in hotcache, Close is idempotent and a method that can
// fail returns [ErrClosed] (shard.ErrClosed) after it. Buffer.Close
// differs where it must: it takes a context and returns the flush's error
// because it waits on the store to drain, and after it Get and Flush still
// work, so that writes Close could not store are neither hidden nor lost.
// Options.Logger (nil: no logging) records flushes that left writes
// unstored, as OnError sees them.
//
// # Stats
//
// [Buffer.Stats] and [Cache.Stats] return snapshots of counters for
// metrics: the backlog and its age, flushes, store calls, errors and
// retries; the shard.Stats of the cache.
package writeback
