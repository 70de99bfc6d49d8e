package writeback_test

// Regression tests for issue 10, items 11–13 (the write-behind buffer).

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/writeback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// panicky panics on its next n write calls, then stores.
type panicky struct {
	base
	mu sync.Mutex
	n  int
}

func (s *panicky) Store(ctx context.Context, k, v string) error {
	s.mu.Lock()
	n := s.n
	s.n--
	s.mu.Unlock()
	if n > 0 {
		panic(fmt.Sprintf("store exploded on %s", k))
	}
	return s.mem.Store(ctx, k, v)
}

// Item 11: a panicking store call is a failed call — retried, reported by
// Flush, its writes kept pending and stored later — not a lost write.
func TestBuffer_StorePanicIsAFailedCall(t *testing.T) {
	ctx := t.Context()
	s := &panicky{base: newBase(), n: 4}
	b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour,
		Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
	require.NoError(t, err)
	defer b.Close(ctx)
	require.NoError(t, b.Store(ctx, "a", "1"))
	require.NoError(t, b.Store(ctx, "b", "1"))
	err = b.Flush(ctx) // a: call and retry panic; b: the same
	var fe *writeback.FlushError[string]
	require.ErrorAs(t, err, &fe)
	require.ElementsMatch(t, []string{"a", "b"}, fe.Keys)
	var pe *writeback.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "store exploded on a", pe.Value)
	require.Equal(t, 2, b.Stats().Pending, "the writes stay pending")
	v, err := b.Load(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "1", v)

	require.NoError(t, b.Flush(ctx))
	require.True(t, has(t, s.mem, "a"))
	require.True(t, has(t, s.mem, "b"))
}

// Item 11: a panic in a background flush neither kills the process nor
// loses the write; Close reports it.
func TestBuffer_StorePanicInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &panicky{base: newBase(), n: 3}
		b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 100, MaxDelay: time.Second})
		require.NoError(t, err)
		require.NoError(t, b.Store(t.Context(), "a", "1"))
		time.Sleep(time.Second) // first flush: call and retry panic
		synctest.Wait()
		require.False(t, has(t, s.mem, "a"))
		time.Sleep(time.Minute) // a later flush: one more panic, then stored
		synctest.Wait()
		require.True(t, has(t, s.mem, "a"), "the panicked write was retried")
		err = b.Close(t.Context())
		var pe *writeback.PanicError
		require.ErrorAs(t, err, &pe, "Close reports the background panic")
		var fe *writeback.FlushError[string]
		require.ErrorAs(t, err, &fe)
		require.Empty(t, fe.Keys, "nothing is left unstored")
	})
}

// recorder is a bulk store that records the keys of every write call and
// can block one StoreMany call.
type recorder struct {
	base
	mu    sync.Mutex
	calls [][]string
	gate  func(keys []string) // called (without mu) at the start of each StoreMany
}

func (s *recorder) Store(ctx context.Context, k, v string) error { return s.mem.Store(ctx, k, v) }

func (s *recorder) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	s.mu.Lock()
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.Key
	}
	s.calls = append(s.calls, keys)
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		gate(keys)
	}
	return s.mem.StoreMany(ctx, es)
}

func (s *recorder) DeleteMany(ctx context.Context, keys []string) error {
	s.mu.Lock()
	s.calls = append(s.calls, append([]string(nil), keys...))
	s.mu.Unlock()
	return s.mem.DeleteMany(ctx, keys)
}

