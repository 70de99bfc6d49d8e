package core

import "github.com/hotcache/hotcache/evict"

// Delete removes k and reports whether a live entry held it. An expired
// entry is removed too (as expired) but reported as absent.
//
// It takes no lock when nothing is pending in k's shard (no load in flight,
// no remembered not-found) and k has no entry. The order of those two looks
// matters: a load's result is written to the index before the load stops
// counting as pending (see claim), so pending is read first; if it reads 0,
// every load that had finished by then has its result in the index, and
// every load that starts later reads a source that this Delete's caller
// has already updated (issue 17, item 1).
func (e *Engine[K, V]) Delete(h uint64, k K) bool {
	s := e.shard(h)
	if reopen17 {
		// The order before issue 17's fix: the index, then pending.
		if s.table.Load().find(h, k) == nil {
			widen()
			if s.ld.pending.Load() == 0 {
				return false
			}
		}
		return e.remove(h, k, evict.Deleted, nil)
	}
	if s.ld.pending.Load() == 0 {
		widen() // between the two looks
		if s.table.Load().find(h, k) == nil {
			return false
		}
	}
	return e.remove(h, k, evict.Deleted, nil)
}

// remove deletes k's entry, if any, under the shard lock, with reason (or
// Expired if the entry had expired), and reports whether it was live. c is
// as for store.
func (e *Engine[K, V]) remove(h uint64, k K, reason evict.Reason, c *call[K, V]) bool {
	s := e.shard(h)
	now := e.now()
	s.mu.Lock()
	if !e.claim(s, h, k, c) {
		s.mu.Unlock()
		return false
	}
	return e.removeLocked(s, h, k, reason, now, c)
}

// removeLocked is remove once s.mu is held and the write claimed: it
// removes k's entry, ends the registration of c, the load whose result
// (a not-found, or an expired value) this is, if any, unlocks s.mu and
// calls OnEvict.
func (e *Engine[K, V]) removeLocked(s *shard[K, V], h uint64, k K, reason evict.Reason, now int64, c *call[K, V]) bool {
	t := s.table.Load()
	slot := t.slot(h, k)
	var old *node[K, V]
	live := false
	if slot != nil {
		old = slot.Load()
		if live = !old.Expired(now); !live {
			reason = evict.Expired
		}
		s.unlink(e, t, h, old, reason)
	}
	if c != nil {
		if c.notFound && e.lo.negTTL > 0 {
			e.remember(s, h, k, c.err)
		}
		s.ld.unregister(k, c) // after the removal: see claim
	}
	s.mu.Unlock()
	if old != nil {
		e.evicted(old, reason)
	}
	return live
}

// unlink removes n (hash h) from the shard's table and queue and counts it.
// Caller holds s.mu.
func (s *shard[K, V]) unlink(e *Engine[K, V], t *table[K, V], h uint64, n *node[K, V], reason evict.Reason) {
	t.remove(h, n)
	s.queue.Remove(n)
	s.evictions[reason].Add(1)
	s.count.Add(-1)
	if w := n.Weight(); w != 0 {
		s.weight.Add(-uint64(w))
	}
	e.budget.Release(uint64(n.Weight()))
	s.shrink(t)
}

// shrink rebuilds s's table t smaller if it has become mostly empty.
// Caller holds s.mu.
func (s *shard[K, V]) shrink(t *table[K, V]) {
	if c := s.count.Load(); len(t.buckets) > 1 && c*maxLoadDen*8 < int64(len(t.buckets))*maxLoadNum {
		s.rebuild(bucketsFor(int(c)))
	}
}

// rebuild replaces the shard's table with one of nbuckets buckets, indexing
// nodes by the hash bits they keep (no key is hashed again). Caller holds
// s.mu. Readers keep using the old table until they next load.
func (s *shard[K, V]) rebuild(nbuckets int) {
	nt := newTable[K, V](nbuckets)
	s.queue.Each(func(n *node[K, V]) { nt.insert(n.Hash(), n) })
	s.table.Store(nt)
	s.sweepPos = 0
}

// DeleteFunc removes every live entry for which f returns true and returns
// how many it removed. f runs with no lock held and may call the engine; an
// entry written while DeleteFunc runs may or may not be seen. A load in
// flight when DeleteFunc reaches its shard does not store its result if f
// reports true for its key and the loaded value (the zero value for a
// not-found): the loading goroutine applies f once the value exists. A
// GetOrLoad that starts after DeleteFunc returned does not join such a
// load: it starts a new one. A remembered not-found of a key for which
// f(key, zero value) reports true is forgotten.
func (e *Engine[K, V]) DeleteFunc(f func(K, V) bool) int {
	type seen struct {
		n *node[K, V]
		v V // the value f judged: an entry rewritten since is left alone
	}
	removed := 0
	var doomed []seen
	for i := range e.shards {
		s := &e.shards[i]
		s.filterLoads(f)
		if !reopen17item2 {
			e.forgetFunc(s, f)
		}
		doomed = doomed[:0]
		now := e.now()
		forEach(s.table.Load(), func(n *node[K, V]) {
			if v := e.value(n); !n.Expired(now) && f(n.Item.key, v) {
				doomed = append(doomed, seen{n, v})
			}
		})
		if len(doomed) == 0 {
			continue
		}
		s.mu.Lock()
		t := s.table.Load()
		j := 0
		for _, d := range doomed {
			n, h := d.n, d.n.Hash()
			if slot := t.slot(h, n.Item.key); slot != nil && slot.Load() == n && e.unchanged(n, d.v) {
				s.unlink(e, t, h, n, evict.Deleted)
				t = s.table.Load() // unlink may have rebuilt it
				doomed[j] = d
				j++
			}
		}
		s.mu.Unlock()
		removed += j
		for _, d := range doomed[:j] {
			e.evicted(d.n, evict.Deleted)
		}
	}
	return removed
}

// Clear removes every entry, as deleted.
func (e *Engine[K, V]) Clear() {
	var gone []*node[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		if e.onEvict != nil {
			s.queue.Each(func(n *node[K, V]) { gone = append(gone, n) })
		}
		s.evictions[evict.Deleted].Add(uint64(s.count.Load()))
		s.queue.Init(s.queue.Policy())
		s.table.Store(newTable[K, V](1))
		e.budget.ReleaseAll(s.count.Load(), s.weight.Load())
		s.count.Store(0)
		s.weight.Store(0)
		s.sweepPos = 0
		s.ld.reset()
		s.mu.Unlock()
		for _, n := range gone {
			e.evicted(n, evict.Deleted)
		}
		gone = gone[:0]
	}
}

func (e *Engine[K, V]) evicted(n *node[K, V], r evict.Reason) {
	if e.onEvict != nil {
		e.onEvict(n.Item.key, e.value(n), r)
	}
}
