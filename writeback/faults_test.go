package writeback_test

// The fault-injection run of issue 10 ("Done means"): a store failing one
// write call in three, panicking one in fifty, and randomly slow; 10,000
// writes from 4 goroutines, some of them bounded by a short ctx while the
// buffer is full.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultCall is one write call the faulty store received.
type faultCall struct {
	start, end time.Time
	keys       []string
	failed     bool
}

// faulty is a store over a memstore whose write calls (each kind) fail
// one in three (half of them after writing: the ambiguous timeout),
// panic one in fifty, and take a random 0–10ms. It records every call and
// any call given the same key twice.
type faulty struct {
	mem  *memstore.Store[string, string]
	mode string // "bulk", "tx" or "single": the capabilities it shows

	mu    sync.Mutex
	rng   *rand.Rand // nil: no faults, no delay
	calls []faultCall
	dups  []string
}

var errFault = errors.New("injected fault")

// do runs one write call, with faults and delay; keys returns the keys
// it wrote (once it has run: a transaction's are known at its end).
func (s *faulty) do(keys func() []string, write func() error) (err error) {
	s.mu.Lock()
	fault, delay := 0, time.Duration(0)
	if s.rng != nil {
		switch r := s.rng.IntN(150); {
		case r < 3:
			fault = 3 // panic
		case r < 3+49:
			fault = 1 + s.rng.IntN(2) // fail before, or after writing
		}
		delay = time.Duration(s.rng.IntN(10_000)) * time.Microsecond
	}
	s.mu.Unlock()
	c := faultCall{start: time.Now()}
	defer func() {
		c.end, c.failed = time.Now(), err != nil || recover() != nil
		c.keys = keys()
		s.mu.Lock()
		s.calls = append(s.calls, c)
		seen := map[string]bool{}
		for _, k := range c.keys {
			if seen[k] {
				s.dups = append(s.dups, fmt.Sprint(c.keys))
			}
			seen[k] = true
		}
		s.mu.Unlock()
		if c.failed && err == nil {
			panic("injected panic") // re-raise the injected panic below, recorded
		}
	}()
	time.Sleep(delay)
	if fault == 1 {
		return errFault
	}
	if err := write(); err != nil {
		return err
	}
	switch fault {
	case 2:
		return errFault
	case 3:
		panic("injected panic")
	}
	return nil
}

func (s *faulty) Load(ctx context.Context, k string) (string, error) { return s.mem.Load(ctx, k) }

func (s *faulty) Store(ctx context.Context, k, v string) error {
	return s.do(func() []string { return []string{k} }, func() error { return s.mem.Store(ctx, k, v) })
}

func (s *faulty) Delete(ctx context.Context, k string) error {
	return s.do(func() []string { return []string{k} }, func() error { return s.mem.Delete(ctx, k) })
}

// faultyBulk shows the faulty store's bulk methods.
type faultyBulk struct{ *faulty }

func (s faultyBulk) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.Key
	}
	return s.do(func() []string { return keys }, func() error { return s.mem.StoreMany(ctx, es) })
}

func (s faultyBulk) DeleteMany(ctx context.Context, keys []string) error {
	return s.do(func() []string { return slices.Clone(keys) }, func() error { return s.mem.DeleteMany(ctx, keys) })
}

// faultyTx shows the faulty store's transactions: the fault hits the
// whole transaction (a fault "after" rolls it back).
type faultyTx struct{ *faulty }

func (s faultyTx) InTx(ctx context.Context, fn func(writeback.KV[string, string]) error) error {
	// The keys are known once fn has run: run it on a recording view of
	// a memstore transaction, inside do.
	var keys []string
	rec := &txKeys{keys: &keys}
	return s.do(func() []string { return keys }, func() error {
		return s.mem.InTx(ctx, func(tx writeback.KV[string, string]) error {
			rec.KV = tx
			return fn(rec)
		})
	})
}

// txKeys records the keys written in a transaction.
type txKeys struct {
	writeback.KV[string, string]
	keys *[]string
}

func (t *txKeys) Store(ctx context.Context, k, v string) error {
	*t.keys = append(*t.keys, k)
	return t.KV.Store(ctx, k, v)
}

func (t *txKeys) Delete(ctx context.Context, k string) error {
	*t.keys = append(*t.keys, k)
	return t.KV.Delete(ctx, k)
}

func (s *faulty) view() writeback.KV[string, string] {
	switch s.mode {
	case "bulk":
		return faultyBulk{s}
	case "tx":
		return faultyTx{s}
	}
	return s
}

func TestBuffer_FaultInjection(t *testing.T) {
	for _, mode := range []string{"bulk", "tx", "single"} {
		t.Run(mode, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { testFaultInjection(t, mode) }) })
	}
}

