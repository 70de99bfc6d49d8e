package tier

import (
	"context"
	"runtime/debug"
	"sync"

	"github.com/hotcache/hotcache/shard"
)

// flight is one in-process attempt to get a key's value (from Redis, or by
// loading it), shared by every GetOrLoad of the key that arrives while it
// runs. It runs on a goroutine of its own, so that each caller can leave
// when its ctx ends; when the last caller has left, ctx is cancelled,
// which ends the attempt's Redis calls and lock waits (a loader already
// running goes on, with a context of its own).
//
// v and err are written by the flight's goroutine before it closes done,
// and read by callers after done is closed. refs is guarded by
// flights.mu.
type flight[V any] struct {
	done   chan struct{}
	v      V
	err    error
	fresh  int64 // mono() time no later than when v was read from Redis or loaded
	refs   int
	ctx    context.Context
	cancel context.CancelFunc
}

// flights maps keys to their attempt in flight.
type flights[V any] struct {
	mu sync.Mutex
	m  map[string]*flight[V]
}

// getOrLoadShared joins key's flight, starting one if there is none, and
// waits for its result or for ctx to end. A value read (or loaded) more than
// leaseFor before this call began is not taken: a write may have replaced
// it since, so the call joins (or starts) a new attempt. This keeps the
// coherence bound for callers that join an attempt late (one stuck on a
// stalled link, or a long load during an outage).
func (c *Cache[V]) getOrLoadShared(ctx context.Context, key string, load func(context.Context, string) (V, error)) (V, error) {
	began := c.mono()
	for {
		v, fresh, err := c.joinFlight(ctx, key, load)
		if err != nil || fresh >= began-int64(leaseFor) {
			return v, err
		}
	}
}

// joinFlight is one round of getOrLoadShared.
func (c *Cache[V]) joinFlight(ctx context.Context, key string, load func(context.Context, string) (V, error)) (V, int64, error) {
	fs := &c.flights
	fs.mu.Lock()
	if fs.m == nil {
		fs.m = make(map[string]*flight[V])
	}
	f := fs.m[key]
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[V]{done: make(chan struct{}), ctx: fctx, cancel: cancel}
		fs.m[key] = f
		go c.fly(f, key, context.WithoutCancel(ctx), load)
	}
	f.refs++
	fs.mu.Unlock()

	select {
	case <-f.done:
		return f.v, f.fresh, f.err
	case <-ctx.Done():
	}
	fs.mu.Lock()
	f.refs--
	if f.refs == 0 {
		// Nobody waits any more: stop the attempt's waits, and let the
		// next caller start afresh rather than join a cancelled attempt.
		if fs.m[key] == f {
			delete(fs.m, key)
		}
		f.cancel()
	}
	fs.mu.Unlock()
	var zero V
	return zero, 0, ctx.Err()
}

// fly runs flight f: loadShared, with a panic of load turned into a
// *shard.PanicError for every caller.
func (c *Cache[V]) fly(f *flight[V], key string, lctx context.Context, load func(context.Context, string) (V, error)) {
	defer func() {
		if r := recover(); r != nil {
			c.st.loadErrors.Add(1)
			var zero V
			f.v, f.err = zero, &shard.PanicError{Value: r, Stack: debug.Stack()}
		}
		fs := &c.flights
		fs.mu.Lock()
		if fs.m[key] == f {
			delete(fs.m, key)
		}
		fs.mu.Unlock()
		f.cancel()
		close(f.done)
	}()
	f.v, f.fresh, f.err = c.loadShared(f.ctx, lctx, key, load)
}
