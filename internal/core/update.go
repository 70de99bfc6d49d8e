package core

// Lock-free updates of a present key (issue 22, item 4).
//
// Most writes of a skewed workload replace the value of a key that is
// present and live (about 72% of the writes of a Zipf 1.01 stream over a
// cache of 2^16 entries). When a value fits one word (valuePtr,
// valueWord64, valueWord32) the locked path only stores that word in place,
// so the lock buys nothing but the exclusion of the few operations that
// read a value and then write one (Compute) or that must see every write of
// a key (a load or a refresh in flight, a remembered not-found). An update
// therefore skips the shard lock when all of these hold:
//
//   - the engine updates values in place and has no TTL, no
//     ExpireAfterAccess, no per-value expiry (Expiry, ExpireAfter), no
//     RefreshAhead, no Weigher and no OnEvict (see fastUpdates): the
//     deadline and the weight of an entry never change on update, and no
//     callback needs the replaced value;
//   - nothing is pending in the key's shard (no load in flight, no
//     remembered not-found), read before the lookup and again after the
//     store;
//   - the key's entry is in the index and has no deadline (a SetTTL or
//     SetDeadline may give one to a single entry), checked before and
//     after the store.
//
// The store is the update's linearization point. If a check after it
// fails (the entry left the index, a deadline appeared, a load was
// registered), the update is written again on the locked path, which
// supersedes the load and inserts the key anew if it left; the value
// stored lock-free was either never reachable (its entry had already left)
// or is overwritten by the same value, so no reader can see an older value
// after the update returned.
//
// Operations that read a value and then write one under the lock
// (Compute's WriteOp) write in place with a compare-and-swap against the
// value they read (casValue), and read again when a lock-free update came
// in between: an update is never lost under a Compute. Operations that
// read and then remove (DeleteFunc, Compute's InvalidateOp) may remove an
// entry an update wrote meanwhile; the update is then as if evicted, which
// a cache may do to any entry at any time, and no stale value is served.
//
// Counting: Stats.Sets and Stats.Evictions[evict.Replaced] include these
// updates through striped counters (updateCounts), so no counter shared by
// all writers is written per update.

// fastUpdates reports whether e's options let updates of present keys skip
// the shard lock (see above).
func (e *Engine[K, V]) fastUpdates() bool {
	return e.vmode != valueNode && e.ttl == 0 && e.access == 0 && !e.lo.perValue &&
		e.lo.refresh == 0 && e.weigher == nil && e.onEvict == nil
}

// tryUpdate writes v over the live entry of k (hash h) without the shard
// lock, and reports whether it did; false means the caller must write on
// the locked path (which may find that v is already stored: it stores it
// again). Only for engines with e.fast set (fastUpdates).
func (e *Engine[K, V]) tryUpdate(h uint64, k K, v V) bool {
	s := e.shard(h)
	if s.ld.pending.Load() != 0 {
		return false
	}
	n := s.table.Load().find(h, k)
	if n == nil || n.Deadline() != 0 {
		return false
	}
	e.setValue(n, v)
	widen()
	// After the store: the entry is still k's (a Delete, an eviction or a
	// rebuild of the table would show here), still without a deadline,
	// and no load of the shard began meanwhile.
	if s.ld.pending.Load() != 0 || n.Deadline() != 0 || s.table.Load().find(h, k) != n {
		return false
	}
	n.Visit()
	e.updates.hit() // the stripes' hits column counts updates here
	return true
}
