package writeback_test

// Regression tests for issue 17, items 3 (a write the store rejects holds
// back the keys batched with it) and 4 (an OnError that writes a new key
// into a full buffer wedges flushing).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/writeback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errPoison is what the rejecting stores return for the value "poison".
var errPoison = errors.New("value rejected")

// rejectingBulk is a BulkStore that fails every StoreMany holding the
// value "poison", writing nothing (a constraint violation inside a
// transaction).
type rejectingBulk struct{ base }

func (s rejectingBulk) Store(ctx context.Context, k, v string) error {
	if v == "poison" {
		return errPoison
	}
	return s.mem.Store(ctx, k, v)
}

func (s rejectingBulk) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	for _, e := range es {
		if e.Value == "poison" {
			return fmt.Errorf("entry %s: %w", e.Key, errPoison)
		}
	}
	return s.mem.StoreMany(ctx, es)
}

func (s rejectingBulk) DeleteMany(ctx context.Context, keys []string) error {
	return s.mem.DeleteMany(ctx, keys)
}

// rejectingTx is a TxStore whose transactions fail, and roll back, when
// they store the value "poison".
type rejectingTx struct{ base }

func (s rejectingTx) Store(ctx context.Context, k, v string) error {
	return rejectingBulk(s).Store(ctx, k, v)
}

func (s rejectingTx) InTx(ctx context.Context, fn func(writeback.KV[string, string]) error) error {
	return s.mem.InTx(ctx, func(tx writeback.KV[string, string]) error { return fn(rejectingTxKV{tx}) })
}

type rejectingTxKV struct{ writeback.KV[string, string] }

func (t rejectingTxKV) Store(ctx context.Context, k, v string) error {
	if v == "poison" {
		return errPoison
	}
	return t.KV.Store(ctx, k, v)
}

// poisonRun is one run of the poison test: n keys written in one batch,
// the values of the keys at poisoned indexes rejected.
type poisonRun struct {
	retryDelays int                   // retry delays (clock advances of RetryDelay) until every good key was stored
	flushes     int                   // flushes (store passes) until then, the first included
	stats       writeback.BufferStats // when every good key was stored
}

// runPoison writes n keys (MaxBatch n) of which those at the indexes in
// poisoned have the value the store rejects, then advances the manual
// clock by RetryDelay and ticks until every good key is stored, or fails
// after limit retry delays. It checks that the poisoned keys stay pending,
// are named by OnError and by Flush, and that rewriting them with a good
// value stores them.
func runPoison(t *testing.T, store writeback.KV[string, string], mem func(string) (string, bool), n int, poisoned []int, limit int) poisonRun {
	t.Helper()
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	var reported [][]string
	b, err := writeback.New(store, writeback.Options{MaxBatch: n, MaxDelay: time.Hour, Clock: clk,
		OnError: func(err error) {
			var fe *writeback.FlushError[string]
			if assert.ErrorAs(t, err, &fe) && assert.ErrorIs(t, err, errPoison) {
				reported = append(reported, fe.Keys)
			}
		}})
	require.NoError(t, err)
	defer b.Close(ctx)
	key := func(i int) string { return fmt.Sprintf("k%04d", i) }
	var bad []string
	for i := range n {
		v := "good"
		if slices.Contains(poisoned, i) {
			v = "poison"
			bad = append(bad, key(i))
		}
		require.NoError(t, b.Store(ctx, key(i), v))
	}
	allGood := func() bool {
		for i := range n {
			if _, ok := mem(key(i)); !ok && !slices.Contains(poisoned, i) {
				return false
			}
		}
		return true
	}
	var r poisonRun
	b.Tick() // n keys pending: a flush is due
	for !allGood() {
		require.Less(t, r.retryDelays, limit, "good keys still not stored after %d retry delays (%d pending)", r.retryDelays, b.Stats().Pending)
		clk.Advance(writeback.DefaultRetryDelay)
		b.Tick()
		r.retryDelays++
	}
	r.stats = b.Stats()
	r.flushes = len(reported)
	require.Equal(t, len(poisoned), r.stats.Pending, "only the poisoned keys stay pending")
	for _, k := range bad {
		_, ok := mem(k)
		require.False(t, ok, "%s: a rejected value was stored", k)
		v, err := b.Load(ctx, k)
		require.NoError(t, err)
		require.Equal(t, "poison", v, "%s: the rejected write is still pending", k)
	}
	require.NotEmpty(t, reported, "OnError was not called")
	require.ElementsMatch(t, bad, reported[len(reported)-1], "OnError names the rejected keys, and only them")

	// Flush reports them too, however often it is called.
	for range 2 {
		err := b.Flush(ctx)
		var fe *writeback.FlushError[string]
		require.ErrorAs(t, err, &fe)
		require.ErrorIs(t, err, errPoison)
		require.ElementsMatch(t, bad, fe.Keys)
	}
	require.Equal(t, len(poisoned), b.Stats().Pending)

	// Rewriting a rejected key with another rejected value coalesces; with
	// a good one, it lands.
	require.NoError(t, b.Store(ctx, bad[0], "poison"))
	require.Error(t, b.Flush(ctx))
	for _, k := range bad {
		require.NoError(t, b.Store(ctx, k, "fixed"))
	}
	require.NoError(t, b.Flush(ctx))
	for _, k := range bad {
		v, ok := mem(k)
		require.True(t, ok, "%s: the rewrite did not land", k)
		require.Equal(t, "fixed", v)
	}
	require.Zero(t, b.Stats().Pending)
	return r
}

