package shard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hotcache/hotcache/evict"
)

// GetOrLoad returns the value stored under key. On a miss it calls
// load(ctx, key), stores the value it returns (with the deadline TTL or
// Expiry gives it) and returns it. A hit is Get: lock-free and
// allocation-free, whatever ctx is.
//
// However many goroutines ask for one key, one load of it runs at a time;
// the others wait for its result. Loads of different keys run in
// parallel, and no lock is held while load runs. load runs on a goroutine
// of its own, with a context that carries the values of ctx (of the call
// that started it) but not its cancellation or deadline: a load should
// bound its own time. A caller whose ctx ends while it waits returns
// ctx.Err() at once; the load goes on for the others, and its value is
// still stored. load must not call GetOrLoad for its own key: it would wait
// for itself.
//
// A load that returns an error gives it to every caller waiting for it and
// stores nothing. An error wrapping [ErrNotFound] is remembered for
// Options.NegativeTTL: meanwhile GetOrLoad returns it without loading. A
// load that panics gives every waiting caller a [*PanicError]; one that
// calls runtime.Goexit, an error saying so. Neither is remembered.
//
// A Set, Delete, Clear or DeleteFunc of the key while its load is in
// flight wins: the load's result still goes to the callers that waited for
// it, but it is not stored, and GetOrLoad calls that come after the write
// start a new load. A value whose deadline has already passed is returned
// to its callers but not stored.
//
// With Options.RefreshAhead, a hit on an entry that has lived that fraction
// of its lifetime also starts one background load of the key (see
// [Options]).
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, load func(context.Context, K) (V, error)) (V, error) {
	return c.e.GetOrLoad(ctx, c.hashOf(key), key, load)
}

// GetOrLoad is [Cache.GetOrLoad] with the key's hash h.
func (e *Engine[K, V]) GetOrLoad(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) (V, error) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			if e.lo.refresh != 0 {
				e.refreshAhead(ctx, h, k, n, load)
			}
			n.Visit()
			e.hit()
			return e.value(n), nil
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
	Stack []byte // the stack of the loading goroutine when it panicked
}

// Error returns "shard: loader panicked: " and the panic value.
func (p *PanicError) Error() string { return fmt.Sprintf("%sloader panicked: %v", errPrefix, p.Value) }

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

var errGoexit = errors.New(errPrefix + "loader called runtime.Goexit")

// loadOptions are the Options of expiry from values and loading.
type loadOptions[K comparable, V any] struct {
	expiry  func(K, V) time.Time
	maxTTL  time.Duration
	skew    int64
	negTTL  time.Duration
	refresh float64 // Options.RefreshAhead; 0 = no refresh-ahead
}

func newLoadOptions[K comparable, V any](o Options[K, V]) loadOptions[K, V] {
	return loadOptions[K, V]{
		expiry:  o.Expiry,
		maxTTL:  o.MaxTTL,
		skew:    int64(o.Skew),
		negTTL:  o.NegativeTTL,
		refresh: o.RefreshAhead,
	}
}

// call is one load in flight. The goroutine running it sets val, err and
// notFound, then closes done; waiters read them after done is closed.
type call[K comparable, V any] struct {
	done     chan struct{}
	val      V
	err      error
	notFound bool // err wraps ErrNotFound (and load did not panic)
	refresh  bool // started by RefreshAhead, not by a miss

	// superseded is set, under the shard lock, by a write of the key while
	// the load runs: the result then goes to the waiters only.
	superseded bool
}

// loadState is a shard's loading state: the loads in flight and the keys
// remembered as not found, by key. Both maps are guarded by the shard's mu
// and are nil when empty. pending mirrors their total size so that
// lock-free fast paths (Delete of an absent key) can tell there is nothing
// to do.
//
// Remembered not-founds live here rather than in the table, as a flag on
// the node, so that nothing on the read path needs to know about them: Get,
// Peek, Len, All, OnEvict and the eviction queue see only values, and
// caches that never load pay nothing. Only GetOrLoad's slow path, which
// takes the shard lock anyway, looks them up.
type loadState[K comparable, V any] struct {
	calls    map[K]*call[K, V]
	negative map[K]absence
	pending  atomic.Int64
	counts   [numLoadCounts]atomic.Uint64
}

// absence is a remembered not-found: the loader's error, until deadline.
type absence struct {
	deadline int64
	err      error
}

// Indexes of loadState.counts.
const (
	countLoads = iota
	countLoadErrors
	countNegativeHits
	countRefreshes
	countRefreshErrors
	numLoadCounts
)

