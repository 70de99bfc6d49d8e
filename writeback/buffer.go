package writeback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// Defaults for the zero fields of [Options].
const (
	// DefaultMaxBatch: a SQLite transaction costs about as much as 20
	// rows written inside one; at 1024 rows per transaction commits are
	// cheap, and one batch still takes only a few milliseconds.
	DefaultMaxBatch = 1024
	// DefaultMaxDelay bounds how long a write waits (and so how much a
	// crash can lose) while still batching hundreds of writes at busy rates.
	DefaultMaxDelay = 10 * time.Millisecond
	// DefaultMaxPendingBatches: with MaxPending 0, the buffer holds up to
	// this many batches of MaxBatch keys (65,536 keys with the default
	// MaxBatch) before writers of new keys wait.
	DefaultMaxPendingBatches = 64
	// DefaultRetryDelay is the first pause after a failed flush.
	DefaultRetryDelay = 100 * time.Millisecond
	// DefaultMaxRetryDelay caps the pause between flushes of a store that
	// keeps failing: once it is back, writes resume within this time.
	DefaultMaxRetryDelay = 5 * time.Second
)

// Options configures a [Buffer]. Zero fields mean the defaults; negative
// numbers are errors.
type Options struct {
	// MaxBatch is how many pending keys start a flush, and the most keys
	// one store call (or transaction) writes. 0 means DefaultMaxBatch.
	MaxBatch int
	// MaxDelay is how long the oldest pending write waits before a flush
	// starts. 0 means DefaultMaxDelay.
	MaxDelay time.Duration
	// MaxPending bounds the keys pending at once. When that many are
	// pending, Store and Delete of a key not pending wait until a flush
	// makes room or their context ends; writes of pending keys coalesce
	// at once. 0 means DefaultMaxPendingBatches × MaxBatch.
	MaxPending int
	// RetryDelay is the pause after a flush in which a store call failed,
	// before the background goroutine flushes again. It doubles after
	// each flush in which every store call failed, up to MaxRetryDelay,
	// and comes back to RetryDelay after a flush in which a call
	// succeeded. Each pause is drawn at random between half the delay and
	// the delay (jitter), so that buffers failing together do not retry in
	// step. 0 means DefaultRetryDelay.
	RetryDelay time.Duration
	// MaxRetryDelay caps the pause between failing flushes. 0 means
	// DefaultMaxRetryDelay, or RetryDelay if that is longer; it must not
	// be less than RetryDelay.
	MaxRetryDelay time.Duration
	// Clock measures MaxDelay and the retry delays. nil means the time
	// package's clock (which testing/synctest controls: tests run the
	// buffer in a bubble). The background goroutine sleeps on a
	// time.Timer set from this clock's readings, so with a clock the time
	// package does not drive, such as a *clock.Manual, the timer still
	// runs in real time; the deprecated [Buffer.Tick] makes the goroutine
	// check at once.
	Clock clock.Clock
	// OnError, if set, is called with a *FlushError after every flush,
	// background or not, that left writes unstored. It runs on the
	// flushing goroutine with no lock held and must not call Flush or
	// Close (they return an error at once). It may Store or Delete, but with MaxPending keys pending a
	// write of a key not pending would wait for the flush that called
	// OnError: such a write returns [ErrFullInOnError] at once instead.
	OnError func(error)
	// Logger, if set, receives a Warn record for every flush that left
	// writes unstored (the *FlushError: how many keys, the first error),
	// as OnError does; nil means no logging (pass slog.Default() for the
	// process's logger), as in shard.Options.Logger and
	// tier.Options.Logger. Records carry no key or value.
	Logger *slog.Logger
}