// Item 3: with a BulkStore or a TxStore that rejects one value, the keys
// batched with it are stored by the same flush (1 + 2·log₂(n) calls); only
// the rejected key stays pending, is reported by OnError and Flush, and a
// good rewrite of it lands. With several rejected values spread over the
// batch, every good key is stored within a few retry delays.
func TestBuffer_PoisonKeyDoesNotHoldBackItsBatch(t *testing.T) {
	for _, mode := range []string{"bulk", "tx"} {
		newStore := func() (writeback.KV[string, string], func(string) (string, bool)) {
			b := newBase()
			get := func(k string) (string, bool) {
				v, err := b.mem.Load(context.Background(), k)
				return v, err == nil
			}
			if mode == "bulk" {
				return rejectingBulk{b}, get
			}
			return rejectingTx{b}, get
		}
		t.Run(mode, func(t *testing.T) {
			t.Run("OneIn16", func(t *testing.T) {
				s, get := newStore()
				r := runPoison(t, s, get, 16, []int{5}, 1)
				require.Zero(t, r.retryDelays, "the 15 good keys are stored by the first flush")
				require.EqualValues(t, 1+2*4, r.stats.StoreCalls)
				require.EqualValues(t, 4, r.stats.Splits)
				require.EqualValues(t, 1, r.stats.Isolated)
				require.EqualValues(t, 15, r.stats.Written)
			})
			t.Run("OneIn1024", func(t *testing.T) {
				s, get := newStore()
				r := runPoison(t, s, get, 1024, []int{700}, 1)
				require.Zero(t, r.retryDelays, "the 1,023 good keys are stored by the first flush")
				require.EqualValues(t, 1+2*10, r.stats.StoreCalls, "1 + 2·log₂(1024) calls")
				require.EqualValues(t, 10, r.stats.Splits)
				require.EqualValues(t, 1, r.stats.Isolated)
				t.Logf("%s, 1 rejected of 1024: all good keys stored after %d retry delays, %d store calls", mode, r.retryDelays, r.stats.StoreCalls)
			})
			t.Run("SixteenIn1024", func(t *testing.T) {
				s, get := newStore()
				var poisoned []int
				for i := range 16 {
					poisoned = append(poisoned, 64*i+37)
				}
				// Each split finds both halves failing until groups of 64
				// hold one rejected value each: 4 flushes, each after a
				// doubled pause (≤ 100, 200, 400, 800 ms = 15 RetryDelays).
				r := runPoison(t, s, get, 1024, poisoned, 16)
				require.EqualValues(t, 16, r.stats.Isolated)
				t.Logf("%s, 16 rejected of 1024: all good keys stored after %d retry delays (%d failed flushes), %d store calls, %d splits",
					mode, r.retryDelays, r.flushes, r.stats.StoreCalls, r.stats.Splits)
			})
		})
	}
}