func (l *loadState[K, V]) addStats(st *Stats) {
	st.Loads += l.counts[countLoads].Load()
	st.LoadErrors += l.counts[countLoadErrors].Load()
	st.NegativeHits += l.counts[countNegativeHits].Load()
	st.Refreshes += l.counts[countRefreshes].Load()
	st.RefreshErrors += l.counts[countRefreshErrors].Load()
}

// sync drops empty maps and updates pending. Caller holds the shard lock.
func (l *loadState[K, V]) sync() {
	if len(l.calls) == 0 {
		l.calls = nil
	}
	if len(l.negative) == 0 {
		l.negative = nil
	}
	l.pending.Store(int64(len(l.calls) + len(l.negative)))
}

// reset supersedes every load in flight and forgets every not-found (for
// Clear). Caller holds the shard lock.
func (l *loadState[K, V]) reset() {
	for _, c := range l.calls {
		c.superseded = true
	}
	l.calls, l.negative = nil, nil
	l.pending.Store(0)
}

// supersedeLoads supersedes every load in flight in s (for DeleteFunc).
func (s *shard[K, V]) supersedeLoads() {
	if s.ld.pending.Load() == 0 {
		return
	}
	s.mu.Lock()
	for _, c := range s.ld.calls {
		c.superseded = true
	}
	s.ld.calls = nil
	s.ld.sync()
	s.mu.Unlock()
}

// claim is called under s.mu by every write of k, before it changes the
// shard. A write by the user (c == nil) supersedes the load of k in
// flight, if any, and forgets a remembered not-found of k (SetIfAbsent
// too, even when it then finds a live entry and writes nothing: at worst a
// refresh's result is dropped). For the result
// of load c, claim ends c's registration and reports whether the result
// may be written: not if a write superseded c. It remembers a not-found
// result for NegativeTTL.
func (e *Engine[K, V]) claim(s *shard[K, V], k K, c *call[K, V]) bool {
	l := &s.ld
	if c == nil {
		if l.pending.Load() != 0 {
			if old := l.calls[k]; old != nil {
				old.superseded = true
				delete(l.calls, k)
			}
			delete(l.negative, k)
			l.sync()
		}
		return true
	}
	if c.superseded {
		return false
	}
	delete(l.calls, k)
	if c.notFound && e.lo.negTTL > 0 {
		if l.negative == nil {
			l.negative = make(map[K]absence)
		}
		if _, ok := l.negative[k]; !ok && len(l.negative) >= max(s.capacity, 1) {
			// Full: forget an arbitrary key (map iteration starts at a
			// random place), so remembered keys never outnumber the
			// shard's capacity.
			for old := range l.negative {
				delete(l.negative, old)
				break
			}
		}
		l.negative[k] = absence{deadline: e.deadline(e.lo.negTTL), err: c.err}
	}
	l.sync()
	return true
}

