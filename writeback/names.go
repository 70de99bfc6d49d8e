package writeback

import (
	"context"
	"errors"

	"github.com/hotcache/hotcache/internal/testhook"
	"github.com/hotcache/hotcache/shard"
)

// Get returns key's value as the buffer sees it: its pending write (a
// pending delete is a miss), or else what the store holds. A key the store
// does not hold (its Load returned an error wrapping shard.ErrNotFound) is
// a miss: (zero, false, nil). Any other error is the store's. Get is the
// cache vocabulary's name for [Buffer.Load], which stays as the [KV]
// method; unlike writes, Get works after Close (it reads what Close could
// not store).
func (b *Buffer[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	v, err := b.Load(ctx, key)
	switch {
	case err == nil:
		return v, true, nil
	case errors.Is(err, shard.ErrNotFound):
		var zero V
		return zero, false, nil
	}
	return v, false, err
}

// Set queues value for key, as [Buffer.Store] (the [KV] method) does: it
// returns ErrClosed after Close, and waits for room while MaxPending keys
// are pending.
func (b *Buffer[K, V]) Set(ctx context.Context, key K, value V) error {
	return b.Store(ctx, key, value)
}

// reportFlushError passes a flush's failure to Options.OnError and
// Options.Logger, whichever are set. It runs on the flushing goroutine
// with no lock held.
func (b *Buffer[K, V]) reportFlushError(e *FlushError[K]) {
	if b.opts.OnError != nil {
		b.onError(e)
	}
	if l := b.opts.Logger; l != nil {
		l.Warn("hotcache writeback: flush left writes unstored; they stay pending and are retried",
			"keys", len(e.Keys), "err", e.Err)
	}
}

// ticker is a Buffer of any types, for the test hook.
type ticker interface{ tickNow() }

func init() { testhook.BufferTick = func(b any) { b.(ticker).tickNow() } }