// Item 3: a rejected write, once isolated, is retried on a backoff of its
// own (pauses doubling to MaxRetryDelay), which delays no other write: a
// write made later, or a good rewrite of the rejected key, is stored
// MaxDelay after it is made, as with no rejected write pending. (The
// backoff after a failed flush used to hold every background flush, so a
// later write waited up to MaxRetryDelay, 5 s.) With one call per key
// (no BulkStore, no TxStore), a write whose call and retry failed while
// other writes of the flush were stored is isolated the same way.
func TestBuffer_PoisonKeyDoesNotDelayLaterWrites(t *testing.T) {
	for _, mode := range []string{"bulk", "single"} {
		t.Run(mode, func(t *testing.T) { testPoisonDoesNotDelay(t, mode) })
	}
}

// single shows only a store's KV methods.
type single struct{ writeback.KV[string, string] }

func testPoisonDoesNotDelay(t *testing.T, mode string) {
	const step = time.Millisecond
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := rejectingBulk{newBase()}
	var kv writeback.KV[string, string] = s
	if mode == "single" {
		kv = single{s}
	}
	b, err := writeback.New(kv, writeback.Options{Clock: clk}) // MaxDelay 10 ms, RetryDelay 100 ms, MaxRetryDelay 5 s
	require.NoError(t, err)
	defer b.Close(ctx)
	advance := func(d time.Duration) {
		for range d / step {
			clk.Advance(step)
			b.Tick()
		}
	}
	// storedWithin returns how long after now key is stored, failing after limit.
	storedWithin := func(key string, limit time.Duration) time.Duration {
		for waited := time.Duration(0); ; waited += step {
			if has(t, s.mem, key) {
				return waited
			}
			require.Less(t, waited, limit, "%s not stored", key)
			clk.Advance(step)
			b.Tick()
		}
	}
	for i := range 16 {
		v := "good"
		if i == 3 {
			v = "poison"
		}
		require.NoError(t, b.Store(ctx, fmt.Sprint("k", i), v))
	}
	storedWithin("k15", writeback.DefaultMaxDelay+step)
	st := b.Stats()
	require.EqualValues(t, 1, st.Isolated)
	require.Equal(t, 1, st.Pending)

	calls := st.StoreCalls
	advance(20 * time.Second)
	calls = b.Stats().StoreCalls - calls
	t.Logf("%s: the isolated write: %d store calls in 20 s", mode, calls)
	require.LessOrEqual(t, calls, uint64(2*13), "pauses of at least 50, 100, 200 ... 2500, 2500 ms in 20 s, a call and a retry each")
	require.GreaterOrEqual(t, calls, uint64(2*4), "the isolated write is still retried")

	for i := range 5 {
		k := fmt.Sprint("late", i)
		require.NoError(t, b.Store(ctx, k, "good"))
		waited := storedWithin(k, time.Minute)
		require.LessOrEqual(t, waited, writeback.DefaultMaxDelay+step, "%s waited %v with a rejected write pending", k, waited)
		advance(time.Duration(i) * 700 * time.Millisecond)
	}
	require.Equal(t, 1, b.Stats().Pending)
	require.NoError(t, b.Store(ctx, "k3", "fixed"))
	waited := storedWithin("k3", time.Minute)
	require.LessOrEqual(t, waited, writeback.DefaultMaxDelay+step, "the good rewrite of the rejected key waited %v", waited)
	require.Zero(t, b.Stats().Pending)
	require.Error(t, b.Flush(ctx), "the failures are still reported once")
	require.NoError(t, b.Flush(ctx))
}

