package core

import (
	"runtime"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/budget"
)

// Room for a write: the engine's side of the whole-cache bound (package
// budget keeps the bound and its usage). A write takes room for a new
// entry before it inserts it: from the usage while the cache has room,
// else by evicting in its own shard under the lock it holds (reserve), and
// when its shard has nothing left to evict, by evicting in other shards
// one lock at a time, never two at once (settle, evictOther; Compute,
// which holds its shard's lock, only tries other locks: tryEvictOther).

// reserve gives r the room of an entry of weight w about to be inserted in
// s, evicting entries of s (appended to out) for as long as the cache
// lacks it. If s runs out of entries first, reserve takes the room anyway,
// over the bounds, and returns false: once s is unlocked, the caller must
// call settle, which evicts from other shards. Caller holds s.mu, and t
// is s's table.
//
// A full cache thus evicts in the writing shard, under the lock the write
// holds anyway; usage is only loaded then (the victim hands its room
// over), and changed only while the cache has room, or when weights differ.
func (e *Engine[K, V]) reserve(s *shard[K, V], t *table[K, V], r *budget.Room, w uint64, now int64, out *victims[K, V]) bool {
	for !e.budget.Take(r, w) {
		if s.count.Load() == 0 {
			e.budget.Force(r, w)
			return false
		}
		n, reason := s.evictOne(t, now)
		r.Hand(uint64(n.Weight()))
		e.gone(out, n, reason)
	}
	return true
}

// settle evicts from shards other than own, one at a time and each under
// its own lock (own's is not held), until the cache is within its bounds,
// and then reports true. Shards are tried round robin, from a place that
// moves with every call, so that no shard bears every such eviction. While
// the cache is over its bounds only because of writes still in flight,
// there may be nothing to evict yet: settle then yields and looks again,
// and after a few rounds evicts from own too. With giveUp, settle returns
// false once a few rounds over every shard found nothing to evict: the
// room is then all held by writes in flight.
func (e *Engine[K, V]) settle(own *shard[K, V], now int64, giveUp bool) bool {
	for fruitless := 0; e.budget.Over(); {
		if !e.evictOther(own, now, fruitless >= settleRounds) {
			if fruitless++; giveUp && fruitless >= 2*settleRounds {
				return false
			}
			runtime.Gosched()
		}
	}
	return true
}

// settleRounds is how many fruitless rounds settle makes, looking for
// victims in other shards only, before it looks in its own shard too.
const settleRounds = 4

// evictOther evicts one entry from a shard other than own (or own too, with
// anyShard), trying each in turn from the round-robin position, and reports
// whether it found one. It returns the entry's room to the cache-wide
// usage.
func (e *Engine[K, V]) evictOther(own *shard[K, V], now int64, anyShard bool) bool {
	start := int(e.next.Add(1))
	for i := range e.shards {
		s := &e.shards[(start+i)%len(e.shards)]
		if s == own && !anyShard || s.count.Load() == 0 {
			continue
		}
		s.mu.Lock()
		var out victims[K, V]
		if e.evictFor(s, now, &out) {
			out.fire(e)
			return true
		}
	}
	return false
}

// evictFor evicts one entry of s for a write in another shard, if the
// cache is still over its bounds and s still holds an entry, returning the
// entry's room to the budget and adding it to out. It unlocks s.mu and
// reports whether the caller is done: an entry was evicted, or another
// write made room meanwhile. Caller holds s.mu.
func (e *Engine[K, V]) evictFor(s *shard[K, V], now int64, out *victims[K, V]) bool {
	if !e.budget.Over() {
		s.mu.Unlock()
		return true
	}
	if s.count.Load() == 0 {
		s.mu.Unlock()
		return false
	}
	t := s.table.Load()
	n, reason := s.evictOne(t, now)
	e.budget.Release(uint64(n.Weight()))
	s.shrink(t)
	e.gone(out, n, reason)
	s.mu.Unlock()
	return true
}

// evictOne evicts the victim of s's policy from its queue and table and
// returns it with the reason; its room stays with the caller. s must hold
// an entry. Caller holds s.mu; t is s's table.
func (s *shard[K, V]) evictOne(t *table[K, V], now int64) (*node[K, V], evict.Reason) {
	if s.lazyAdmit {
		s.lazyAdmit = false
		s.queue.EnableAdmission(s.queue.Len())
	}
	n, r := s.queue.Evict(now)
	reason := evict.Reason(r) // the same values (evict's TestPolicyReason_AgreeWithTheQueue)
	s.unindex(t, n.Hash(), n)
	s.evictions[reason].Add(1)
	return n, reason
}

// tryEvictOther is evictOther for a caller that holds own's lock: it
// evicts one entry from a shard other than own whose lock is free, adding
// it to out (its room returned to the cache), and reports whether it did,
// or found the cache within its bounds (evicted), and else whether a shard
// holding entries was locked (busy).
func (e *Engine[K, V]) tryEvictOther(own *shard[K, V], now int64, out *victims[K, V]) (evicted, busy bool) {
	start := int(e.next.Add(1))
	for i := range e.shards {
		s := &e.shards[(start+i)%len(e.shards)]
		if s == own || s.count.Load() == 0 {
			continue
		}
		if !s.mu.TryLock() {
			busy = true
			continue
		}
		if e.evictFor(s, now, out) {
			return true, false
		}
	}
	return false, busy
}
