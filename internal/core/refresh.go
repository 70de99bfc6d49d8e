package core

import (
	"context"
	"errors"
	"sync/atomic"
	"unsafe"
)

// errNilRefresh is Refresh's error for a nil load function.
var errNilRefresh = errors.New(errPrefix + "Refresh called with a nil load function")

// Refresh is shard.Cache.Refresh with the key's hash h.
//
// Under the shard lock it claims k as a write does (the load of k in
// flight, if any, is superseded, and a remembered not-found forgotten) and
// registers a reload, which GetOrLoad misses of k join; the entry itself
// is left as it is until the reload completes as a refresh-ahead does
// (see complete). The caller waits for it as a GetOrLoad caller waits for
// its load, and may leave likewise. On a closed cache Refresh starts no
// load and returns ErrClosed; a key not equal to itself (a NaN) is loaded
// but never stored.
func (e *Engine[K, V]) Refresh(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) error {
	if load == nil {
		return errNilRefresh
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s := e.shard(h)
	if e.closed.Load() { // no load starts on a closed cache
		return ErrClosed
	}
	if e.unequalKeys && k != k {
		// A key not equal to itself (a NaN) is never stored: load it alone.
		_, err := e.loadAlone(ctx, s, k, load)
		return err
	}
	s.mu.Lock()
	e.claim(s, h, k, nil)
	c := e.register(ctx, s, k, true) // one waiter: this caller
	s.mu.Unlock()
	go e.run(h, k, c, load)
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		e.leave(s, k, c)
		return ctx.Err()
	}
}

// refreshNode is how an engine with RefreshAhead allocates its nodes: the
// node, then when to refresh it. Tables and queues hold &rn.node. This
// costs 16 bytes per entry, and only caches with RefreshAhead pay them.
type refreshNode[K comparable, V any] struct {
	node    node[K, V]
	at      int64       // refresh from this time on (nanoseconds); 0 = never
	started atomic.Bool // a refresh of this node has started
}

// refreshAhead starts a background load of k if n, the live entry a
// GetOrLoad hit, is due for refresh and no refresh of it has started.
func (e *Engine[K, V]) refreshAhead(ctx context.Context, h uint64, k K, n *node[K, V], load func(context.Context, K) (V, error)) {
	// Safety: with RefreshAhead set, newNode allocates every node of this
	// engine as the first field of a refreshNode, so n points to the start
	// of one and the conversion stays inside that allocation (checkptr,
	// on under -race, verifies this).
	rn := (*refreshNode[K, V])(unsafe.Pointer(n))
	if rn.at == 0 || load == nil || e.now() < rn.at || rn.started.Load() || !rn.started.CompareAndSwap(false, true) {
		return
	}
	s := e.shard(h)
	s.mu.Lock()
	if slot := s.table.Load().slot(h, k); slot == nil || slot.Load() != n || s.ld.calls[k] != nil {
		s.mu.Unlock()
		return
	}
	c := e.register(ctx, s, k, true)
	s.mu.Unlock()
	go e.run(h, k, c, load)
}
