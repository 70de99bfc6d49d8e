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
	limit  int  // see entry.limit
	alone  bool // see entry.alone
}

// outcome is what a flush learnt about one item: nil err if it is stored;
// else the error, and the entry's next limit and alone.
type outcome struct {
	err   error
	limit int
	alone bool
}

// pass is one flush's view of its store calls: whether some succeeded and
// some failed (the backoff follows both).
type pass[K comparable, V any] struct {
	b       *Buffer[K, V]
	ctx     context.Context
	ok, bad bool
}

// flush stores every write pending when it starts and records what
// failed. The caller holds sem, so no other flush runs: the entries it
// takes stay pending (and in the list) until it removes them.
//
// Writes go in groups, each written by one store call (a BulkStore call per
// kind, or one transaction): first the writes isolated by earlier flushes,
// each alone; then the other writes that failed before, in groups no
// larger than the call they last failed in (the group doubles after each
// that is stored, so that a store back from an outage soon writes
// MaxBatch keys a call again); then the fresh writes, MaxBatch a group,
// oldest first. A group whose call fails is split (see split), so that
// one write the store rejects does not hold back the others.
//
// A background flush (all false) retries the isolated writes only once
// their own pause (isoHold) is over: their failures neither delay the
// other writes nor count in the backoff of the others, which follows
// whether the store is up.
func (b *Buffer[K, V]) flush(ctx context.Context, all bool) {
	b.mu.Lock()
	var alone, again []item[K, V]
	fresh := make([]item[K, V], 0, len(b.pending)-b.isoN)
	snap := func(e *entry[K, V]) item[K, V] {
		return item[K, V]{e: e, value: e.value, del: e.del, seq: e.seq, failed: e.failed, limit: e.limit, alone: e.alone}
	}
	if all || b.clock.Now() >= b.isoHold {
		for e := b.isoHead; e != nil; e = e.next {
			alone = append(alone, snap(e))
		}
	}
	for e := b.head; e != nil; e = e.next {
		if e.limit > 0 {
			again = append(again, snap(e))
		} else {
			fresh = append(fresh, snap(e))
		}
	}
	b.mu.Unlock()
	if len(alone)+len(again)+len(fresh) == 0 {
		return
	}

	p := &pass[K, V]{b: b, ctx: ctx}
	var failed []K
	var first error
	var lone []item[K, V] // with one call per key: the writes whose call and retry failed
	write := func(group []item[K, V]) bool {
		out := p.write(group)
		stored := true
		b.mu.Lock()
		removed := false
		for i, it := range group {
			e := it.e
			var o outcome
			if out != nil {
				o = out[i]
			}
			if o.err != nil {
				stored = false
			}
			if e.seq != it.seq {
				continue // rewritten meanwhile: the newer write stays pending
			}
			if o.err == nil {
				b.remove(e)
				removed = true
				continue
			}
			e.failed, e.limit = true, o.limit
			if b.bulk == nil && b.tx == nil && !e.alone {
				lone = append(lone, it)
			}
			if o.alone && !e.alone { // isolated: to the list of its kind
				b.unlink(e)
				e.alone = true
				b.link(e)
			}
			failed = append(failed, e.key)
			if first == nil {
				first = o.err
			}
		}
		if removed {
			b.freed()
		}
		b.mu.Unlock()
		return stored
	}
	for _, it := range alone {
		write([]item[K, V]{it})
	}
	isoOK, isoBad := p.ok, p.bad
	p.ok, p.bad = false, false
	for grow := 0; len(again) > 0; {
		n := min(max(again[0].limit, grow), b.opts.MaxBatch, len(again))
		if write(again[:n]) {
			grow = 2 * n
		} else {
			grow = 0
		}
		again = again[n:]
	}
	for len(fresh) > 0 {
		n := min(len(fresh), b.opts.MaxBatch)
		write(fresh[:n])
		fresh = fresh[n:]
	}
	if p.ok || isoOK {
		b.stats.flushes.Add(1)
	}

	// The backoff follows the store calls, also those whose writes were
	// superseded meanwhile (their failure is not reported: the newer
	// write is pending). The isolated writes have a backoff of their own.
	b.mu.Lock()
	if first != nil && b.err == nil {
		b.err = first
	}
	if p.ok {
		// With one call per key, a write that failed in a flush in
		// which other writes were stored is rejected, like one isolated
		// by a split.
		for _, it := range lone {
			if e := it.e; e.seq == it.seq && !e.alone {
				b.unlink(e)
				e.alone = true
				b.link(e)
				b.stats.isolated.Add(1)
			}
		}
	}
	now := b.clock.Now()
	switch {
	case !p.ok && !p.bad: // only isolated writes were written
	case !p.bad:
		b.fails, b.hold = 0, 0
	default:
		if p.ok {
			b.fails = 0
		} else {
			b.fails++
		}
		b.hold = now + b.retryDelay(b.fails)
	}
	switch {
	case b.isoHead == nil:
		b.isoFails, b.isoHold = 0, 0
	case isoOK:
		b.isoFails = 0
		b.isoHold = now + b.retryDelay(0)
	case isoBad:
		b.isoFails++
		b.isoHold = now + b.retryDelay(b.isoFails)
	default: // newly isolated writes: their first pause
		b.isoHold = max(b.isoHold, now+b.retryDelay(b.isoFails))
	}
	b.mu.Unlock()
	if first != nil {
		b.reportFlushError(&FlushError[K]{Keys: failed, Err: first})
	}
}

