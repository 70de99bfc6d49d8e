package core

import (
	"fmt"
	"runtime"

	"github.com/hotcache/hotcache/evict"
)

// ComputeOp is what a Compute function asks for: leave the entry as it
// is, store the value it returns, or delete the entry.
type ComputeOp int

const (
	CancelOp     ComputeOp = iota // leave the entry as it is
	WriteOp                       // store the returned value
	InvalidateOp                  // delete the entry
)

// String returns the constant's name, or "ComputeOp(n)" for any other n.
func (op ComputeOp) String() string {
	switch op {
	case CancelOp:
		return "CancelOp"
	case WriteOp:
		return "WriteOp"
	case InvalidateOp:
		return "InvalidateOp"
	}
	return fmt.Sprintf("ComputeOp(%d)", int(op))
}

// Compute is shard.Cache.Compute with the key's hash h.
//
// f, and for a WriteOp the Weigher and Expiry or ExpireAfter, run under
// the shard lock; if one of them panics, the lock is released, nothing
// changes and the panic goes on. A WriteOp or InvalidateOp claims the key
// as Set and Delete do (see claim): a load of the key in flight is
// superseded and a remembered not-found forgotten; a CancelOp writes
// nothing and supersedes nothing.
func (e *Engine[K, V]) Compute(h uint64, k K, f func(old V, found bool) (V, ComputeOp)) (actual V, ok bool) {
	if f == nil {
		panic(errPrefix + "Compute called with a nil function")
	}
	var zero V
	if e.unequalKeys && k != k {
		// A key not equal to itself (a NaN) has no entry and never gets
		// one (issue 17, item 5): f sees none, and a WriteOp stores nothing.
		if _, op := f(zero, false); op < CancelOp || op > InvalidateOp {
			panic(fmt.Sprintf("%sCompute: f returned %v, want CancelOp, WriteOp or InvalidateOp", errPrefix, op))
		}
		return zero, false
	}
	s := e.shard(h)
	var r room // room held across tries (see computeWrite)
	for force := false; ; {
		s.mu.Lock()
		now := e.now()
		var old V
		found := false
		if n := s.table.Load().find(h, k); n != nil && !n.Expired(now) {
			old, found = e.value(n), true
		}
		v, op, d, w := e.applyHolding(s, k, f, old, found, &r)
		switch {
		case op == CancelOp:
			s.mu.Unlock()
			e.giveBack(&r)
			return old, found
		case op == InvalidateOp:
			e.claim(s, h, k, nil)
			e.removeLocked(s, h, k, evict.Deleted, now, nil)
			e.giveBack(&r)
			return zero, false
		case e.weigher != nil && (w > e.maxWeight.Load() || w > evict.MaxWeight), d != 0 && d <= now:
			// Too heavy to store, or expired already: as put and SetDeadline
			// do, the write stores nothing and the old value leaves.
			e.claim(s, h, k, nil)
			e.removeLocked(s, h, k, evict.Replaced, now, nil)
			e.giveBack(&r)
			return zero, false
		}
		e.claim(s, h, k, nil)
		if found && e.fast {
			// A lock-free update (update.go) may have written k since f
			// read old: write only if it did not, else call f again.
			if e.computeInPlace(s, h, k, old, v, d, &r) {
				return v, true
			}
			continue
		}
		if e.computeWrite(s, h, k, v, d, w, now, &r, force) {
			return v, true
		}
		// No room could be made without waiting for other shards' locks:
		// computeWrite changed nothing and unlocked s. Make room as put
		// does, holding it in r, and call f again with the entry as it is
		// then (issue 17, item 6: the entries held never exceed the
		// bounds).
		force = !e.settle(s, now, true)
	}
}