// take returns and forgets the calls recorded so far.
func (s *recorder) take() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// Item 12: a key stored by one batch of a flush and rewritten while a
// later batch of the same flush runs is written once by the next flush,
// in a call whose keys are distinct; and a hot key rewritten during every
// flush is written at most once per flush, however many flushes there
// were.
func TestBuffer_KeysOfACallAreDistinct(t *testing.T) {
	ctx := t.Context()
	s := &recorder{base: newBase()}
	b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 2, MaxDelay: time.Hour,
		Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
	require.NoError(t, err)
	defer b.Close(ctx)

	for round := range 5 {
		// "hot" and a filler fill the first batch; the call after the
		// one that stored "hot" rewrites it while it runs. (Three keys
		// make a background flush due too: it may write the batches.)
		flushes := b.Stats().Flushes
		hotDone, rewritten := false, false // used by the one flushing goroutine
		s.mu.Lock()
		s.gate = func(keys []string) {
			switch {
			case slices.Contains(keys, "hot"):
				hotDone = true
			case hotDone && !rewritten:
				rewritten = true
				assert.NoError(t, b.Store(ctx, "hot", fmt.Sprint(round, "-during")))
			}
		}
		s.mu.Unlock()
		require.NoError(t, b.Store(ctx, "hot", fmt.Sprint(round)))
		require.NoError(t, b.Store(ctx, fmt.Sprint("x", round), "x"))
		require.NoError(t, b.Store(ctx, fmt.Sprint("y", round), "y"))
		require.NoError(t, b.Flush(ctx))
		require.True(t, rewritten)
		s.mu.Lock()
		s.gate = nil
		s.mu.Unlock()
		flushes = b.Stats().Flushes - flushes // the background may have flushed too (3 keys > MaxBatch)
		hot := 0
		for _, call := range s.take() {
			seen := map[string]bool{}
			for _, k := range call {
				require.False(t, seen[k], "round %d: key %s twice in one call %v", round, k, call)
				seen[k] = true
				if k == "hot" {
					hot++
				}
			}
		}
		if round > 0 {
			require.LessOrEqual(t, uint64(hot), flushes, "round %d: the hot key written %d times in %d flushes", round, hot, flushes)
		}
	}
	require.NoError(t, b.Flush(ctx))
	v, _ := s.mem.Load(ctx, "hot")
	require.Equal(t, "4-during", v)
	require.Zero(t, b.Stats().Pending)
}

// down is a store whose writes all fail while it is down, recording the
// time of each call on clk.
type down struct {
	base
	clk   *clock.Manual
	mu    sync.Mutex
	isUp  bool
	times []int64
}

func (s *down) Store(ctx context.Context, k, v string) error {
	s.mu.Lock()
	s.times = append(s.times, s.clk.Now())
	up := s.isUp
	s.mu.Unlock()
	if !up {
		return errBoom
	}
	return s.mem.Store(ctx, k, v)
}

func (s *down) setUp(up bool) {
	s.mu.Lock()
	s.isUp = up
	s.mu.Unlock()
}

// passes returns the times of the flushes that called the store since the
// last call of passes (the distinct call times), and their number of calls.
func (s *down) passes() (times []int64, calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.times {
		if len(times) == 0 || times[len(times)-1] != at {
			times = append(times, at)
		}
	}
	calls = len(s.times)
	s.times = nil
	return times, calls
}

// Item 13: against a store that is down, the background goroutine backs
// off exponentially with jitter (default RetryDelay 100ms, doubling, capped
// at 5s, each pause in [d/2, d]) and resets after a success; 1,000 pending
// keys once cost 200,000 store calls a second.
func TestBuffer_BacksOffFromADownStore(t *testing.T) {
	const keys = 1000
	const step = time.Millisecond
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &down{base: newBase(), clk: clk}
	b, err := writeback.New[string, string](s, writeback.Options{Clock: clk})
	require.NoError(t, err)
	defer b.Close(ctx)
	for i := range keys {
		require.NoError(t, b.Store(ctx, fmt.Sprint("k", i), "v"))
	}
	advance := func(d time.Duration) {
		for range d / step {
			clk.Advance(step)
			b.Tick()
		}
	}
	start := clk.Now()
	advance(20 * time.Second)
	times, calls := s.passes()
	calls1 := 0
	for _, at := range times {
		if at < start+int64(time.Second) {
			calls1 += 2 * keys // each flush: a call and its retry per key
		}
	}
	t.Logf("%d keys pending against a down store: %d store calls in the first second; %d in 20 s, in %d flushes (%.2f calls per pending key per second)",
		keys, calls1, calls, len(times), float64(calls)/keys/20)
	require.Equal(t, 2*keys*len(times), calls, "each flush: one call and one retry per key")
	// The k-th pause is in [d/2, d] (plus the step) for d = min(100ms × 2^(k−1), 5s).
	d := 100 * time.Millisecond
	for i := 1; i < len(times); i++ {
		gap := time.Duration(times[i] - times[i-1])
		require.GreaterOrEqual(t, gap, d/2, "pause %d", i)
		require.LessOrEqual(t, gap, d+step, "pause %d", i)
		d = min(2*d, 5*time.Second)
	}
	require.LessOrEqual(t, calls1, 5*2*keys, "at most 5 flushes in the first second")
	require.LessOrEqual(t, len(times), 13, "pauses of at least 50, 100, 200 ... 2500, 2500 ms in 20 s")
	require.LessOrEqual(t, float64(calls)/keys/20, 1.3, "store calls per pending key per second")

	// Back up: within one capped pause the backlog is stored, and the next
	// failure pauses for RetryDelay again, not the cap.
	s.setUp(true)
	advance(5 * time.Second)
	require.Zero(t, b.Stats().Pending)
	s.passes()
	s.setUp(false)
	require.NoError(t, b.Store(ctx, "again", "v"))
	advance(time.Second)
	times, _ = s.passes()
	require.GreaterOrEqual(t, len(times), 3, "after a success the pause is back to 50–100ms")
	require.LessOrEqual(t, time.Duration(times[1]-times[0]), 100*time.Millisecond+step)
	require.GreaterOrEqual(t, time.Duration(times[1]-times[0]), 50*time.Millisecond)
	err = b.Flush(ctx)
	require.ErrorIs(t, err, errBoom)
	s.setUp(true)
	require.NoError(t, b.Flush(ctx))
}