// getOrLoad is GetOrLoad after a lock-free miss.
func (e *Engine[K, V]) getOrLoad(ctx context.Context, h uint64, k K, load func(context.Context, K) (V, error)) (V, error) {
	var zero V
	if load == nil {
		panic(errPrefix + "GetOrLoad called with a nil load function")
	}
	if err := ctx.Err(); err != nil {
		e.miss()
		return zero, err
	}
	s := e.shard(h)
	s.mu.Lock()
	now := e.now()
	// Look again under the lock: a load may have stored k since.
	if n := s.table.Load().find(h, k); n != nil && !n.Expired(now) {
		s.mu.Unlock()
		n.Visit()
		e.hit()
		return e.value(n), nil
	}
	if a, ok := s.ld.negative[k]; ok {
		if now < a.deadline {
			s.mu.Unlock()
			e.miss()
			s.ld.counts[countNegativeHits].Add(1)
			return zero, a.err
		}
		delete(s.ld.negative, k)
		s.ld.sync()
	}
	c := s.ld.calls[k]
	start := c == nil
	if start {
		c = e.register(s, k, false)
	}
	s.mu.Unlock()
	e.miss()
	if start {
		go e.run(context.WithoutCancel(ctx), h, k, c, load)
	}
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// register records a new load of k in flight. Caller holds s.mu.
func (e *Engine[K, V]) register(s *shard[K, V], k K, refresh bool) *call[K, V] {
	c := &call[K, V]{done: make(chan struct{}), refresh: refresh}
	if s.ld.calls == nil {
		s.ld.calls = make(map[K]*call[K, V])
	}
	s.ld.calls[k] = c
	s.ld.sync()
	if refresh {
		s.ld.counts[countRefreshes].Add(1)
	} else {
		s.ld.counts[countLoads].Add(1)
	}
	return c
}

// run calls load for c and completes c however load ends: by returning, by
// panicking or by runtime.Goexit.
func (e *Engine[K, V]) run(ctx context.Context, h uint64, k K, c *call[K, V], load func(context.Context, K) (V, error)) {
	var d int64
	var w uint64
	returned := false
	defer func() {
		if !returned {
			var zero V
			c.val, c.notFound = zero, false
			if r := recover(); r != nil {
				c.err = &PanicError{Value: r, Stack: debug.Stack()}
			} else {
				c.err = errGoexit
			}
		}
		e.complete(h, k, c, d, w)
	}()
	c.val, c.err = load(ctx, k)
	if c.err == nil {
		d = e.valueDeadline(k, c.val) // Expiry panicking counts as load panicking
		w = e.weigh(k, c.val)         // and so does Weigher
	} else {
		c.notFound = errors.Is(c.err, ErrNotFound)
	}
	returned = true
}

// complete writes the result of load c (with deadline d and weight w if it
// is a value), unless a write of k superseded c, and then releases c's waiters. A failed
// load writes nothing, so a failed refresh keeps the current value.
func (e *Engine[K, V]) complete(h uint64, k K, c *call[K, V], d int64, w uint64) {
	defer close(c.done) // even if OnEvict panics
	if c.err != nil {
		if c.refresh {
			e.shard(h).ld.counts[countRefreshErrors].Add(1)
		} else {
			e.shard(h).ld.counts[countLoadErrors].Add(1)
		}
	}
	switch {
	case c.err == nil && (d == 0 || d > e.now()):
		e.put(h, k, c.val, d, w, false, c)
	case c.err == nil || c.notFound:
		// Expired already, or gone: remove what k held before.
		e.remove(h, k, evict.Replaced, c)
	default:
		s := e.shard(h)
		s.mu.Lock()
		e.claim(s, k, c)
		s.mu.Unlock()
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

// newNode returns a node for k=v (hash h) expiring at d, with the refresh
// time of Options.RefreshAhead if it is set.
func (e *Engine[K, V]) newNode(h uint64, k K, v V, d int64) *node[K, V] {
	item := entry[K, V]{key: k, val: v}
	if e.lo.refresh == 0 {
		return evict.NewNode(item, d, h)
	}
	rn := &refreshNode[K, V]{}
	rn.node.Init(item, d, h)
	if d != 0 {
		now := e.now()
		rn.at = now + int64(e.lo.refresh*float64(d-now))
	}
	return &rn.node
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
	c := e.register(s, k, true)
	s.mu.Unlock()
	go e.run(context.WithoutCancel(ctx), h, k, c, load)
}

// valueDeadline returns the deadline of v written under k now: TTL, or
// with Options.Expiry, Expiry(k, v) - Skew (TTL for a zero time) capped at
// MaxTTL from now. A deadline in the past is returned as a negative number
// if it would otherwise read as 0 (never).
func (e *Engine[K, V]) valueDeadline(k K, v V) int64 {
	d := e.deadline(e.ttl)
	if e.lo.expiry == nil {
		return d
	}
	if t := e.lo.expiry(k, v); !t.IsZero() {
		d = unixNano(t)
		if d <= e.lo.skew {
			return -1
		}
		d -= e.lo.skew
	}
	if e.lo.maxTTL > 0 {
		if c := e.deadline(e.lo.maxTTL); d == 0 || d > c {
			d = c
		}
	}
	return d
}

// unixNano is t.UnixNano saturated to the int64 range (UnixNano's result
// is undefined outside it).
func unixNano(t time.Time) int64 {
	switch s := t.Unix(); {
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return t.UnixNano()
}

// setIfAbsentExpiry is SetIfAbsent under Options.Expiry, once no live entry
// was found: a value already expired is not stored.
func (e *Engine[K, V]) setIfAbsentExpiry(h uint64, k K, v V) (V, bool) {
	d := e.valueDeadline(k, v)
	if d != 0 && d <= e.now() {
		actual, _ := e.Peek(h, k)
		return actual, false
	}
	return e.store(h, k, v, d, true, nil)
}

// sweepNegative forgets expired not-founds of s, examining at most
// negativeSweep of them (from a random place) so the lock is held briefly.
func (e *Engine[K, V]) sweepNegative(s *shard[K, V]) {
	if s.ld.pending.Load() == 0 {
		return
	}
	s.mu.Lock()
	now, seen := e.now(), 0
	for k, a := range s.ld.negative {
		if now >= a.deadline {
			delete(s.ld.negative, k)
		}
		if seen++; seen == negativeSweep {
			break
		}
	}
	s.ld.sync()
	s.mu.Unlock()
}

// negativeSweep bounds one sweep of remembered not-founds per shard: about
// as long under the lock as sixteen batches of the entry sweep.
const negativeSweep = 16 * sweepBatch