// retryDelay returns the pause before the next background flush after a
// failed one: after fails flushes in a row whose store calls all failed, a
// random time in [d/2, d] for d = min(RetryDelay × 2^(fails−1),
// MaxRetryDelay); after a flush in which some call succeeded (fails 0), d =
// RetryDelay.
func (b *Buffer[K, V]) retryDelay(fails int) int64 {
	d, ceiling := int64(b.opts.RetryDelay), int64(b.opts.MaxRetryDelay)
	for i := 1; i < fails && d < ceiling; i++ {
		d = min(d, ceiling/2) * 2 // no overflow: d ≤ ceiling after this
	}
	d = min(d, ceiling)
	return d - rand.Int64N(d/2+1)
}

// write stores one group of distinct keys and returns each one's outcome,
// or nil if all are stored: through BulkStore if the store has it (one
// call per kind, stores and deletes), else in one TxStore transaction,
// else one call per key.
func (p *pass[K, V]) write(group []item[K, V]) []outcome {
	b := p.b
	switch {
	case b.tx != nil && b.bulk == nil:
		return p.group(group, p.txCall)
	case b.bulk == nil:
		out := make([]outcome, len(group))
		for i, it := range group {
			out[i] = outcome{err: p.retry(1, it.failed, func() error { return apply(p.ctx, b.store, it) }), limit: 1}
		}
		return out
	}
	var stores, dels []int // indexes into group
	for i, it := range group {
		if it.del {
			dels = append(dels, i)
		}
	}
	if len(dels) == 0 || len(dels) == len(group) {
		return p.group(group, p.bulkCall) // one kind: one call
	}
	for i, it := range group {
		if !it.del {
			stores = append(stores, i)
		}
	}
	out := make([]outcome, len(group))
	for _, idx := range [][]int{stores, dels} {
		sub := make([]item[K, V], len(idx))
		for j, i := range idx {
			sub[j] = group[i]
		}
		if res := p.group(sub, p.bulkCall); res != nil {
			for j, i := range idx {
				out[i] = res[j]
			}
		}
	}
	return out
}

