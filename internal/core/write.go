package core

import (
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/budget"
)

// write is one write of an entry: the record that Set, SetTTL,
// SetDeadline, SetIfAbsent, LoadFrom and a load's completion fill in for
// put, and Compute for computeWrite, and that the steps of the write path
// (replaceLocked, insertNew, newEntry) read. It lives on its writer's
// stack.
type write[K comparable, V any] struct {
	h        uint64 // the engine's hash of k
	k        K
	v        V
	d        int64       // deadline, ns since the Unix epoch; 0 = never
	w        uint64      // weight: Options.Weigher's, 0 without one
	ifAbsent bool        // a live entry of k wins, and is returned (SetIfAbsent, LoadFrom)
	c        *call[K, V] // the load whose result v is (see claim); nil for the user's writes
}

// writeOf returns the write of k=v (hash h) with deadline d, weighed.
func (e *Engine[K, V]) writeOf(h uint64, k K, v V, d int64) write[K, V] {
	wr := write[K, V]{h: h, k: k, v: v, d: d}
	if e.weigher != nil {
		wr.w = uint64(e.weigher(k, v))
	}
	return wr
}

// Set stores v under k with the engine's TTL.
func (e *Engine[K, V]) Set(h uint64, k K, v V) {
	if e.lo.perValue {
		e.SetDeadline(h, k, v, e.valueDeadline(k, v))
		return
	}
	// The record is built here rather than by writeOf: returning it from a
	// call doubled the instructions of Set and writeOf together (45 per
	// write in writeOf alone; cachegrind, Zipf reads=50%).
	wr := write[K, V]{h: h, k: k, v: v, d: e.deadline(e.ttl)}
	if e.weigher != nil {
		wr.w = uint64(e.weigher(k, v))
	}
	e.put(&wr)
}

// SetTTL stores v under k for ttl: 0 means no expiry; a negative ttl stores
// nothing and removes k, as if the value had expired at once.
func (e *Engine[K, V]) SetTTL(h uint64, k K, v V, ttl time.Duration) {
	if ttl < 0 {
		e.remove(h, k, evict.Replaced, nil)
		return
	}
	wr := e.writeOf(h, k, v, e.deadline(ttl))
	e.put(&wr)
}

// SetDeadline stores v under k until the absolute deadline d (nanoseconds
// since the Unix epoch; 0 means no expiry). A deadline that has already
// passed stores nothing and removes k.
func (e *Engine[K, V]) SetDeadline(h uint64, k K, v V, d int64) {
	if d != 0 && d <= e.now() {
		e.remove(h, k, evict.Replaced, nil)
		return
	}
	wr := e.writeOf(h, k, v, d)
	e.put(&wr)
}

// SetIfAbsent stores v under k unless a live entry holds k. It returns the
// value k now holds and whether v was stored.
func (e *Engine[K, V]) SetIfAbsent(h uint64, k K, v V) (actual V, stored bool) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			n.Visit()
			return e.value(n), false
		}
	}
	if e.lo.perValue {
		return e.setIfAbsentExpiry(h, k, v)
	}
	wr := e.writeOf(h, k, v, e.deadline(e.ttl))
	wr.ifAbsent = true
	return e.put(&wr)
}

// weigh returns the weight of k=v: Options.Weigher's, or 0 without one.
func (e *Engine[K, V]) weigh(k K, v V) uint64 {
	if e.weigher == nil {
		return 0
	}
	return uint64(e.weigher(k, v))
}

