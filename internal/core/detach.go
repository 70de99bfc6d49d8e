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
	var out victims[K, V]
	live := false
	if slot != nil {
		old := slot.Load()
		if live = !old.Expired(now); !live {
			reason = evict.Expired
		}
		s.unlink(e, t, h, old, reason, &out)
	}
	if c != nil {
		if c.notFound && e.lo.negTTL > 0 {
			e.remember(s, h, k, c.err)
		}
		s.ld.unregister(k, c) // after the removal: see claim
	}
	s.mu.Unlock()
	out.fire(e)
	return live
}

// unlink removes n (hash h) from the shard for good, for reason: it
// detaches n, counts it, returns its room to the budget, adds it to out and
// shrinks the table if it has become mostly empty. Caller holds s.mu.
func (s *shard[K, V]) unlink(e *Engine[K, V], t *table[K, V], h uint64, n *node[K, V], reason evict.Reason, out *victims[K, V]) {
	s.detach(t, h, n)
	s.evictions[reason].Add(1)
	e.budget.Release(uint64(n.Weight()))
	e.gone(out, n, reason)
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
	var out victims[K, V]
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
				s.unlink(e, t, h, n, evict.Deleted, &out)
				t = s.table.Load() // unlink may have rebuilt it
				doomed[j] = d
				j++
			}
		}
		s.mu.Unlock()
		removed += j
		out.fire(e)
	}
	return removed
}

// Clear removes every entry, as deleted.
func (e *Engine[K, V]) Clear() {
	var out victims[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		if e.onEvict != nil {
			s.queue.Each(func(n *node[K, V]) { e.gone(&out, n, evict.Deleted) })
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
		out.fire(e)
	}
}

// victims are the entries that left a shard under its lock, kept for
// OnEvict, which runs only once the lock is released (fire): every path by
// which an entry leaves (a write's evictions and replacements, Delete,
// DeleteFunc, Clear, the sweep, evictions for another shard's write)
// collects them here. A victim keeps the key and value it left with (a
// value replaced in place is no longer in its node). Nothing is kept
// without an OnEvict, and the first victim is held without allocating.
type victims[K comparable, V any] struct {
	first victim[K, V]
	n     int // how many were added
	more  []victim[K, V]
}

type victim[K comparable, V any] struct {
	k      K
	v      V
	reason evict.Reason
}

// add records that k left with value v for reason.
func (vs *victims[K, V]) add(k K, v V, r evict.Reason) {
	if vs.n == 0 {
		vs.first = victim[K, V]{k, v, r}
	} else {
		vs.more = append(vs.more, victim[K, V]{k, v, r})
	}
	vs.n++
}

// prepend records that k left with value v for reason, before every
// victim added so far (Compute reports the entry it replaced before the
// evictions its write caused).
func (vs *victims[K, V]) prepend(k K, v V, r evict.Reason) {
	if vs.n > 0 {
		vs.more = append([]victim[K, V]{vs.first}, vs.more...)
	}
	vs.first = victim[K, V]{k, v, r}
	vs.n++
}

// gone adds n, which left its shard for reason, to vs, if the engine has
// an OnEvict. Caller holds the lock of n's shard.
func (e *Engine[K, V]) gone(vs *victims[K, V], n *node[K, V], r evict.Reason) {
	if e.onEvict != nil {
		vs.add(n.Item.key, e.value(n), r)
	}
}

// fire calls OnEvict for each victim, in the order they were added, and
// empties vs. No lock may be held: OnEvict runs on the goroutine of the
// operation that removed the entries (or of the maintenance, for the
// sweep), and may call the engine.
func (vs *victims[K, V]) fire(e *Engine[K, V]) {
	if vs.n == 0 {
		return // the common case: nothing left, or no OnEvict
	}
	first, more := vs.first, vs.more
	*vs = victims[K, V]{more: vs.more[:0]}
	e.onEvict(first.k, first.v, first.reason)
	for _, v := range more {
		e.onEvict(v.k, v.v, v.reason)
	}
}

// detach takes n (hash h) out of s's table t and queue and out of s's
// count and weight: the one way an entry leaves a shard (unlink, a write
// over an entry of another weight, Compute's; evictOne, whose queue has
// taken n out itself, calls unindex). The caller counts why it left
// (s.evictions) and owns its room: it releases the room to the budget
// (unlink) or hands it to a write (budget.Room.Hand). Caller holds s.mu.
func (s *shard[K, V]) detach(t *table[K, V], h uint64, n *node[K, V]) {
	s.queue.Remove(n)
	s.unindex(t, h, n)
}

// unindex is detach for a node already out of the queue.
func (s *shard[K, V]) unindex(t *table[K, V], h uint64, n *node[K, V]) {
	t.remove(h, n)
	s.count.Add(-1)
	if w := n.Weight(); w != 0 {
		s.weight.Add(-uint64(w))
	}
}
