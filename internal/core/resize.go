package core

import "fmt"

// SetCapacity changes the most entries the cache holds to n (> 0). The
// cache must have been built with a Capacity: a cache bounded by weight
// only keeps no count to bound (the count would have to be rebuilt under
// every shard's lock). A larger n takes effect at once; a smaller one
// evicts, with the policy and evict.Capacity (or evict.Expired) as the
// reason, until the cache holds at most n entries, before it returns.
//
// Locking: the new bound is stored while every shard's lock is held, one
// after the other in shard order (no other operation holds two shard
// locks, so this cannot deadlock): a write that took room under the old
// bound has then finished taking it, and every later write sees the new
// one. The evictions then lock one shard at a time, as a write that must
// evict from another shard does (see settle), while writes go on.
func (e *Engine[K, V]) SetCapacity(n int) error {
	switch {
	case n <= 0:
		return fmt.Errorf("%sSetCapacity(%d): capacity must be > 0", errPrefix, n)
	case e.budget.Capacity() == 0:
		return fmt.Errorf("%sSetCapacity(%d): the cache was built without Capacity (bounded by MaxWeight only); build it with a Capacity to change it later", errPrefix, n)
	}
	e.rebound(func() { e.budget.SetCapacity(int64(n)) }, n)
	return nil
}

// SetMaxWeight changes the most total weight the cache holds to w (> 0).
// The cache must have a Weigher (and so was built with a MaxWeight). A
// larger w takes effect at once; a smaller one evicts until the entries
// weigh at most w, before it returns. An entry heavier than w stays until
// the policy evicts it; writes of values heavier than w store nothing, as
// for MaxWeight. Locking as for SetCapacity.
func (e *Engine[K, V]) SetMaxWeight(w uint64) error {
	switch {
	case e.weigher == nil:
		return fmt.Errorf("%sSetMaxWeight(%d): the cache has no Weigher; MaxWeight needs one (see Options.Weigher)", errPrefix, w)
	case w == 0:
		return fmt.Errorf("%sSetMaxWeight(0): MaxWeight must be > 0 when there is a Weigher", errPrefix)
	}
	e.rebound(func() { e.budget.SetMaxWeight(w) }, 0)
	return nil
}

// rebound runs set, which stores a new bound, with every shard locked, then
// evicts until the cache is within its bounds. With capacity > 0 (a new
// Capacity), each shard's share, which sizes its admission filter and its
// remembered not-founds, is recomputed as NewEngine computes it.
func (e *Engine[K, V]) rebound(set func(), capacity int) {
	for i := range e.shards {
		e.shards[i].mu.Lock()
	}
	set()
	if capacity > 0 {
		for i := range e.shards {
			s := &e.shards[i]
			s.capacity = capacity / len(e.shards)
			if i < capacity%len(e.shards) {
				s.capacity++
			}
			if s.queue.Admission() {
				s.queue.EnableAdmission(s.capacity)
			}
		}
	}
	for i := range e.shards {
		e.shards[i].mu.Unlock()
	}
	e.settle(nil, e.now(), false)
}
