package core

import (
	"fmt"

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
	s := e.shard(h)
	s.mu.Lock()
	now := e.now()
	var old V
	found := false
	if n := s.table.Load().find(h, k); n != nil && !n.Expired(now) {
		old, found = e.value(n), true
	}
	v, op, d, w := e.apply(s, k, f, old, found)
	var zero V
	switch {
	case op == CancelOp:
		s.mu.Unlock()
		return old, found
	case op == InvalidateOp:
		e.claim(s, h, k, nil)
		e.removeLocked(s, h, k, evict.Deleted, now)
		return zero, false
	case e.weigher != nil && (w > e.maxWeight || w > evict.MaxWeight), d != 0 && d <= now:
		// Too heavy to store, or expired already: as put and SetDeadline
		// do, the write stores nothing and the old value leaves.
		e.claim(s, h, k, nil)
		e.removeLocked(s, h, k, evict.Replaced, now)
		return zero, false
	}
	e.claim(s, h, k, nil)
	var n *node[K, V]
	if e.vmode == valueNode {
		n = e.newWeighted(h, k, v, d, w)
	}
	return e.publish(s, h, k, v, d, w, false, n, now)
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
