package core

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/evict"
)

// call is one load in flight. The goroutine running it sets val, err and
// notFound, then closes done; waiters read them after done is closed.
type call[K comparable, V any] struct {
	done     chan struct{}
	val      V
	err      error
	notFound bool // err wraps ErrNotFound (and load did not panic)
	refresh  bool // started by RefreshAhead, not by a miss

	ctx    context.Context // the load's: the first caller's values, cancelled by cancel
	cancel context.CancelFunc

	// The fields below are guarded by the shard lock.

	// superseded is set by a write of the key while the load runs, by a
	// matching DeleteFunc, and when the last waiter leaves: the result
	// then goes to the waiters only, if any.
	superseded bool
	// waiters counts the callers waiting for the result; a refresh counts
	// itself as one that never leaves.
	waiters int
	// filters are the functions of the DeleteFunc calls that reached the
	// shard while the load was in flight; the loading goroutine has
	// applied the first checked of them to the loaded value.
	filters []func(K, V) bool
	checked int
	again   bool // claim found filters not yet applied: apply them and retry
}

// loadState is a shard's loading state: the loads in flight and the keys
// remembered as not found. Everything but neg's readers is guarded by the
// shard's mu. pending is the number of registered loads plus remembered
// keys, so that lock-free fast paths (Delete of an absent key) can tell
// there is nothing to do.
//
// Remembered not-founds live in a table of their own, neg, of the same
// lock-free kind as the shard's index but holding errors, rather than in
// the index as flagged nodes, so that nothing on the read path needs to
// know about them: Get, Peek, Len, All, OnEvict and the eviction queue see
// only values, and Get's code does not change. GetOrLoad looks neg up,
// lock-free, after a miss. neg is nil while nothing is remembered, so
// caches that never load pay a nil check on GetOrLoad's miss path only.
type loadState[K comparable, V any] struct {
	calls    map[K]*call[K, V]        // registered loads: a miss of the key joins them
	running  map[*call[K, V]]struct{} // every load running, registered or not (for Close)
	neg      atomic.Pointer[table[K, error]]
	negCount int
	negPos   uint64 // where the next sweep or forced forgetting starts
	pending  atomic.Int64
	counts   [numLoadCounts]atomic.Uint64
}

// Indexes of loadState.counts.
const (
	countLoads = iota
	countLoadErrors
	countNotFound
	countRefreshes
	countRefreshErrors
	numLoadCounts
)

func (l *loadState[K, V]) addStats(st *Stats) {
	st.Loads += l.counts[countLoads].Load()
	st.LoadErrors += l.counts[countLoadErrors].Load()
	st.NotFound += l.counts[countNotFound].Load()
	st.Refreshes += l.counts[countRefreshes].Load()
	st.RefreshErrors += l.counts[countRefreshErrors].Load()
}

// sync drops empty maps and updates pending. Caller holds the shard lock.
func (l *loadState[K, V]) sync() {
	if len(l.calls) == 0 {
		l.calls = nil
	}
	if len(l.running) == 0 {
		l.running = nil
	}
	if l.negCount == 0 && l.neg.Load() != nil {
		l.neg.Store(nil)
	}
	l.pending.Store(int64(len(l.calls) + l.negCount))
}

// reset supersedes every load in flight and forgets every not-found (for
// Clear). Loads keep running (Close can still cancel them). Caller holds
// the shard lock.
func (l *loadState[K, V]) reset() {
	for _, c := range l.calls {
		c.superseded = true
	}
	l.calls = nil
	l.neg.Store(nil)
	l.negCount = 0
	l.sync()
}

// filterLoads records f, the function of a DeleteFunc, with every load in
// flight in s: a load whose value f matches is not stored (see complete).
func (s *shard[K, V]) filterLoads(f func(K, V) bool) {
	if s.ld.pending.Load() == 0 {
		return
	}
	s.mu.Lock()
	for _, c := range s.ld.calls {
		c.filters = append(c.filters, f)
	}
	s.mu.Unlock()
}

// cancelLoads cancels the context of every load running (for Close).
func (e *Engine[K, V]) cancelLoads() {
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		for c := range s.ld.running {
			c.cancel()
		}
		s.mu.Unlock()
	}
}

