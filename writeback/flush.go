package writeback

import (
	"context"
	"math/rand/v2"
	"runtime/debug"
)

// item is a pending write taken by a flush: the entry, and the write it
// held when the flush took it. The entry's key never changes, so it is
// read from e (without the lock) rather than copied.
type item[K comparable, V any] struct {
	e      *entry[K, V]
	value  V
	del    bool
	seq    uint64
	failed bool // an earlier store call failed to write this write
}

// flush stores every write pending when it starts, oldest first, MaxBatch
// keys per store call, and records what failed. The caller holds sem, so
// no other flush runs: the entries it takes stay pending (and in the list)
// until it removes them.
func (b *Buffer[K, V]) flush(ctx context.Context) {
	b.mu.Lock()
	items := make([]item[K, V], 0, len(b.pending))
	for e := b.head; e != nil; e = e.next {
		items = append(items, item[K, V]{e: e, value: e.value, del: e.del, seq: e.seq, failed: e.failed})
	}
	b.mu.Unlock()
	if len(items) == 0 {
		return
	}

	var failed []K
	var first error
	succeeded, callFailed := false, false
	for len(items) > 0 {
		batch := items[:min(len(items), b.opts.MaxBatch)]
		items = items[len(batch):]
		errs, ok, bad := b.writeBatch(ctx, batch)
		succeeded, callFailed = succeeded || ok, callFailed || bad
		b.mu.Lock()
		removed := false
		for i, it := range batch {
			e := it.e
			if e.seq != it.seq {
				continue // rewritten meanwhile: the newer write stays pending
			}
			if errs[i] == nil {
				b.remove(e)
				removed = true
				continue
			}
			e.failed = true
			failed = append(failed, it.e.key)
			if first == nil {
				first = errs[i]
			}
		}
		if removed {
			b.freed()
		}
		b.mu.Unlock()
	}
	if succeeded {
		b.stats.flushes.Add(1)
	}

	// The backoff follows the store calls, also those whose writes were
	// superseded meanwhile (their failure is not reported: the newer
	// write is pending).
	b.mu.Lock()
	if first != nil && b.err == nil {
		b.err = first
	}
	switch {
	case !callFailed:
		b.fails, b.hold = 0, 0
	default:
		if succeeded {
			b.fails = 0
		} else {
			b.fails++
		}
		b.hold = b.clock.Now() + int64(b.retryDelay())
	}
	b.mu.Unlock()
	if first != nil {
		b.reportFlushError(&FlushError[K]{Keys: failed, Err: first})
	}
}

// retryDelay returns the pause before the next background flush after a
// failed one: after n flushes in a row whose store calls all failed, a
// random time in [d/2, d] for d = min(RetryDelay × 2^(n−1),
// MaxRetryDelay); after a flush in which some call succeeded, d =
// RetryDelay. Caller holds mu.
func (b *Buffer[K, V]) retryDelay() int64 {
	d, ceiling := int64(b.opts.RetryDelay), int64(b.opts.MaxRetryDelay)
	for i := 1; i < b.fails && d < ceiling; i++ {
		d = min(d, ceiling/2) * 2 // no overflow: d ≤ ceiling after this
	}
	d = min(d, ceiling)
	return d - rand.Int64N(d/2+1)
}

// writeBatch stores one batch of distinct keys and returns each one's
// error, and whether some store call succeeded and some failed: through
// BulkStore if the store has it, else in one TxStore transaction, else one
// call per key. Every call is retried once.
func (b *Buffer[K, V]) writeBatch(ctx context.Context, batch []item[K, V]) (errs []error, ok, failed bool) {
	errs = make([]error, len(batch))
	setAll := func(err error, del bool) {
		ok, failed = ok || err == nil, failed || err != nil
		for i := range batch {
			if batch[i].del == del {
				errs[i] = err
			}
		}
	}
	switch {
	case b.bulk != nil:
		var entries []Entry[K, V]
		var dels []K
		entriesFailed, delsFailed := false, false
		for _, it := range batch {
			if it.del {
				dels = append(dels, it.e.key)
				delsFailed = delsFailed || it.failed
			} else {
				entries = append(entries, Entry[K, V]{it.e.key, it.value})
				entriesFailed = entriesFailed || it.failed
			}
		}
		if len(entries) > 0 {
			setAll(b.retry(ctx, len(entries), entriesFailed, func() error { return b.bulk.StoreMany(ctx, entries) }), false)
		}
		if len(dels) > 0 {
			setAll(b.retry(ctx, len(dels), delsFailed, func() error { return b.bulk.DeleteMany(ctx, dels) }), true)
		}
	case b.tx != nil:
		again := false
		for _, it := range batch {
			again = again || it.failed
		}
		err := b.retry(ctx, len(batch), again, func() error {
			return b.tx.InTx(ctx, func(tx KV[K, V]) error {
				for _, it := range batch {
					if err := apply(ctx, tx, it); err != nil {
						return err
					}
				}
				return nil
			})
		})
		setAll(err, false)
		setAll(err, true)
	default:
		for i, it := range batch {
			errs[i] = b.retry(ctx, 1, it.failed, func() error { return apply(ctx, b.store, it) })
			ok, failed = ok || errs[i] == nil, failed || errs[i] != nil
		}
	}
	return errs, ok, failed
}

// apply performs one pending write on s.
func apply[K comparable, V any](ctx context.Context, s KV[K, V], it item[K, V]) error {
	if it.del {
		return s.Delete(ctx, it.e.key)
	}
	return s.Store(ctx, it.e.key, it.value)
}

// retry makes store call f, writing n keys, and once more if it fails
// while ctx is live. again says that f retries writes an earlier call
// failed to store.
func (b *Buffer[K, V]) retry(ctx context.Context, n int, again bool, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.call(n, again, f)
	if err != nil && ctx.Err() == nil {
		err = b.call(n, true, f)
	}
	return err
}

// call makes store call f, writing n keys, counts it, and turns a panic in
// f into a *PanicError.
func (b *Buffer[K, V]) call(n int, again bool, f func() error) (err error) {
	b.stats.calls.Add(1)
	if again {
		b.stats.retries.Add(1)
	}
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack(), Op: "writeback: store"}
		}
		if err != nil {
			b.stats.errors.Add(1)
		} else {
			b.stats.written.Add(uint64(n))
		}
	}()
	return f()
}