// bulkCall writes group, all stores or all deletes, in one BulkStore call.
func (p *pass[K, V]) bulkCall(group []item[K, V]) error {
	if group[0].del {
		keys := make([]K, len(group))
		for i, it := range group {
			keys[i] = it.e.key
		}
		return p.b.bulk.DeleteMany(p.ctx, keys)
	}
	entries := make([]Entry[K, V], len(group))
	for i, it := range group {
		entries[i] = Entry[K, V]{it.e.key, it.value}
	}
	return p.b.bulk.StoreMany(p.ctx, entries)
}

// txCall writes group in one transaction.
func (p *pass[K, V]) txCall(group []item[K, V]) error {
	return p.b.tx.InTx(p.ctx, func(tx KV[K, V]) error {
		for _, it := range group {
			if err := apply(p.ctx, tx, it); err != nil {
				return err
			}
		}
		return nil
	})
}

// group writes group in one all-or-nothing call (once more if the group is
// one write) and, if that fails, splits it. It returns nil if the call
// succeeded, else each write's outcome.
func (p *pass[K, V]) group(group []item[K, V], call func([]item[K, V]) error) []outcome {
	again := false
	for _, it := range group {
		again = again || it.failed
	}
	var err error
	if len(group) == 1 {
		err = p.retry(1, again, func() error { return call(group) })
	} else if err = p.ctx.Err(); err == nil {
		err = p.call(len(group), again, func() error { return call(group) })
	}
	if err == nil {
		return nil
	}
	out := make([]outcome, len(group))
	if len(group) == 1 || p.ctx.Err() != nil {
		for i := range out {
			out[i] = outcome{err: err, limit: len(group)}
		}
		return out
	}
	p.split(group, out, call)
	return out
}

// split writes the two halves of group, whose call failed, in a call each
// (these calls stand for the failed call's retry). If one half is stored
// and the other fails, the store is up and rejects something in the
// failed half: split goes on with that half, down to the single write it
// rejects, which is then isolated (written alone by later flushes until it
// is rewritten). If both halves fail, the store may be down: split stops,
// and the next flush, after the retry delay, writes each half in a call
// of its own. So a store that is down is called at most twice per pending
// key per flush, and one that rejects one write of a batch of n stores the
// others in this flush, in 1 + 2·log₂(n) calls.
func (p *pass[K, V]) split(group []item[K, V], out []outcome, call func([]item[K, V]) error) {
	for {
		p.b.stats.splits.Add(1)
		h := len(group) / 2
		halves := [2][]item[K, V]{group[:h], group[h:]}
		var errs [2]error
		for i, half := range halves {
			if errs[i] = p.ctx.Err(); errs[i] == nil {
				errs[i] = p.call(len(half), true, func() error { return call(half) })
			}
		}
		if errs[0] != nil && errs[1] != nil {
			for i := range group {
				j := 0
				if i >= h {
					j = 1
				}
				out[i] = outcome{err: errs[j], limit: len(halves[j])}
			}
			return
		}
		bad := 0
		if errs[1] != nil {
			bad = 1
		}
		if errs[bad] == nil {
			return // both stored
		}
		if bad == 0 {
			out = out[:h]
		} else {
			out = out[h:]
		}
		group = halves[bad]
		if len(group) == 1 || p.ctx.Err() != nil {
			alone := len(group) == 1
			if alone {
				p.b.stats.isolated.Add(1)
			}
			for i := range out {
				out[i] = outcome{err: errs[bad], limit: len(group), alone: alone}
			}
			return
		}
	}
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
func (p *pass[K, V]) retry(n int, again bool, f func() error) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	err := p.call(n, again, f)
	if err != nil && p.ctx.Err() == nil {
		err = p.call(n, true, f)
	}
	return err
}

// call makes store call f, writing n keys, counts it, and turns a panic in
// f into a *PanicError.
func (p *pass[K, V]) call(n int, again bool, f func() error) (err error) {
	b := p.b
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
			p.bad = true
		} else {
			b.stats.written.Add(uint64(n))
			p.ok = true
		}
	}()
	return f()
}
