package writeback

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// Clock measures MaxDelay. nil means the time package's clock (which
	// testing/synctest controls). With a clock the time package does not
	// drive, such as a *clock.Manual, call [Buffer.Tick] after moving it.
	Clock clock.Clock
	// OnError, if set, is called with a *FlushError after every flush,
	// background or not, that left writes unstored. It runs on the
	// flushing goroutine with no lock held and must not call Flush or Close.
	OnError func(error)
}

// Buffer is a write-behind buffer in front of a slow [Store]: Store and
// Delete queue the write in memory and return; writes coalesce per key (the
// last one wins; a delete is a write); a background goroutine stores them in
// batches. Buffer is itself a Store, so it stacks (e.g. under a [Cache]).
//
// A flush starts when MaxBatch keys are pending or the oldest pending write
// is MaxDelay old, and on [Buffer.Flush]. It writes through [BulkStore] when
// the store has it, else one [TxStore] transaction per batch, else one call
// per key. A failed call is retried once; writes that still fail stay
// pending (a newer write of the key replaces them), are reported to
// OnError, and make the next Flush or Close return a [*FlushError] naming
// their keys. A failed background flush is retried MaxDelay later.
//
// Store, Delete and Load lock the buffer's map briefly; they never wait for
// the store, except Load of a key that is not pending. Writers are not
// slowed down when the store falls behind: pending writes then grow.
//
// Buffer is safe for concurrent use. Close must be called to stop its
// goroutine. Values are kept as given: do not modify them after Store.
type Buffer[K comparable, V any] struct {
	store Store[K, V]
	bulk  BulkStore[K, V]
	tx    TxStore[K, V]
	opts  Options
	clock clock.Clock

	mu      sync.Mutex
	pending map[K]op[V]
	seq     uint64
	order   []K   // pending keys not being flushed, oldest first write first
	hold    int64 // after a failed background flush: no other before this
	err     error // first store error not yet returned by Flush or Close
	closed  bool

	sem    chan struct{}      // held by the one flush running
	kick   chan struct{}      // asks the goroutine to check due() and its timer
	tick   chan chan struct{} // Tick's requests
	stop   chan struct{}      // closed by Close
	done   chan struct{}      // closed when the goroutine has exited
	cancel context.CancelFunc // cancels the background flush's context

	stats counters
}

// counters are the Stats counters that the flushing goroutine bumps.
type counters struct {
	flushes, calls, errors, retries, written atomic.Uint64
}

// op is a key's latest pending write.
type op[V any] struct {
	value  V
	del    bool
	seq    uint64 // unique per write: a flush removes only the op it stored
	since  int64  // time of the key's oldest write not yet stored
	failed bool   // storing this op failed
}