// computeWrite writes k=v (hash h, deadline d, weight w) for Compute, whose
// f read k's entry under s.mu, which the caller still holds: no other
// write of k may run between f's read and this write. It reports true once
// it has written and unlocked s.mu (and called OnEvict).
//
// A new entry's room is found as put finds it: first room the caller holds
// in r, then room the cache has spare, then by evicting in s, and then,
// while s is empty and the cache full, by evicting in other shards whose
// lock is free (tryEvictOther: holding s.mu it must not wait for another
// shard's lock). If that does not make room within a few rounds,
// computeWrite undoes what it changed in k's entry, unlocks s.mu keeping
// the room it took in r, and reports false: the caller settles and calls f
// again (f may thus run more than once, each time with the entry as it
// then is), so the entries held never exceed the bounds. With force (settle
// found nothing to evict anywhere: the room is held by writes in flight)
// it writes over the bounds and settles after, as put does.
func (e *Engine[K, V]) computeWrite(s *shard[K, V], h uint64, k K, v V, d int64, w uint64, now int64, r *room, force bool) bool {
	var out victims[K, V]
	t := s.table.Load()
	var old *node[K, V]
	reason := evict.Replaced
	if slot := t.slot(h, k); slot != nil {
		old = slot.Load()
		live := !old.Expired(now)
		if !live {
			reason = evict.Expired
		}
		if uint64(old.Weight()) == w {
			// Same room: replace in place, as put does.
			oldVal := e.replaceLocked(s, slot, old, nil, h, k, v, d, w, live, reason)
			s.mu.Unlock()
			e.giveBack(r)
			if e.onEvict != nil {
				e.onEvict(k, oldVal, reason)
			}
			return true
		}
		// The entry's room changes: it leaves, with its room, and the new
		// one enters as a new key would.
		t.remove(h, old)
		s.queue.Remove(old)
		s.count.Add(-1)
		s.weight.Add(-uint64(old.Weight()))
		r.slots++
		r.weight += uint64(old.Weight())
	}
	settled := e.reserve(s, t, r, w, now, &out)
	for rounds := 0; !settled && !force && e.over(); rounds++ {
		if evicted, _ := e.tryEvictOther(s, now, &out); evicted {
			rounds = -1 // only fruitless rounds count
			continue
		}
		if rounds >= 2*settleRounds {
			// Give up under the lock: put old back, its room with it, and
			// let the caller settle unlocked.
			if old != nil {
				t.insert(h, old)
				s.queue.Push(old)
				s.count.Add(1)
				s.weight.Add(uint64(old.Weight()))
				if e.capacity.Load() > 0 {
					e.used.count.Add(1)
				}
				if e.maxWeight.Load() > 0 {
					e.used.weight.Add(uint64(old.Weight()))
				}
			}
			s.mu.Unlock()
			out.fire(e)
			return false
		}
		runtime.Gosched()
	}
	if old != nil {
		s.evictions[reason].Add(1)
		out = prepend(out, old, reason)
	}
	e.insertNew(s, t, h, k, e.newWeighted(h, k, v, d, w), w, nil)
	*r = room{} // now the new entry's
	s.mu.Unlock()
	out.fire(e)
	if force {
		e.settle(s, now, false)
	}
	return true
}

// computeInPlace writes v over old, the value f read from k's live entry
// under s.mu (which the caller holds), for an engine whose updates may skip
// the lock (e.fast: values in place, no Weigher, no OnEvict). The write is
// a compare-and-swap from old: it reports false, having changed nothing,
// if a lock-free update wrote k meanwhile, and the caller calls f again.
// Either way it unlocks s.mu.
func (e *Engine[K, V]) computeInPlace(s *shard[K, V], h uint64, k K, old, v V, d int64, r *room) bool {
	n := s.table.Load().find(h, k) // the entry f read: only the lock could remove it
	if !e.casValue(n, old, v) {
		s.mu.Unlock()
		return false
	}
	e.setDeadline(n, d)
	n.Visit()
	s.sets.Add(1)
	s.evictions[evict.Replaced].Add(1)
	s.mu.Unlock()
	e.giveBack(r)
	return true
}

// prepend returns vs with n (evicted for reason) first, so that OnEvict
// reports the replaced entry before the evictions its write caused.
func prepend[K comparable, V any](vs victims[K, V], n *node[K, V], reason evict.Reason) victims[K, V] {
	out := victims[K, V]{first: n, reason: reason}
	if vs.first != nil {
		out.more = append(append(make([]victim[K, V], 0, 1+len(vs.more)), victim[K, V]{vs.first, vs.reason}), vs.more...)
	}
	return out
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
		if !e.over() {
			s.mu.Unlock()
			return true, false // another write made room meanwhile
		}
		if s.count.Load() == 0 {
			s.mu.Unlock()
			continue
		}
		t := s.table.Load()
		n, reason := s.evictOne(t, now)
		e.release(n)
		s.shrink(t)
		s.mu.Unlock()
		out.add(n, reason)
		return true, false
	}
	return false, busy
}

// applyHolding is apply for a caller that holds room r: if apply panics
// (s.mu is then released), r is given back first.
func (e *Engine[K, V]) applyHolding(s *shard[K, V], k K, f func(V, bool) (V, ComputeOp), old V, found bool, r *room) (v V, op ComputeOp, d int64, w uint64) {
	done := false
	defer func() {
		if !done {
			e.giveBack(r)
		}
	}()
	v, op, d, w = e.apply(s, k, f, old, found)
	done = true
	return v, op, d, w
}

// apply calls f(old, found) for Compute, and for a WriteOp returns the
// deadline and weight of the value f returned. Caller holds s.mu: if f (or
// Weigher, Expiry, ExpireAfter) panics, or f returns an unknown op, apply
// unlocks s.mu and panics.
func (e *Engine[K, V]) apply(s *shard[K, V], k K, f func(V, bool) (V, ComputeOp), old V, found bool) (v V, op ComputeOp, d int64, w uint64) {
	done := false
	defer func() {
		if !done {
			s.mu.Unlock()
		}
	}()
	v, op = f(old, found)
	switch op {
	case CancelOp, InvalidateOp:
	case WriteOp:
		if e.lo.perValue {
			d = e.valueDeadline(k, v)
		} else {
			d = e.deadline(e.ttl)
		}
		w = e.weigh(k, v)
	default:
		panic(fmt.Sprintf("%sCompute: f returned %v, want CancelOp, WriteOp or InvalidateOp", errPrefix, op))
	}
	done = true
	return v, op, d, w
}
