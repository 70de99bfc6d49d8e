package core

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
)

// errNilBulkLoad is GetOrLoadAll's error for a nil load function.
var errNilBulkLoad = errors.New(errPrefix + "GetOrLoadAll called with a nil load function")

// GetOrLoadAll is shard.Cache.GetOrLoadAll. The engine hashes the keys
// itself, with the hash NewEngine was given.
//
// Keys are first looked up lock-free, as GetOrLoad's hits are: when all
// of them hit (values or remembered not-founds), GetOrLoadAll allocates
// only the result map. On a closed cache, keys that miss are not loaded:
// GetOrLoadAll returns the hits with ErrClosed. Keys not equal to
// themselves (NaNs) are left out. Each key that misses is then joined under its
// shard's lock as a GetOrLoad miss is (see join): the keys that no load
// is in flight for are registered as loads of their own, which one call
// of load, on a goroutine of its own, completes.
func (e *Engine[K, V]) GetOrLoadAll(ctx context.Context, keys []K, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	if load == nil {
		return nil, errNilBulkLoad
	}
	out := make(map[K]V, len(keys))
	var missed []int // indexes in keys of the keys that missed
	for i, k := range keys {
		h := e.hash(e.seed, k)
		s := e.shard(h)
		if n := s.table.Load().find(h, k); n != nil {
			if d := n.Deadline(); d == 0 || e.now() < d {
				e.touch(n, d) // Options.ExpireAfterAccess
				n.Visit()
				e.hit()
				out[k] = e.value(n)
				continue
			}
		}
		if _, ok := e.negative(s, h, k); ok {
			e.miss()
			e.lo.negHits.hit()
			continue
		}
		missed = append(missed, i)
	}
	if len(missed) == 0 {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		for range missed {
			e.miss()
		}
		return out, err
	}
	if e.closed.Load() { // no load starts on a closed cache
		for range missed {
			e.miss()
		}
		return out, ErrClosed
	}
	return e.loadAll(ctx, keys, missed, out, load)
}

// bulkKey is a key of a GetOrLoadAll that missed, with the load it waits
// for; for a key of this call's own load, the deadline and weight of its
// value once loaded.
type bulkKey[K comparable, V any] struct {
	k K
	h uint64
	c *call[K, V]
	d int64
	w uint64
}

// loadAll is GetOrLoadAll for the keys that missed the lock-free look.
func (e *Engine[K, V]) loadAll(ctx context.Context, keys []K, missed []int, out map[K]V, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	var wait, own []bulkKey[K, V]
	seen := make(map[K]struct{}, len(missed))
	for _, i := range missed {
		k := keys[i]
		if e.unequalKeys && k != k {
			// A key not equal to itself (a NaN) is neither loaded nor in
			// the result: no map could return its value (issue 17, item 5).
			e.miss()
			continue
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		h := e.hash(e.seed, k)
		widen() // between the lock-free look and the locked one
		c, start, v, err := e.join(ctx, e.shard(h), h, k)
		switch {
		case c == nil && err == nil:
			out[k] = v
		case c == nil: // remembered as not found
		case start:
			own = append(own, bulkKey[K, V]{k: k, h: h, c: c})
			fallthrough
		default:
			wait = append(wait, bulkKey[K, V]{k: k, h: h, c: c})
		}
	}
	if len(own) > 0 {
		go e.runAll(ctx, own, load)
	}
	var first error
	for i, b := range wait {
		select {
		case <-b.c.done:
		case <-ctx.Done():
			for _, r := range wait[i:] {
				select {
				case <-r.c.done:
				default:
					e.leave(e.shard(r.h), r.k, r.c)
				}
			}
			return out, ctx.Err()
		}
		switch {
		case b.c.err == nil:
			out[b.k] = b.c.val
		case b.c.notFound:
		case first == nil:
			first = b.c.err
		}
	}
	return out, first
}

// runAll calls load once with the keys of own, the loads this
// GetOrLoadAll registered, and completes each of them with its value, or
// as not found if load returned none for it, or with load's error (a
// panic or runtime.Goexit in load, Expiry, ExpireAfter or Weigher gives
// every key the error GetOrLoad's loads get). Keys load returns that were
// not asked for are ignored.
//
// load's context carries the values of ctx and is cancelled once every
// load of own is (by its last waiter leaving, or by Close), and when load
// has returned.
func (e *Engine[K, V]) runAll(ctx context.Context, own []bulkKey[K, V], load func(context.Context, []K) (map[K]V, error)) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var left atomic.Int64
	left.Store(int64(len(own)))
	keys := make([]K, len(own))
	stops := make([]func() bool, len(own))
	for i, b := range own {
		keys[i] = b.k
		stops[i] = context.AfterFunc(b.c.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	var vals map[K]V
	var err error
	returned := false
	defer func() {
		cancel()
		for _, stop := range stops {
			stop()
		}
		if !returned {
			vals = nil
			if r := recover(); r != nil {
				err = &PanicError{Value: r, Stack: debug.Stack()}
			} else {
				err = errGoexit
			}
		}
		for _, b := range own {
			c := b.c
			v, ok := vals[b.k]
			switch {
			case err != nil:
				c.err = err
				c.notFound = returned && errors.Is(err, ErrNotFound)
			case ok:
				c.val = v
			default:
				c.err, c.notFound = ErrNotFound, true
			}
			e.complete(b.h, b.k, c, b.d, b.w)
		}
	}()
	vals, err = load(lctx, keys)
	if err == nil {
		for i := range own {
			b := &own[i]
			if v, ok := vals[b.k]; ok {
				b.d = e.valueDeadline(b.k, v) // Expiry panicking counts as load panicking
				b.w = e.weigh(b.k, v)         // and so does Weigher
			}
		}
	}
	returned = true
}