// New returns a buffer in front of store and starts its goroutine. It
// returns an error naming the problem if store is nil or an option is
// negative.
func New[K comparable, V any](store Store[K, V], opts Options) (*Buffer[K, V], error) {
	switch {
	case store == nil:
		return nil, errors.New("writeback: store must not be nil")
	case opts.MaxBatch < 0:
		return nil, fmt.Errorf("writeback: MaxBatch must be >= 0, got %d", opts.MaxBatch)
	case opts.MaxDelay < 0:
		return nil, fmt.Errorf("writeback: MaxDelay must be >= 0, got %v", opts.MaxDelay)
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	b := &Buffer[K, V]{
		store: store, opts: opts, clock: opts.Clock,
		pending: map[K]op[V]{},
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

// timeClock reads the time package's clock.
type timeClock struct{}

func (timeClock) Now() int64 { return time.Now().UnixNano() }

// Load returns key's pending value, shard.ErrNotFound if its pending write
// is a delete, or else what the store returns.
func (b *Buffer[K, V]) Load(ctx context.Context, key K) (V, error) {
	b.mu.Lock()
	o, ok := b.pending[key]
	b.mu.Unlock()
	if !ok {
		return b.store.Load(ctx, key)
	}
	if o.del {
		var zero V
		return zero, shard.ErrNotFound
	}
	return o.value, nil
}

// Store queues value for key; it returns ErrClosed after Close, else nil.
func (b *Buffer[K, V]) Store(_ context.Context, key K, value V) error {
	return b.write(key, op[V]{value: value})
}

// Delete queues the deletion of key; it returns ErrClosed after Close, else
// nil.
func (b *Buffer[K, V]) Delete(_ context.Context, key K) error {
	return b.write(key, op[V]{del: true})
}

func (b *Buffer[K, V]) write(key K, o op[V]) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	b.seq++
	o.seq = b.seq
	if old, ok := b.pending[key]; ok {
		o.since = old.since
	} else {
		o.since = b.clock.Now()
		b.order = append(b.order, key)
	}
	b.pending[key] = o
	wake := len(b.order) == 1 || len(b.order) >= b.opts.MaxBatch
	b.mu.Unlock()
	if wake {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Flush stores every pending write (waiting for a background flush in
// progress first). It returns nil if all are stored and no flush has failed
// since the previous Flush or Close returned; otherwise a [*FlushError]
// whose Keys are the writes still pending, or ctx's error if ctx ended
// before the flush could start. Flush may be called after Close, to retry
// what Close could not store.
func (b *Buffer[K, V]) Flush(ctx context.Context) error {
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
	b.flush(ctx, false)
	return b.takeErr()
}

// Close stops the background goroutine (cancelling its store call if ctx
// ends first), makes Store and Delete return ErrClosed, and flushes what is
// pending. It returns what Flush would; the [*FlushError]'s Keys then name
// every write not stored. No goroutine of the buffer runs after Close
// returns. Calling Close again retries the flush.
func (b *Buffer[K, V]) Close(ctx context.Context) error {
	b.mu.Lock()
	first := !b.closed
	b.closed = true
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

// Tick makes the background goroutine check now whether a flush is due (by
// MaxBatch, or by MaxDelay on Options.Clock) and waits until it has checked
// and finished the flush it started. It is for clocks that do not drive
// timers, such as *clock.Manual in tests; with the default clock the
// goroutine's timer does the same. Tick returns at once after Close.
func (b *Buffer[K, V]) Tick() {
	ack := make(chan struct{})
	select {
	case b.tick <- ack:
		<-ack
	case <-b.done:
	}
}

// run is the background goroutine. A write to an empty buffer, or one
// that makes MaxBatch keys pending, kicks it; it then flushes if a flush is
// due and (re)arms its timer for the next MaxDelay deadline.
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
		if due, _ := b.due(); due {
			select {
			case b.sem <- struct{}{}:
				b.flush(ctx, true)
				<-b.sem
			case <-ctx.Done():
			}
		}
		if ack != nil {
			close(ack)
		}
		if _, wait := b.due(); wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
	}
}

// due reports whether a background flush is due, and else how long until
// MaxDelay makes one due (-1: nothing waits to be flushed).
func (b *Buffer[K, V]) due() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.order) == 0 {
		return false, -1
	}
	now := b.clock.Now()
	at := max(b.pending[b.order[0]].since+int64(b.opts.MaxDelay), b.hold)
	if now >= at || (now >= b.hold && len(b.order) >= b.opts.MaxBatch) {
		return true, 0
	}
	return false, time.Duration(at - now)
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
	for k, o := range b.pending {
		if o.failed {
			e.Keys = append(e.Keys, k)
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
	if len(b.pending) > 0 {
		oldest := int64(math.MaxInt64)
		for _, o := range b.pending {
			oldest = min(oldest, o.since)
		}
		st.OldestPending = time.Duration(max(b.clock.Now()-oldest, 0))
	}
	b.mu.Unlock()
	st.Flushes = b.stats.flushes.Load()
	st.StoreCalls = b.stats.calls.Load()
	st.StoreErrors = b.stats.errors.Load()
	st.Retries = b.stats.retries.Load()
	st.Written = b.stats.written.Load()
	return st
}