// valve is a store whose writes wait while it is shut.
type valve struct {
	base
	mu   sync.Mutex
	shut chan struct{} // nil: open
}

func (s *valve) Store(ctx context.Context, k, v string) error {
	s.mu.Lock()
	ch := s.shut
	s.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return s.mem.Store(ctx, k, v)
}

func (s *valve) close() {
	s.mu.Lock()
	s.shut = make(chan struct{})
	s.mu.Unlock()
}

func (s *valve) open() {
	s.mu.Lock()
	close(s.shut)
	s.shut = nil
	s.mu.Unlock()
}

// Item 13: with MaxPending keys pending, a write of a new key waits for
// room or for its ctx (and is then not accepted); a write of a pending key
// coalesces at once; Close releases the writers waiting.
func TestBuffer_MaxPendingBlocksNewKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := &valve{base: newBase()}
		s.close()
		b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, MaxPending: 2})
		require.NoError(t, err)
		require.NoError(t, b.Store(ctx, "a", "1"))
		require.NoError(t, b.Store(ctx, "b", "1"))
		synctest.Wait() // full: a flush started, and waits in the store
		require.NoError(t, b.Store(ctx, "a", "2"), "a pending key coalesces at once")

		short, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, b.Store(short, "c", "1"), context.DeadlineExceeded)
		require.Equal(t, time.Second, time.Since(start), "waited for room until its ctx ended")
		require.False(t, has(t, b, "c"), "a write that timed out is not accepted")
		require.Equal(t, 2, b.Stats().Pending)

		accepted := make(chan error)
		go func() { accepted <- b.Delete(ctx, "d") }()
		synctest.Wait()
		select {
		case <-accepted:
			t.Fatal("a write of a new key was accepted with MaxPending keys pending")
		default:
		}
		s.open() // the flush stores a and b: room for d
		require.NoError(t, <-accepted)
		require.NoError(t, b.Flush(ctx))
		v, _ := s.mem.Load(ctx, "a")
		require.Equal(t, "2", v)

		s.close()
		require.NoError(t, b.Store(ctx, "e", "1"))
		require.NoError(t, b.Store(ctx, "f", "1"))
		go func() { accepted <- b.Store(ctx, "g", "1") }()
		synctest.Wait()
		closed := make(chan error)
		go func() { closed <- b.Close(ctx) }()
		require.ErrorIs(t, <-accepted, writeback.ErrClosed, "Close releases writers waiting for room")
		s.open()
		require.NoError(t, <-closed)
		require.True(t, has(t, s.mem, "f"))
	})
}

// rewriting fails every Store, and rewrites the key through buf during
// the call, as a busy writer would.
type rewriting struct {
	base
	buf   *writeback.Buffer[string, string]
	calls int
}

func (s *rewriting) Store(ctx context.Context, k, v string) error {
	s.calls++ // only the flushing goroutine calls, one flush at a time
	_ = s.buf.Store(ctx, k, v+"'")
	return errBoom
}

// Item 13: the backoff follows failed store calls even when every write
// they failed to store was rewritten meanwhile (so no write is reported
// as failed): a hot key on a down store is not retried in a tight loop.
func TestBuffer_BacksOffWhenFailedWritesWereRewritten(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &rewriting{base: newBase()}
	b, err := writeback.New[string, string](s, writeback.Options{MaxDelay: time.Millisecond, Clock: clk})
	require.NoError(t, err)
	s.buf = b
	require.NoError(t, b.Store(ctx, "hot", "v"))
	for range 1000 {
		clk.Advance(time.Millisecond)
		b.Tick()
	}
	// Pauses of at least 50, 100, 200, 400 ms in one second: at most 5
	// flushes of a call and a retry.
	require.LessOrEqual(t, s.calls, 10, "store calls in 1 s")
	require.GreaterOrEqual(t, s.calls, 6)
	_ = b.Close(ctx)
}