// claim is called under s.mu by every write of k (hash h), before it
// changes the shard. A write by the user (c == nil) supersedes the load of
// k in flight, if any, and forgets a remembered not-found of k
// (SetIfAbsent too, even when it then finds a live entry and writes
// nothing: at worst a refresh's result is dropped). For the result of load
// c, claim reports whether the result may be written: not if c was
// superseded (claim then ends c's registration), and not yet if a
// DeleteFunc reached c since it last applied the filters (c.again: the
// caller applies them and claims again).
//
// A load whose result may be written stays registered until the caller has
// written it and calls unregister, still under s.mu: pending must not read
// 0 before the result is in the index, or a lock-free Delete that reads
// pending and then the index could miss both (issue 17, item 1).
func (e *Engine[K, V]) claim(s *shard[K, V], h uint64, k K, c *call[K, V]) bool {
	l := &s.ld
	if c == nil {
		if l.pending.Load() != 0 {
			if old := l.calls[k]; old != nil {
				old.superseded = true
				delete(l.calls, k)
			}
			e.forget(s, h, k)
			l.sync()
		}
		return true
	}
	if !c.superseded && (c.err == nil || c.notFound && !reopen17item2) && len(c.filters) > c.checked {
		c.again = true
		return false
	}
	if c.superseded {
		l.unregister(k, c)
		return false
	}
	if reopen17 {
		// The race of issue 17, item 1, reopened on purpose (build tag
		// hotcache_reopen17): pending drops before the result is written.
		l.unregister(k, c)
		widen()
	}
	return true
}

// unregister ends the registration of load c of k, once its result is
// written or refused, and updates pending. Caller holds the shard lock.
func (l *loadState[K, V]) unregister(k K, c *call[K, V]) {
	delete(l.running, c)
	if l.calls[k] == c {
		delete(l.calls, k)
	}
	l.sync()
}

// join is the step of a GetOrLoad miss (and of GetOrLoadAll's) under s.mu:
// it looks k up again, since a load may have stored k, or remembered it as
// not found, since the lock-free look. If either answers, it returns a nil
// call with the answer, counted. Otherwise it returns the load of k in
// flight, registering a new one if there is none (start reports it; the
// caller then runs it), with the caller counted as one of its waiters.
func (e *Engine[K, V]) join(ctx context.Context, s *shard[K, V], h uint64, k K) (c *call[K, V], start bool, v V, err error) {
	s.mu.Lock()
	now := e.now()
	// Look again under the lock: a load may have stored k, or remembered
	// it as not found, since.
	if n := s.table.Load().find(h, k); n != nil && !n.Expired(now) {
		s.mu.Unlock()
		n.Visit()
		e.hit()
		return nil, false, e.value(n), nil
	}
	if t := s.ld.neg.Load(); t != nil {
		if _, n := t.lookup(h, k); n != nil {
			if !n.Expired(now) {
				s.mu.Unlock()
				e.miss()
				e.lo.negHits.hit()
				return nil, false, v, n.Item.val
			}
			s.ld.forgetNode(t, n)
			s.ld.sync()
		}
	}
	c = s.ld.calls[k]
	if c != nil && !reopen17item2 && (c.superseded || len(c.filters) > c.checked) {
		// A DeleteFunc reached c after it started, and c's value is not
		// known to have escaped it yet: a GetOrLoad that may have started
		// after that DeleteFunc returned must not get c's value. c goes on
		// for its own waiters, but its result will not be stored: the new
		// load's will (issue 17, item 2).
		c.superseded = true
		c = nil
	}
	start = c == nil
	if start {
		c = e.register(ctx, s, k, false)
	}
	c.waiters++
	s.mu.Unlock()
	e.miss()
	return c, start, v, nil
}

// leave is called by a waiter of c whose ctx ended. The last one to leave
// abandons the load: it is unregistered (a later GetOrLoad of k starts a
// new one), its result will not be stored, and its context is cancelled.
func (e *Engine[K, V]) leave(s *shard[K, V], k K, c *call[K, V]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.waiters--; c.waiters > 0 {
		return
	}
	c.superseded = true
	if s.ld.calls[k] == c {
		delete(s.ld.calls, k)
		s.ld.sync()
	}
	c.cancel() // cheap and calls no user code: safe under the lock
}

