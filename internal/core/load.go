package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// GetOrLoad is shard.Cache.GetOrLoad with the key's hash h.
func (e *Engine[K, V]) GetOrLoad(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) (V, error) {
	v, _, err := e.GetOrLoadCached(ctx, h, k, load) // inlined: no call more than before
	return v, err
}

// GetOrLoadCached is shard.Cache.GetOrLoadCached with the key's hash h.
func (e *Engine[K, V]) GetOrLoadCached(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) (V, bool, error) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			e.touch(n, d) // Options.ExpireAfterAccess
			if e.lo.refresh != 0 {
				e.refreshAhead(ctx, h, k, n, load)
			}
			n.Visit()
			e.hit()
			return e.value(n), true, nil
		}
	}
	return e.getOrLoad(ctx, h, k, load)
}

// PanicError is the error GetOrLoad returns to every caller of a load that
// panicked. The panic is not re-raised: the load runs on a goroutine with
// no caller to panic to, and re-panicking in each waiter would bring one
// bad key down on every request that asked for it. Nothing is stored or
// remembered: the next GetOrLoad of the key loads again.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the goroutine when it panicked
	Op    string // what panicked, e.g. "writeback: store"; "" for a loader (and refresh)
}

// Error returns "shard: loader panicked: " (or Op and " panicked: ") and
// the panic value.
func (p *PanicError) Error() string {
	if p.Op != "" {
		return fmt.Sprintf("%s panicked: %v", p.Op, p.Value)
	}
	return fmt.Sprintf("%sloader panicked: %v", errPrefix, p.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

var errGoexit = errors.New(errPrefix + "loader called runtime.Goexit")

// loadOptions are the Options of expiry from values and loading.
type loadOptions[K comparable, V any] struct {
	expiry      func(K, V) time.Time
	fraction    float64 // Options.ExpiryFraction; 0 = the whole lifetime
	expireAfter func(K, V) time.Duration
	perValue    bool // expiry or expireAfter: a value's deadline depends on it
	maxTTL      time.Duration
	skew        int64
	negTTL      time.Duration
	refresh     float64 // Options.RefreshAhead; 0 = no refresh-ahead
	onLoad      func(K, time.Duration, error)
	logger      *slog.Logger

	// negHits counts GetOrLoad calls answered by a remembered not-found
	// (Stats.NegativeHits), striped like the read counters because those
	// answers are lock-free reads too: a hot unknown key must not make its
	// readers share one counter's cache line. Only with NegativeTTL.
	negHits readCounters
}

func newLoadOptions[K comparable, V any](o Options[K, V]) loadOptions[K, V] {
	lo := loadOptions[K, V]{
		expiry:      o.Expiry,
		fraction:    o.ExpiryFraction,
		expireAfter: o.ExpireAfter,
		perValue:    o.Expiry != nil || o.ExpireAfter != nil,
		maxTTL:      o.MaxTTL,
		skew:        int64(o.Skew),
		negTTL:      o.NegativeTTL,
		refresh:     o.RefreshAhead,
		onLoad:      o.OnLoad,
		logger:      o.Logger,
	}
	if o.NegativeTTL > 0 {
		lo.negHits = newReadCounters()
	}
	return lo
}

// getOrLoad is GetOrLoad after a lock-free miss. cached reports an answer
// from the cache: a live entry or a remembered not-found.
func (e *Engine[K, V]) getOrLoad(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) (v V, cached bool, err error) {
	s := e.shard(h)
	if err, ok := e.negative(s, h, k); ok {
		e.miss()
		e.lo.negHits.hit()
		return v, true, err
	}
	if load == nil {
		panic(errPrefix + "GetOrLoad called with a nil load function")
	}
	if err := ctx.Err(); err != nil {
		e.miss()
		return v, false, err
	}
	if e.closed.Load() { // no load starts on a closed cache
		e.miss()
		return v, false, ErrClosed
	}
	if e.unequalKeys && k != k {
		e.miss()
		v, err := e.loadAlone(ctx, s, k, load)
		return v, false, err
	}
	widen() // between the lock-free look and the locked one
	c, start, v, err := e.join(ctx, s, h, k)
	if c == nil {
		return v, true, err
	}
	if start {
		go e.run(h, k, c, load)
	}
	select {
	case <-c.done:
		return c.val, false, c.err
	case <-ctx.Done():
		e.leave(s, k, c)
		return v, false, ctx.Err()
	}
}

// loadAlone loads k, a key not equal to itself (a NaN), in the calling
// goroutine: such a key can never be found again, so nothing is stored,
// remembered or shared with other callers. A panic in load is returned as a
// *PanicError, as for other keys.
func (e *Engine[K, V]) loadAlone(ctx context.Context, s *shard[K, V], k K, load func(context.Context, K) (V, error)) (v V, err error) {
	s.ld.counts[countLoads].Add(1)
	defer func() {
		if r := recover(); r != nil {
			var zero V
			v, err = zero, &PanicError{Value: r, Stack: debug.Stack()}
		}
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				s.ld.counts[countNotFound].Add(1)
			} else {
				s.ld.counts[countLoadErrors].Add(1)
			}
		}
	}()
	return load(ctx, k)
}