// Item 4: a Store or Delete of a new key from OnError, with MaxPending
// keys pending, returns ErrFullInOnError at once (it used to wait for the
// flush that called OnError, for ever, so that Flush with a 1 s deadline
// returned context.DeadlineExceeded); a write of a pending key from
// OnError coalesces as usual; and a writer on another goroutine waiting
// for room meanwhile keeps waiting, as documented.
func TestBuffer_StoreFromOnErrorIntoAFullBufferFailsFast(t *testing.T) {
	for _, background := range []bool{true, false} {
		t.Run(fmt.Sprint("background=", background), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := t.Context()
				s := &failing{base: newBase()}
				s.set(1 << 30)
				var fromOnError []error
				var b *writeback.Buffer[string, string]
				b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, MaxPending: 2,
					OnError: func(error) {
						wctx, cancel := context.WithTimeout(ctx, time.Second)
						defer cancel()
						start := time.Now()
						fromOnError = append(fromOnError,
							b.Store(wctx, "new", "x"), b.Delete(wctx, "new2"), b.Store(wctx, "a", "from OnError"))
						assert.Zero(t, time.Since(start), "a write from OnError waited")
					}})
				require.NoError(t, err)
				require.NoError(t, b.Store(ctx, "a", "1"))
				other := make(chan error, 1)
				if background {
					require.NoError(t, b.Store(ctx, "b", "1")) // MaxPending keys: the background flush is due
					go func() { other <- b.Store(ctx, "c", "1") }()
				} else {
					require.NoError(t, b.Store(ctx, "b", "1"))
					fctx, cancel := context.WithTimeout(ctx, time.Second)
					err := b.Flush(fctx)
					cancel()
					var fe *writeback.FlushError[string]
					require.ErrorAs(t, err, &fe, "Flush returns the store's failure, not its ctx's")
					require.ErrorIs(t, err, errBoom)
					go func() { other <- b.Store(ctx, "c", "1") }()
				}
				synctest.Wait()
				require.GreaterOrEqual(t, len(fromOnError), 3, "OnError was not called")
				require.ErrorIs(t, fromOnError[0], writeback.ErrFullInOnError)
				require.ErrorIs(t, fromOnError[1], writeback.ErrFullInOnError)
				require.NoError(t, fromOnError[2], "a pending key coalesces")
				require.EqualError(t, fromOnError[0], "writeback: Store or Delete of a new key from OnError while MaxPending keys are pending: "+
					"it would wait for room that only the flush running OnError can make (write fewer keys from OnError, or raise MaxPending)")
				v, _ := b.Load(ctx, "a")
				require.Equal(t, "from OnError", v)
				require.False(t, has(t, b, "new"), "a refused write is not queued")

				fctx, cancel := context.WithTimeout(ctx, time.Second)
				err = b.Flush(fctx)
				cancel()
				require.ErrorIs(t, err, errBoom, "flushing is not wedged")
				select {
				case err := <-other:
					t.Fatalf("a writer on another goroutine did not wait for room: %v", err)
				default:
				}
				s.set(0) // the store is back: the next flush makes room
				require.NoError(t, b.Flush(ctx))
				require.NoError(t, <-other, "the other writer got room")
				require.NoError(t, b.Close(ctx))
				v, _ = s.mem.Load(ctx, "a")
				require.Equal(t, "from OnError", v)
			})
		})
	}
}

// Item 4, the same for Flush and Close, documented as forbidden in
// OnError: they return an error naming the problem instead of waiting for
// the flush that called OnError, for ever.
func TestBuffer_FlushOrCloseFromOnErrorFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := &failing{base: newBase()}
		s.set(1 << 30)
		var fromOnError []error
		var b *writeback.Buffer[string, string]
		b, err := writeback.New[string, string](s, writeback.Options{MaxDelay: time.Second,
			OnError: func(error) { fromOnError = append(fromOnError, b.Flush(ctx), b.Close(ctx)) }})
		require.NoError(t, err)
		require.NoError(t, b.Store(ctx, "a", "1"))
		time.Sleep(time.Second) // the background flush fails and calls OnError
		synctest.Wait()
		require.Len(t, fromOnError, 2)
		for _, err := range fromOnError {
			require.EqualError(t, err, "writeback: Flush or Close called from OnError: it would wait for the flush that is running OnError")
		}
		require.NoError(t, b.Store(ctx, "b", "1"), "the buffer is not closed")
		s.set(0)
		require.Error(t, b.Flush(ctx), "reports the earlier failure") // called from the test, not OnError: it flushes
		require.NoError(t, b.Close(ctx))
		require.True(t, has(t, s.mem, "a"))
		require.True(t, has(t, s.mem, "b"))
	})
}