// put carries out wr, writing k=v, of weight w, with deadline d under the shard lock: it
// replaces a present entry of the same weight in place (keeping its queue
// position; a live one counts as used), or inserts a new entry at the head
// after taking room for it (see reserve), which evicts if the cache is
// full. A present entry of another weight leaves as replaced, and the new
// one is inserted. With ifAbsent, a live present entry wins and is
// returned instead. c is the load whose result v is, or nil for the user's
// writes (see claim). A value heavier than MaxWeight is not stored, and
// removes the key's entry as a write would replace it.
//
// A present entry's value is overwritten atomically when V allows it (see
// valueMode), so updating a live entry allocates nothing; otherwise a new
// node takes the old one's place in the index and the queue.
func (e *Engine[K, V]) put(wr *write[K, V]) (V, bool) {
	h, k, v, w, c := wr.h, wr.k, wr.v, wr.w, wr.c
	if e.unequalKeys && k != k {
		// A key not equal to itself (a NaN) could never be read, replaced
		// or deleted: it takes no room (issue 17, item 5).
		var zero V
		return zero, false
	}
	if e.weigher != nil && (w > e.budget.MaxWeight() || w > evict.MaxWeight) {
		if wr.ifAbsent {
			actual, _ := e.Peek(h, k)
			return actual, false
		}
		e.remove(h, k, evict.Replaced, c)
		return v, false
	}
	s := e.shard(h)
	var n *node[K, V]
	if e.vmode == valueNode {
		n = e.newEntry(wr) // allocate before locking
	} else if old := s.table.Load().find(h, k); old == nil {
		n = e.newEntry(wr)
	} else if e.fast && c == nil && !wr.ifAbsent && wr.d == 0 && e.tryUpdate(s, h, k, old, v) {
		return v, true // lock-free (update.go)
	}
	now := e.now()
	var out victims[K, V]
	var r budget.Room
	for {
		s.mu.Lock()
		if !e.claim(s, h, k, c) {
			s.mu.Unlock()
			e.budget.GiveBack(&r)
			return v, false
		}
		t := s.table.Load()
		if slot := t.slot(h, k); slot != nil {
			old := slot.Load()
			live := !old.Expired(now)
			if live && wr.ifAbsent {
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				old.Visit()
				return e.value(old), false
			}
			reason := evict.Replaced
			if !live {
				reason = evict.Expired
			}
			if uint64(old.Weight()) != w {
				// The entry's room changes: it leaves, with its room, and the
				// new one enters as a new key would.
				s.detach(t, h, old)
				s.evictions[reason].Add(1)
				r.Hand(uint64(old.Weight()))
				e.gone(&out, old, reason)
			} else {
				oldVal := e.replaceLocked(s, slot, old, n, wr, live, reason)
				if c != nil {
					s.ld.unregister(k, c) // after the write: see claim
				}
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				if e.onEvict != nil {
					out.add(k, oldVal, reason)
				}
				out.fire(e)
				return v, true
			}
		}
		if n == nil { // the key was deleted since the lock-free look, or its weight changed
			n = e.newEntry(wr)
		}
		if !e.reserve(s, t, &r, w, now, &out) {
			// s has nothing left to evict, and the cache lacks room: evict
			// in other shards first (settle), holding the room taken, and
			// write only then, so that the entries held never exceed the
			// bounds (issue 17, item 6). If there is nothing to evict
			// anywhere, the room is all taken by writes in flight: write
			// over the bounds, and settle after.
			s.mu.Unlock()
			out.fire(e)
			if e.settle(s, now, true) {
				continue
			}
			s.mu.Lock()
			if !e.claim(s, h, k, c) {
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				return v, false
			}
			t = s.table.Load()
			if slot := t.slot(h, k); slot != nil {
				// Written meanwhile: start over with the room held.
				s.mu.Unlock()
				continue
			}
			e.insertNew(s, t, n, wr)
			s.mu.Unlock()
			e.settle(s, now, false)
			return v, true
		}
		e.insertNew(s, t, n, wr)
		s.mu.Unlock()
		out.fire(e)
		return v, true
	}
}

// insertNew inserts n, the new entry that wr writes, whose room is taken,
// in s's table t and queue, and ends the registration of wr.c, the load
// whose result it is, if any. Caller holds s.mu.
func (e *Engine[K, V]) insertNew(s *shard[K, V], t *table[K, V], n *node[K, V], wr *write[K, V]) {
	t.insert(wr.h, n)
	s.queue.Push(n)
	s.sets.Add(1)
	if wr.w != 0 {
		s.weight.Add(wr.w)
	}
	if count := s.count.Add(1); count*maxLoadDen > int64(len(t.buckets))*maxLoadNum {
		s.rebuild(2 * len(t.buckets))
	}
	if wr.c != nil {
		s.ld.unregister(wr.k, wr.c) // after the insert: see claim
	}
}

// newEntry returns the node of the entry that wr writes.
func (e *Engine[K, V]) newEntry(wr *write[K, V]) *node[K, V] {
	n := e.newNode(wr.h, wr.k, wr.v, wr.d)
	if wr.w != 0 {
		n.SetWeight(uint32(wr.w))
	}
	return n
}

// replaceLocked carries out wr over old, k's entry in slot, live or not,
// whose weight is wr's too: through a new node for values kept in nodes
// (n, or one allocated here if n is nil), in place otherwise. It counts the write and old's leaving for reason, and returns
// old's value. Caller holds s.mu.
func (e *Engine[K, V]) replaceLocked(s *shard[K, V], slot *atomic.Pointer[node[K, V]], old, n *node[K, V], wr *write[K, V], live bool, reason evict.Reason) V {
	oldVal := e.value(old)
	if e.vmode == valueNode {
		if n == nil {
			n = e.newEntry(wr)
		}
		if live {
			n.Visit()
		}
		s.queue.Replace(old, n)
		if !live {
			s.queue.Touch(n)
		}
		slot.Store(n)
	} else {
		e.setValue(old, wr.v) // value before deadline: see Get
		e.setDeadline(old, wr.d)
		if live {
			old.Visit()
		} else {
			old.Unvisit()
			s.queue.Touch(old)
		}
	}
	s.sets.Add(1)
	s.evictions[reason].Add(1)
	return oldVal
}

// setIfAbsentExpiry is SetIfAbsent under Options.Expiry or ExpireAfter,
// once no live entry was found: a value already expired is not stored.
func (e *Engine[K, V]) setIfAbsentExpiry(h uint64, k K, v V) (V, bool) {
	d := e.valueDeadline(k, v)
	if d != 0 && d <= e.now() {
		actual, _ := e.Peek(h, k)
		return actual, false
	}
	wr := e.writeOf(h, k, v, d)
	wr.ifAbsent = true
	return e.put(&wr)
}