// Buffer is a write-behind buffer in front of a slow store ([KV]): Store
// and Delete queue the write in memory and return; writes coalesce per key
// (the last one wins; a delete is a write); a background goroutine stores
// them in batches. Buffer is itself a KV, so it stacks (e.g. under a
// [Cache]).
//
// A flush starts when MaxBatch keys are pending or the oldest pending write
// is MaxDelay old, and on [Buffer.Flush]. It writes through [BulkStore] when
// the store has it, else one [TxStore] transaction per batch, else one call
// per key; the keys of one call are distinct. A failed call of one key is
// retried once; a failed call of many (a BulkStore call, a transaction) is
// retried as two calls, one per half of its keys, so that a write the
// store rejects (a poison value) does not hold back the keys batched with
// it: if one half is stored and the other fails, the failed half is split
// again, down to the one write the store rejects, which is isolated (from
// then on written alone, until it is rewritten, and retried on a backoff
// of its own, like RetryDelay's, which delays no other write); if both
// halves fail (the store may be down), the next flush writes each half in
// a call of its own. With one rejected write in a batch of n, the n−1
// others are stored by the same flush, in 1 + 2·log₂(n) calls (21 for
// 1,024 keys). With one call per key, a write whose call and retry fail
// while other writes of the flush are stored is isolated likewise. A
// store call that panics fails like one that returns an error (a
// [*PanicError]). Writes that still fail stay pending (a newer write of
// the key replaces them), are reported to OnError, and make the next Flush
// or Close return a [*FlushError] naming their keys: no write is lost
// silently. After a flush with a failed call, the background goroutine
// waits RetryDelay (then longer, see [Options]) before the next, so a
// store that is down is called at most twice per pending key per pause.
//
// Store, Delete and Load lock the buffer's map briefly; they never wait for
// the store, except Load of a key that is not pending, and Store or Delete
// of a new key while MaxPending keys are pending (back-pressure).
//
// Buffer is safe for concurrent use: one mutex guards the pending writes,
// and one flush runs at a time (a semaphore orders the background
// goroutine, Flush and Close), with the mutex released during store calls.
// A write that Store or Delete accepted happens before the store call that
// writes it. Close must be called to stop the goroutine. Values are kept
// as given: do not modify them after Store.
type Buffer[K comparable, V any] struct {
	store KV[K, V]
	bulk  BulkStore[K, V]
	tx    TxStore[K, V]
	opts  Options
	clock clock.Clock

	mu         sync.Mutex
	pending    map[K]*entry[K, V]
	head, tail *entry[K, V]  // the pending entries, oldest unstored write first
	room       chan struct{} // closed (and replaced) when keys stop pending, and on Close
	seq        uint64
	hold       int64 // after a failed flush: no background flush before this
	fails      int   // consecutive flushes whose store calls all failed
	// The isolated entries (entry.alone) are in a list of their own,
	// retried on a backoff of their own, so that a write the store rejects
	// does not delay the others either.
	isoHead, isoTail *entry[K, V]
	isoN             int   // entries in that list
	isoHold          int64 // no background retry of the isolated writes before this
	isoFails         int   // consecutive flushes that failed to store any isolated write
	err              error // first store error not yet returned by Flush or Close
	closed           bool

	sem    chan struct{}      // held by the one flush running
	kick   chan struct{}      // asks the goroutine to check due() and its timer
	tick   chan chan struct{} // Tick's requests
	stop   chan struct{}      // closed by Close
	done   chan struct{}      // closed when the goroutine has exited
	cancel context.CancelFunc // cancels the background flush's context

	stats   counters
	onErrGo atomic.Uint64 // the goroutine running OnError (see goid), 0 when none
}

// entry is a pending key and its latest write. Its fields but key (set
// once, before the entry is shared) are guarded by Buffer.mu. The list through prev and next holds every pending entry,
// in the order its key became pending: the oldest unstored write first.
type entry[K comparable, V any] struct {
	key        K
	value      V
	del        bool
	seq        uint64 // unique per write: a flush removes only the write it stored
	since      int64  // time of the key's oldest write not yet stored
	failed     bool   // storing this write failed
	limit      int    // 0: not failed; else the keys of the last call it failed in, the most its next call writes
	alone      bool   // isolated: failed in a call of its own while the rest of its batch was stored; written alone until rewritten
	prev, next *entry[K, V]
}

// counters are the Stats counters, bumped by the flushing goroutine.
type counters struct {
	flushes, calls, errors, retries, written, splits, isolated atomic.Uint64
}

