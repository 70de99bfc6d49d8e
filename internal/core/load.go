package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/evictq"
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

// forgetFunc forgets the remembered not-founds of s whose key f reports
// true for with the zero value (for DeleteFunc). f runs with no lock held.
func (e *Engine[K, V]) forgetFunc(s *shard[K, V], f func(K, V) bool) {
	t := s.ld.neg.Load()
	if t == nil {
		return
	}
	var zero V
	var doomed []*node[K, error]
	forEach(t, func(n *node[K, error]) {
		if f(n.Item.key, zero) {
			doomed = append(doomed, n)
		}
	})
	if len(doomed) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range doomed {
		t := s.ld.neg.Load()
		if t == nil {
			break
		}
		if _, cur := t.lookup(n.Hash(), n.Item.key); cur == n {
			s.ld.forgetNode(t, n)
		}
	}
	s.ld.sync()
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

// negative returns the error remembered for k (hash h) in s, if it is live.
// Lock-free.
func (e *Engine[K, V]) negative(s *shard[K, V], h uint64, k K) (error, bool) {
	if t := s.ld.neg.Load(); t != nil {
		if n := t.find(h, k); n != nil && !n.Expired(e.now()) {
			return n.Item.val, true
		}
	}
	return nil, false
}

// remember records k (hash h) as not found with err for NegativeTTL.
// Caller holds s.mu and calls l.sync afterwards.
func (e *Engine[K, V]) remember(s *shard[K, V], h uint64, k K, err error) {
	l := &s.ld
	n := evictq.NewNode(entry[K, error]{key: k, val: err}, e.deadline(e.lo.negTTL), h)
	t := l.neg.Load()
	if t == nil {
		t = newTable[K, error](1)
		l.neg.Store(t)
	}
	if slot := t.slot(h, k); slot != nil {
		slot.Store(n) // a new node: readers of the old one see a consistent one
		return
	}
	if l.negCount >= max(s.capacity, 1) {
		// Full: forget the next remembered key from the sweep position,
		// so remembered keys never outnumber the shard's capacity.
		if old := nextNode(t, &l.negPos); old != nil {
			t.remove(old.Hash(), old)
			l.negCount--
		}
	}
	t.insert(h, n)
	if l.negCount++; l.negCount*maxLoadDen > len(t.buckets)*maxLoadNum {
		l.neg.Store(reindex(t, 2*len(t.buckets)))
	}
}

// forget drops the remembered not-found of k (hash h), if any. Caller
// holds s.mu and calls l.sync afterwards.
func (e *Engine[K, V]) forget(s *shard[K, V], h uint64, k K) {
	l := &s.ld
	t := l.neg.Load()
	if t == nil {
		return
	}
	if _, n := t.lookup(h, k); n != nil {
		l.forgetNode(t, n)
	}
}

// forgetNode removes n from t, the neg table, shrinking it when it is
// mostly empty. Caller holds the shard lock and calls sync afterwards.
func (l *loadState[K, V]) forgetNode(t *table[K, error], n *node[K, error]) {
	t.remove(n.Hash(), n)
	l.negCount--
	if len(t.buckets) > 1 && l.negCount*maxLoadDen*8 < len(t.buckets)*maxLoadNum {
		l.neg.Store(reindex(t, bucketsFor(l.negCount)))
	}
}

// nextNode returns the first node at or after bucket *pos of t (wrapping
// around), advancing *pos past its bucket, or nil if t is empty.
func nextNode[K comparable, V any](t *table[K, V], pos *uint64) *node[K, V] {
	for range t.buckets {
		bi := *pos & t.mask
		*pos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil {
					return n
				}
			}
		}
	}
	return nil
}

// reindex returns a table of nbuckets buckets holding t's nodes.
func reindex[K comparable, V any](t *table[K, V], nbuckets int) *table[K, V] {
	nt := newTable[K, V](nbuckets)
	forEach(t, func(n *node[K, V]) { nt.insert(n.Hash(), n) })
	return nt
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
			e.put(h, k, c.val, d, w, false, c)
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
	if e.access != 0 {
		return e.newAccessNode(item, h, d) // access.go; RefreshAhead excluded
	}
	if e.lo.refresh == 0 {
		return evictq.NewNode(item, d, h)
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
	c := e.register(ctx, s, k, true)
	s.mu.Unlock()
	go e.run(h, k, c, load)
}

// valueDeadline returns the deadline of v written under k now: TTL; or
// with Options.ExpireAfter, now + ExpireAfter(k, v) (TTL for 0); or with
// Options.Expiry, Expiry(k, v) (TTL for a zero time) shortened to
// ExpiryFraction of the time left, minus Skew; either capped at MaxTTL
// from now. A deadline in the past (or a negative ExpireAfter) is returned
// as a negative number if it would otherwise read as 0 (never).
func (e *Engine[K, V]) valueDeadline(k K, v V) int64 {
	if f := e.lo.expireAfter; f != nil {
		ttl := f(k, v)
		switch {
		case ttl < 0:
			return -1
		case ttl == 0:
			ttl = e.ttl
		}
		return e.capped(e.deadline(ttl))
	}
	d := e.deadline(e.ttl)
	if e.lo.expiry == nil {
		return d
	}
	if t := e.lo.expiry(k, v); !t.IsZero() {
		d = unixNano(t)
		if f := e.lo.fraction; f != 0 && f != 1 {
			if now := e.now(); d > now {
				d = now + int64(f*float64(d-now))
			}
		}
		if d <= e.lo.skew {
			return -1
		}
		d -= e.lo.skew
	}
	return e.capped(d)
}

// capped returns deadline d capped at MaxTTL from now, if MaxTTL is set.
func (e *Engine[K, V]) capped(d int64) int64 {
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

// setIfAbsentExpiry is SetIfAbsent under Options.Expiry or ExpireAfter,
// once no live entry was found: a value already expired is not stored.
func (e *Engine[K, V]) setIfAbsentExpiry(h uint64, k K, v V) (V, bool) {
	d := e.valueDeadline(k, v)
	if d != 0 && d <= e.now() {
		actual, _ := e.Peek(h, k)
		return actual, false
	}
	return e.store(h, k, v, d, true, nil)
}

// sweepNegative forgets expired not-founds of s, examining at most
// negativeSweep buckets of them (from where the last sweep stopped) so the
// lock is held briefly.
func (e *Engine[K, V]) sweepNegative(s *shard[K, V]) {
	if s.ld.neg.Load() == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ld.neg.Load()
	if t == nil {
		return
	}
	now := e.now()
	var gone []*node[K, error]
	for steps := 0; steps < len(t.buckets) && steps < negativeSweep; steps++ {
		bi := s.ld.negPos & t.mask
		s.ld.negPos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil && n.Expired(now) {
					gone = append(gone, n)
				}
			}
		}
	}
	for _, n := range gone {
		s.ld.forgetNode(s.ld.neg.Load(), n) // forgetNode may have reindexed
	}
	s.ld.sync()
}

// negativeSweep bounds one sweep of remembered not-founds per shard, in
// buckets (of up to six keys each, plus overflow): about as long under the
// lock as sixteen batches of the entry sweep.
const negativeSweep = 16 * sweepBatch / slotsPerBucket
