package core

import (
	"context"
	"errors"
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

// refreshAhead starts a background load of k if n, the live entry a
// GetOrLoad hit, is due for refresh and no refresh of it has started.
func (e *Engine[K, V]) refreshAhead(ctx context.Context, h uint64, k K, n *node[K, V], load func(context.Context, K) (V, error)) {
	rn := e.refreshOf(n)
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