func testFaultInjection(t *testing.T, mode string) {
	const writers, ops, keys = 4, 2500, 100
	const retryDelay = 20 * time.Millisecond
	ctx := t.Context()
	s := &faulty{mem: memstore.New[string, string](), mode: mode, rng: rand.New(rand.NewPCG(7, uint64(len(mode))))}
	var reported int
	b, err := writeback.New(s.view(), writeback.Options{MaxBatch: 16, MaxDelay: 5 * time.Millisecond,
		MaxPending: 64, RetryDelay: retryDelay, MaxRetryDelay: 200 * time.Millisecond,
		OnError: func(error) { reported++ }})
	require.NoError(t, err)

	models := make([]map[string]string, writers) // key -> last accepted write, "" deleted
	var timedOut [writers]int
	var wg sync.WaitGroup
	for g := range writers {
		models[g] = map[string]string{}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 99))
			for i := range ops {
				k := fmt.Sprintf("g%d-%d", g, rng.IntN(keys))
				wctx, cancel := ctx, context.CancelFunc(func() {})
				if rng.IntN(4) == 0 {
					wctx, cancel = context.WithTimeout(ctx, time.Millisecond)
				}
				want := fmt.Sprintf("g%d-%d", g, i)
				var err error
				if rng.IntN(5) == 0 {
					want = ""
					err = b.Delete(wctx, k)
				} else {
					err = b.Store(wctx, k, want)
				}
				cancel()
				if err != nil {
					if !assert.ErrorIs(t, err, context.DeadlineExceeded, "a write fails only by its ctx") {
						return
					}
					timedOut[g]++
					continue
				}
				models[g][k] = want
				v, err := b.Load(ctx, k)
				if want == "" {
					assert.Error(t, err)
				} else if assert.NoError(t, err) {
					assert.Equal(t, want, v, "read your writes")
				}
				if rng.IntN(8) == 0 {
					time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				}
			}
		})
	}
	wg.Wait()
	closing := time.Now()
	err = b.Close(ctx)

	// Every accepted write is stored, or named by Close's error.
	named := map[string]bool{}
	if err != nil {
		var fe *writeback.FlushError[string]
		require.ErrorAs(t, err, &fe)
		for _, k := range fe.Keys {
			named[k] = true
		}
	}
	check := func(what string) {
		for _, m := range models {
			for k, want := range m {
				got, lerr := s.mem.Load(ctx, k)
				if lerr != nil {
					got = ""
				}
				if got != want && !named[k] {
					t.Fatalf("%s: key %s holds %q, last accepted write %q, and Close's error (%v) does not name it", what, k, got, want, err)
				}
			}
		}
	}
	check("after Close")
	s.mu.Lock()
	s.rng = nil
	s.mu.Unlock()
	require.NoError(t, b.Flush(ctx), "Flush after Close with faults off")
	named = nil
	check("after a Flush without faults")

	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.dups, "write calls given one key twice")

	// The backoff: after a call and its retry failed (the retry, or the
	// half of a split call, starts when the call ends: nothing else runs
	// on the flushing goroutine, so no fake time passes), the next call
	// with the key comes at least RetryDelay/2 later, until Close, unless
	// it writes part of the failed retry's keys and a call that succeeded
	// came in between (a split going on, the store being up: issue 17
	// item 3). The calls are sequential (one flush at a time), so their
	// indexes are in time order; stored[i] counts the calls before the
	// i-th that succeeded.
	type indexed struct {
		faultCall
		i int
	}
	byKey := map[string][]indexed{}
	stored := make([]int, len(s.calls)+1)
	failed := 0
	for i, c := range s.calls {
		stored[i+1] = stored[i]
		if c.failed {
			failed++
		} else {
			stored[i+1]++
		}
		for _, k := range c.keys {
			byKey[k] = append(byKey[k], indexed{c, i})
		}
	}
	fastest := time.Duration(1 << 62)
	for k, cs := range byKey {
		for i := 2; i < len(cs); i++ {
			a, r, next := cs[i-2], cs[i-1], cs[i]
			if !a.failed || !r.failed || r.start != a.end || !next.start.Before(closing) {
				continue
			}
			if len(next.keys) < len(r.keys) && subset(next.keys, r.keys) && stored[next.i] > stored[r.i+1] {
				continue // splitting r's keys, after a call between them succeeded
			}
			gap := next.start.Sub(r.end)
			fastest = min(fastest, gap)
			require.GreaterOrEqual(t, gap, retryDelay/2, "key %s: a call %v after its call and retry failed, with no call stored between", k, gap)
		}
	}
	st := b.Stats()
	require.EqualValues(t, len(s.calls), st.StoreCalls, "Stats.StoreCalls")
	require.EqualValues(t, failed, st.StoreErrors, "Stats.StoreErrors")
	total := 0
	for _, n := range timedOut {
		total += n
	}
	t.Logf("%s: %d store calls (%d failed), %d retries, %d flushes, %d OnError reports, %d writes timed out waiting for room; shortest pause after a failed retry: %v",
		mode, st.StoreCalls, st.StoreErrors, st.Retries, st.Flushes, reported, total, fastest)
	require.Positive(t, total, "no write waited for room until its ctx ended")
	require.Positive(t, reported)
}

// subset reports whether every key of a is in b.
func subset(a, b []string) bool {
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}
