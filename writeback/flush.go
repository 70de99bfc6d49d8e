package writeback

import "context"

// item is a pending write taken by a flush.
type item[K comparable, V any] struct {
	key K
	op  op[V]
}

// flush stores every write pending when it starts, oldest first, MaxBatch
// keys per store call, and records what failed. The caller holds sem.
// After a failed background flush, the next waits MaxDelay.
func (b *Buffer[K, V]) flush(ctx context.Context, background bool) {
	b.mu.Lock()
	keys := b.order
	b.order = nil
	items := make([]item[K, V], len(keys))
	for i, k := range keys {
		items[i] = item[K, V]{k, b.pending[k]}
	}
	b.mu.Unlock()

	var failed []K
	var first error
	wrote := false
	for len(items) > 0 {
		batch := items[:min(len(items), b.opts.MaxBatch)]
		items = items[len(batch):]
		errs := b.writeBatch(ctx, batch)
		b.mu.Lock()
		for i, it := range batch {
			cur, ok := b.pending[it.key]
			if !ok || cur.seq != it.op.seq {
				continue // superseded by a newer write, which stays pending
			}
			if errs[i] == nil {
				wrote = true
				delete(b.pending, it.key)
				continue
			}
			cur.failed = true
			b.pending[it.key] = cur
			failed = append(failed, it.key)
			if first == nil {
				first = errs[i]
			}
		}
		b.mu.Unlock()
	}

	if wrote {
		b.stats.flushes.Add(1)
	}
	b.mu.Lock()
	var kept []K // failed or rewritten during the flush: back in front
	for _, k := range keys {
		if _, ok := b.pending[k]; ok {
			kept = append(kept, k)
		}
	}
	b.order = append(kept, b.order...)
	if first != nil {
		if b.err == nil {
			b.err = first
		}
		if background {
			b.hold = b.clock.Now() + int64(b.opts.MaxDelay)
		}
	}
	b.mu.Unlock()
	select { // have the goroutine re-arm its timer for what is left
	case b.kick <- struct{}{}:
	default:
	}
	if first != nil && b.opts.OnError != nil {
		b.opts.OnError(&FlushError[K]{Keys: failed, Err: first})
	}
}

// writeBatch stores one batch of distinct keys and returns each one's error:
// through BulkStore if the store has it, else in one TxStore transaction,
// else one call per key. Every call is retried once.
func (b *Buffer[K, V]) writeBatch(ctx context.Context, batch []item[K, V]) []error {
	errs := make([]error, len(batch))
	setAll := func(err error, del bool) {
		for i := range batch {
			if batch[i].op.del == del {
				errs[i] = err
			}
		}
	}
	switch {
	case b.bulk != nil:
		var entries []Entry[K, V]
		var dels []K
		for _, it := range batch {
			if it.op.del {
				dels = append(dels, it.key)
			} else {
				entries = append(entries, Entry[K, V]{it.key, it.op.value})
			}
		}
		if len(entries) > 0 {
			setAll(b.retry(ctx, len(entries), func() error { return b.bulk.StoreMany(ctx, entries) }), false)
		}
		if len(dels) > 0 {
			setAll(b.retry(ctx, len(dels), func() error { return b.bulk.DeleteMany(ctx, dels) }), true)
		}
	case b.tx != nil:
		err := b.retry(ctx, len(batch), func() error {
			return b.tx.InTx(ctx, func(tx Store[K, V]) error {
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
			errs[i] = b.retry(ctx, 1, func() error { return apply(ctx, b.store, it) })
		}
	}
	return errs
}

// apply performs one pending write on s.
func apply[K comparable, V any](ctx context.Context, s Store[K, V], it item[K, V]) error {
	if it.op.del {
		return s.Delete(ctx, it.key)
	}
	return s.Store(ctx, it.key, it.op.value)
}

// retry calls f, a store call writing n keys, and once more if it fails
// while ctx is live, and counts the calls in b.stats.
func (b *Buffer[K, V]) retry(ctx context.Context, n int, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.count(n, f)
	if err != nil && ctx.Err() == nil {
		b.stats.retries.Add(1)
		err = b.count(n, f)
	}
	return err
}

// count makes store call f, writing n keys, and counts it.
func (b *Buffer[K, V]) count(n int, f func() error) error {
	b.stats.calls.Add(1)
	err := f()
	if err != nil {
		b.stats.errors.Add(1)
	} else {
		b.stats.written.Add(uint64(n))
	}
	return err
}