// register records a new load of k in flight, started by a caller with
// ctx. Caller holds s.mu.
func (e *Engine[K, V]) register(ctx context.Context, s *shard[K, V], k K, refresh bool) *call[K, V] {
	c := &call[K, V]{done: make(chan struct{}), refresh: refresh}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if refresh {
		c.waiters = 1 // Refresh's caller; for refresh-ahead one that never leaves (only Close cancels it)
	}
	if s.ld.calls == nil {
		s.ld.calls = make(map[K]*call[K, V])
	}
	s.ld.calls[k] = c
	if s.ld.running == nil {
		s.ld.running = make(map[*call[K, V]]struct{})
	}
	s.ld.running[c] = struct{}{}
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
func (e *Engine[K, V]) run(h uint64, k K, c *call[K, V], load func(context.Context, K) (V, error)) {
	var d int64
	var w uint64
	var start time.Time
	if e.lo.onLoad != nil {
		start = time.Now()
		defer func() { e.lo.onLoad(k, time.Since(start), c.err) }() // after complete: waiters never wait for it
	}
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
	c.val, c.err = load(c.ctx, k)
	if c.err == nil {
		d = e.valueDeadline(k, c.val) // Expiry panicking counts as load panicking
		w = e.weigh(k, c.val)         // and so does Weigher
	} else {
		c.notFound = errors.Is(c.err, ErrNotFound)
	}
	returned = true
}

// complete writes the result of load c (with deadline d and weight w if it
// is a value), unless c was superseded or a DeleteFunc that reached c
// matches it, and then releases c's waiters. A failed load writes nothing, so a failed
// refresh keeps the current value; a not-found removes it.
func (e *Engine[K, V]) complete(h uint64, k K, c *call[K, V], d int64, w uint64) {
	defer close(c.done) // even if OnEvict panics
	s := e.shard(h)
	switch {
	case c.err == nil:
	case c.notFound:
		s.ld.counts[countNotFound].Add(1)
	case c.refresh:
		s.ld.counts[countRefreshErrors].Add(1)
		if l := e.lo.logger; l != nil {
			l.Warn("hotcache: refresh-ahead failed; the current value is kept until its deadline", "key", k, "err", c.err)
		}
	default:
		s.ld.counts[countLoadErrors].Add(1)
	}
	widen() // between the load's end and the publication of its result
	for {
		if c.err == nil || c.notFound && !reopen17item2 {
			e.applyFilters(s, k, c) // a not-found is judged as the zero value
		}
		c.again = false // only this goroutine writes it once registered
		switch {
		case c.err == nil && (d == 0 || d > e.now()):
			wr := write[K, V]{h: h, k: k, v: c.val, d: d, w: w, c: c}
			e.put(&wr)
		case c.err == nil || c.notFound:
			// Expired already, or gone: remove what k held before.
			e.remove(h, k, evict.Replaced, c)
		default:
			s.mu.Lock()
			if e.claim(s, h, k, c) {
				s.ld.unregister(k, c)
			}
			s.mu.Unlock()
		}
		if !c.again {
			return
		}
	}
}

// applyFilters applies to c's value the DeleteFunc functions that reached
// c since it last looked, with no lock held, and supersedes c if one of
// them matches. A function that panics counts as matching.
func (e *Engine[K, V]) applyFilters(s *shard[K, V], k K, c *call[K, V]) {
	for {
		s.mu.Lock()
		fs := c.filters[c.checked:]
		s.mu.Unlock()
		if len(fs) == 0 {
			return
		}
		match := false
		for _, f := range fs {
			if match = matchSafely(f, k, c.val); match {
				break
			}
		}
		s.mu.Lock()
		c.checked += len(fs)
		c.superseded = c.superseded || match
		s.mu.Unlock()
		if match {
			return
		}
	}
}

// matchSafely returns f(k, v), or true if f panics (the panic belongs to
// the DeleteFunc call, which has its own chance to raise it).
func matchSafely[K comparable, V any](f func(K, V) bool, k K, v V) (match bool) {
	defer func() {
		if recover() != nil {
			match = true
		}
	}()
	return f(k, v)
}