// New returns a buffer in front of store and starts its goroutine. It
// returns an error naming the problem if store is nil or an option is
// negative.
func New[K comparable, V any](store KV[K, V], opts Options) (*Buffer[K, V], error) {
	switch {
	case store == nil:
		return nil, errors.New("writeback: store must not be nil")
	case opts.MaxBatch < 0:
		return nil, fmt.Errorf("writeback: MaxBatch must be >= 0, got %d", opts.MaxBatch)
	case opts.MaxDelay < 0:
		return nil, fmt.Errorf("writeback: MaxDelay must be >= 0, got %v", opts.MaxDelay)
	case opts.MaxPending < 0:
		return nil, fmt.Errorf("writeback: MaxPending must be >= 0, got %d", opts.MaxPending)
	case opts.RetryDelay < 0:
		return nil, fmt.Errorf("writeback: RetryDelay must be >= 0, got %v", opts.RetryDelay)
	case opts.MaxRetryDelay < 0:
		return nil, fmt.Errorf("writeback: MaxRetryDelay must be >= 0, got %v", opts.MaxRetryDelay)
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.MaxPending == 0 {
		opts.MaxPending = DefaultMaxPendingBatches * opts.MaxBatch
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.MaxRetryDelay == 0 {
		opts.MaxRetryDelay = max(DefaultMaxRetryDelay, opts.RetryDelay)
	}
	if opts.MaxRetryDelay < opts.RetryDelay {
		return nil, fmt.Errorf("writeback: MaxRetryDelay (%v) must be >= RetryDelay (%v)", opts.MaxRetryDelay, opts.RetryDelay)
	}
	b := &Buffer[K, V]{
		store: store, opts: opts, clock: opts.Clock,
		pending: map[K]*entry[K, V]{},
		room:    make(chan struct{}),
		sem:     make(chan struct{}, 1),
		kick:    make(chan struct{}, 1),
		tick:    make(chan chan struct{}),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if b.clock == nil {
		b.clock = timeClock{}
	}
	b.bulk, _ = store.(BulkStore[K, V])
	b.tx, _ = store.(TxStore[K, V])
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.run(ctx)
	return b, nil
}

// ErrFullInOnError is returned by Store and Delete called from
// Options.OnError for a key that is not pending while MaxPending keys are:
// waiting for room would wait for the flush that is running OnError, for
// ever. The write is not queued.
var ErrFullInOnError = errors.New("writeback: Store or Delete of a new key from OnError while MaxPending keys are pending: " +
	"it would wait for room that only the flush running OnError can make (write fewer keys from OnError, or raise MaxPending)")

// errFlushInOnError is returned by Flush and Close called from
// Options.OnError, which they would wait for.
var errFlushInOnError = errors.New("writeback: Flush or Close called from OnError: it would wait for the flush that is running OnError")

// onError calls Options.OnError with err, noting the goroutine that runs it.
func (b *Buffer[K, V]) onError(err error) {
	b.onErrGo.Store(goid())
	defer b.onErrGo.Store(0)
	b.opts.OnError(err)
}

// inOnError reports whether the calling goroutine is running OnError.
func (b *Buffer[K, V]) inOnError() bool {
	g := b.onErrGo.Load()
	return g != 0 && g == goid()
}

// goid returns the calling goroutine's id, read from the first line of its
// stack trace ("goroutine 18 [running]:"), or 0 if that fails. It costs
// about a microsecond, so it is used only where a write would otherwise
// wait.
func goid() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line, ok := bytes.CutPrefix(line, []byte("goroutine "))
	if !ok {
		return 0
	}
	var id uint64
	for _, c := range line {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// timeClock reads the time package's clock.
type timeClock struct{}

func (timeClock) Now() int64 { return time.Now().UnixNano() }

// Load returns key's pending value, shard.ErrNotFound if its pending write
// is a delete, or else what the store returns.
func (b *Buffer[K, V]) Load(ctx context.Context, key K) (V, error) {
	b.mu.Lock()
	e, ok := b.pending[key]
	var v V
	var del bool
	if ok {
		v, del = e.value, e.del
	}
	b.mu.Unlock()
	switch {
	case !ok:
		return b.store.Load(ctx, key)
	case del:
		return v, shard.ErrNotFound
	}
	return v, nil
}

// Store queues value for key. It returns ErrClosed after Close. If key is
// not pending and MaxPending keys are, it first waits for room; if ctx
// ends first, it returns ctx's error and the write is not queued.
// Otherwise it returns nil.
func (b *Buffer[K, V]) Store(ctx context.Context, key K, value V) error {
	return b.write(ctx, key, value, false)
}

// Delete queues the deletion of key; it returns what [Buffer.Store] would.
func (b *Buffer[K, V]) Delete(ctx context.Context, key K) error {
	var zero V
	return b.write(ctx, key, zero, true)
}

func (b *Buffer[K, V]) write(ctx context.Context, key K, value V, del bool) error {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return ErrClosed
		}
		e, ok := b.pending[key]
		if !ok && len(b.pending) >= b.opts.MaxPending {
			if b.inOnError() {
				b.mu.Unlock()
				return ErrFullInOnError
			}
			room := b.room
			b.mu.Unlock()
			b.wake() // full: make sure a flush is on its way
			select {
			case <-room:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		b.seq++
		if ok {
			e.value, e.del, e.seq = value, del, b.seq
			e.failed, e.limit = false, 0 // a new write: batched like any other
			wake := false
			if e.alone { // its rejected write is replaced: back to the main list
				b.unlink(e)
				e.alone, e.since = false, b.clock.Now()
				b.link(e)
				wake = b.head == e // the goroutine's timer may be set for isoHold only
			}
			b.mu.Unlock()
			if wake {
				b.wake()
			}
			return nil
		}
		e = &entry[K, V]{key: key, value: value, del: del, seq: b.seq, since: b.clock.Now()}
		b.pending[key] = e
		b.link(e)
		n := len(b.pending) - b.isoN
		wake := n == 1 || n >= b.trigger()
		b.mu.Unlock()
		if wake {
			b.wake()
		}
		return nil
	}
}

// trigger is how many pending keys make a flush due.
func (b *Buffer[K, V]) trigger() int { return min(b.opts.MaxBatch, b.opts.MaxPending) }

// ends returns the head and tail of the list of the entries that are
// isolated (alone) or not. Caller holds mu.
func (b *Buffer[K, V]) ends(alone bool) (head, tail **entry[K, V]) {
	if alone {
		return &b.isoHead, &b.isoTail
	}
	return &b.head, &b.tail
}

// link appends e to its list (by e.alone). Caller holds mu.
func (b *Buffer[K, V]) link(e *entry[K, V]) {
	head, tail := b.ends(e.alone)
	e.prev = *tail
	if *tail == nil {
		*head = e
	} else {
		(*tail).next = e
	}
	*tail = e
	if e.alone {
		b.isoN++
	}
}

// unlink takes e out of its list (by e.alone). Caller holds mu.
func (b *Buffer[K, V]) unlink(e *entry[K, V]) {
	head, tail := b.ends(e.alone)
	if e.prev == nil {
		*head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		*tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next = nil, nil
	if e.alone {
		b.isoN--
	}
}

// remove takes e's key out of the pending writes. Caller holds mu.
func (b *Buffer[K, V]) remove(e *entry[K, V]) {
	b.unlink(e)
	delete(b.pending, e.key)
}

// freed wakes the writers waiting for room. Caller holds mu.
func (b *Buffer[K, V]) freed() {
	close(b.room)
	b.room = make(chan struct{})
}

// wake asks the background goroutine to check its triggers.
func (b *Buffer[K, V]) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Flush stores every pending write (waiting for a background flush in
// progress first), whatever the retry delay. It returns nil if all are
// stored and no flush has failed since the previous Flush or Close
// returned; otherwise a [*FlushError] whose Keys are the writes still
// pending, or ctx's error if ctx ended before the flush could start. Flush
// may be called after Close, to retry what Close could not store.
func (b *Buffer[K, V]) Flush(ctx context.Context) error {
	if b.inOnError() {
		return errFlushInOnError
	}
	select {
	case b.sem <- struct{}{}:
	default: // a flush is running: wait for it, or for ctx
		select {
		case b.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-b.sem }()
	b.flush(ctx, true)
	b.wake() // have the goroutine re-arm its timer for what is left
	return b.takeErr()
}

// Close stops the background goroutine (cancelling its store call if ctx
// ends first), makes Store and Delete return ErrClosed (those waiting for
// room too), and flushes what is pending. It returns what Flush would; the
// [*FlushError]'s Keys then name every write not stored. No goroutine of
// the buffer runs after Close returns. Calling Close again retries the
// flush.
func (b *Buffer[K, V]) Close(ctx context.Context) error {
	if b.inOnError() {
		return errFlushInOnError
	}
	b.mu.Lock()
	first := !b.closed
	if first {
		b.closed = true
		b.freed()
	}
	b.mu.Unlock()
	if first {
		close(b.stop)
		select {
		case <-b.done:
		case <-ctx.Done():
			b.cancel()
			<-b.done
		}
		b.cancel()
	}
	return b.Flush(ctx)
}

// Tick makes the background goroutine check now whether a flush is due
// and waits until it has checked and finished the flush it started.
//
// Deprecated: Tick is a test hook for clocks that drive no timers, such as
// *clock.Manual. Run the buffer in a testing/synctest bubble with the
// default clock instead: its timer then follows the bubble's time.
func (b *Buffer[K, V]) Tick() { b.tickNow() }

// tickNow makes the background goroutine check now whether a flush is due (by
// MaxBatch, or by MaxDelay or the retry delay on Options.Clock) and waits
// until it has checked and finished the flush it started. It is for
// clocks that do not drive timers, such as *clock.Manual in tests; with
// the default clock the goroutine's timer does the same. It returns at
// once after Close.
func (b *Buffer[K, V]) tickNow() {
	ack := make(chan struct{})
	select {
	case b.tick <- ack:
		<-ack
	case <-b.done:
	}
}

// run is the background goroutine. A write to an empty buffer, or one
// that makes MaxBatch keys pending, kicks it; it then flushes if a flush is
// due and (re)arms its timer for the next deadline.
func (b *Buffer[K, V]) run(ctx context.Context) {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var ack chan struct{}
		select {
		case <-b.stop:
			return
		case <-b.kick:
		case <-timer.C:
		case ack = <-b.tick:
		}
		due, wait := b.due()
		if due {
			select {
			case b.sem <- struct{}{}:
				b.flush(ctx, false)
				<-b.sem
			case <-b.stop:
			}
			_, wait = b.due() // the flush changed what is pending
		}
		if ack != nil {
			close(ack)
		}
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
	}
}

// due reports whether a background flush is due, and else how long until
// one will be (-1: nothing waits to be flushed). A flush is due when
// MaxBatch keys are pending or the oldest pending write is MaxDelay old,
// and not before the pause after a failed flush; isolated writes are due
// at the end of their own pause.
func (b *Buffer[K, V]) due() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.head == nil && b.isoHead == nil {
		return false, -1
	}
	now := b.clock.Now()
	at := int64(math.MaxInt64)
	if b.head != nil {
		at = b.head.since + int64(b.opts.MaxDelay)
		if len(b.pending)-b.isoN >= b.trigger() {
			at = now
		}
	}
	if b.isoHead != nil {
		at = min(at, b.isoHold)
	}
	at = max(at, b.hold)
	if now >= at {
		return true, 0
	}
	return false, time.Duration(at - now)
}

// oldest returns the time of the oldest write pending, if any. Caller
// holds mu.
func (b *Buffer[K, V]) oldest() (int64, bool) {
	at, ok := int64(0), b.head != nil
	if ok {
		at = b.head.since
	}
	for p := b.isoHead; p != nil; p = p.next {
		if !ok || p.since < at {
			at, ok = p.since, true
		}
	}
	return at, ok
}

// takeErr returns, and forgets, the error for the stores failed since it
// was last called.
func (b *Buffer[K, V]) takeErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		return nil
	}
	e := &FlushError[K]{Err: b.err}
	for _, p := range []*entry[K, V]{b.isoHead, b.head} {
		for ; p != nil; p = p.next {
			if p.failed {
				e.Keys = append(e.Keys, p.key)
			}
		}
	}
	b.err = nil
	return e
}

// Stats returns a snapshot of the buffer's counters. It takes the buffer's
// lock briefly, as Store does.
func (b *Buffer[K, V]) Stats() BufferStats {
	b.mu.Lock()
	st := BufferStats{Pending: len(b.pending)}
	if oldest, ok := b.oldest(); ok {
		st.OldestPending = time.Duration(max(b.clock.Now()-oldest, 0))
	}
	b.mu.Unlock()
	st.Flushes = b.stats.flushes.Load()
	st.StoreCalls = b.stats.calls.Load()
	st.StoreErrors = b.stats.errors.Load()
	st.Retries = b.stats.retries.Load()
	st.Written = b.stats.written.Load()
	st.Splits = b.stats.splits.Load()
	st.Isolated = b.stats.isolated.Load()
	return st
}
