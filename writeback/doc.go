// Package writeback puts hotcache in front of slow stores: a write-behind
// [Buffer] that batches writes to a store, and a read-through [Cache] that
// keeps reads off it. Both are themselves a [Store], so they stack:
// Cache → Buffer → database.
//
// # Stores
//
// A [Store] has Load, Store and Delete; "not found" is shard.ErrNotFound
// (wrapped or not). A store may also implement [BulkStore] (StoreMany,
// DeleteMany, each all-or-nothing) and [TxStore] (InTx: run single
// operations in one transaction); the buffer detects them by interface
// assertion and prefers bulk, then transactions, then one call per key.
// Package memstore is a map-backed store for tests; the nested module
// writeback/sqlitestore is a SQLite one. Package storetest is the test
// suite every store passes, in each of its capabilities.
//
// # Buffer
//
// Store and Delete put the write in a map keyed by the key, so writes
// coalesce (the last wins; a delete is a write) and Load sees them
// (read-your-writes). Each write carries a sequence number and the time of
// the key's oldest unstored write, and a slice lists the pending keys in
// the order they became pending. A goroutine flushes when MaxBatch keys
// are pending or the oldest write is MaxDelay old; [Buffer.Flush] and
// [Buffer.Close] flush too, one flush at a time. A flush takes the list,
// stores its writes oldest first, MaxBatch per call (keys written together
// stay together, which keeps a database's pages warm), and then removes
// from the map only the writes whose sequence number is unchanged; the
// keys still pending go back to the front of the list. A write made
// during the flush stays pending, and so does a write whose store call
// failed twice (one retry). Nothing leaves the map unstored, so nothing is
// lost silently: failures go to Options.OnError and the next Flush or
// Close returns a [*FlushError] naming every key still unstored. After a
// failed background flush the goroutine waits MaxDelay before the next.
//
// Close refuses new writes ([ErrClosed]), stops the goroutine (cancelling
// its store call if Close's context ends first), waits for it, and drains.
// Flush after Close retries what Close could not store.
//
// Time: Options.Clock measures MaxDelay and the goroutine sleeps on a
// time.Timer. Tests either run the buffer in a testing/synctest bubble
// with the default clock, or use a *clock.Manual and call [Buffer.Tick],
// which makes the goroutine check its triggers and waits for the result.
//
// # Cache
//
// [Cache] keeps values in a shard.Cache until min(Expiry(value) − Skew,
// now + MaxTTL), and misses for NegativeTTL. Store and Delete through it
// write the store first and then drop the cached entry. A load that races
// with a write could otherwise cache the value the write replaced: each
// key maps to one of 64 stripes holding a write generation, a load notes
// the generation before reading the store and caches its result only if
// the generation is unchanged, checked and cached under the stripe's lock
// that writes take to bump it.
package writeback
