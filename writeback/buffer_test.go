package writeback_test

import (
	"context"
	"errors"
	"github.com/hotcache/hotcache/internal/testhook"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/stretchr/testify/require"
)

func TestNew_BadOptions(t *testing.T) {
	mem := memstore.New[string, string]()
	for _, c := range []struct {
		store writeback.KV[string, string]
		opts  writeback.Options
		want  string
	}{
		{nil, writeback.Options{}, "writeback: store must not be nil"},
		{mem, writeback.Options{MaxBatch: -1}, "writeback: MaxBatch must be >= 0, got -1"},
		{mem, writeback.Options{MaxDelay: -time.Second}, "writeback: MaxDelay must be >= 0, got -1s"},
		{mem, writeback.Options{MaxPending: -1}, "writeback: MaxPending must be >= 0, got -1"},
		{mem, writeback.Options{RetryDelay: -1}, "writeback: RetryDelay must be >= 0, got -1ns"},
		{mem, writeback.Options{MaxRetryDelay: -1}, "writeback: MaxRetryDelay must be >= 0, got -1ns"},
		{mem, writeback.Options{RetryDelay: time.Second, MaxRetryDelay: time.Millisecond},
			"writeback: MaxRetryDelay (1ms) must be >= RetryDelay (1s)"},
		{mem, writeback.Options{MaxRetryDelay: time.Millisecond},
			"writeback: MaxRetryDelay (1ms) must be >= RetryDelay (100ms)"},
	} {
		_, err := writeback.New(c.store, c.opts)
		require.EqualError(t, err, c.want)
	}
}

// has reports whether s stores key.
func has(t *testing.T, s writeback.KV[string, string], key string) bool {
	_, err := s.Load(context.Background(), key)
	if errors.Is(err, shard.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

// The background goroutine's own timer and kick, with the default clock,
// in a synctest bubble: synctest.Test also fails if a goroutine outlives
// the bubble, so these prove Close stops the goroutine.
func TestBuffer_FlushesOnItsOwnTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memstore.New[string, string]()
		b, err := writeback.New(mem, writeback.Options{MaxBatch: 100, MaxDelay: time.Second})
		require.NoError(t, err)
		require.NoError(t, b.Store(t.Context(), "a", "1"))
		time.Sleep(time.Second - 1)
		synctest.Wait()
		require.False(t, has(t, mem, "a"), "flushed before MaxDelay")
		time.Sleep(1)
		synctest.Wait()
		require.True(t, has(t, mem, "a"), "not flushed at MaxDelay")
		require.NoError(t, b.Close(t.Context()))
	})
}

func TestBuffer_FlushesOnItsOwnAtMaxBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memstore.New[string, string]()
		b, err := writeback.New(mem, writeback.Options{MaxBatch: 3, MaxDelay: time.Hour})
		require.NoError(t, err)
		for _, k := range []string{"a", "b", "c"} {
			require.NoError(t, b.Store(t.Context(), k, k))
		}
		synctest.Wait() // no time passes: only the size can have triggered it
		require.Len(t, mem.Snapshot(), 3)
		require.NoError(t, b.Close(t.Context()))
	})
}

// base forwards Load and Delete to a memstore; the types embedding it add
// their own Store, and no optional capability.
type base struct {
	mem *memstore.Store[string, string]
}

func newBase() base { return base{memstore.New[string, string]()} }

func (b base) Load(ctx context.Context, k string) (string, error) { return b.mem.Load(ctx, k) }
func (b base) Delete(ctx context.Context, k string) error         { return b.mem.Delete(ctx, k) }

// blocking is a store whose writes wait for their context to end while
// block is set.
type blocking struct {
	base
	mu    sync.Mutex
	block bool
}

func (s *blocking) Store(ctx context.Context, k, v string) error {
	s.mu.Lock()
	block := s.block
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.mem.Store(ctx, k, v)
}

func TestBuffer_CloseCancelsAStuckFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &blocking{base: newBase(), block: true}
		b, err := writeback.New[string, string](s,
			writeback.Options{MaxBatch: 1})
		require.NoError(t, err)
		require.NoError(t, b.Store(t.Context(), "k", "v")) // starts a flush that hangs
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err = b.Close(ctx)
		var fe *writeback.FlushError[string]
		require.ErrorAs(t, err, &fe)
		require.Equal(t, []string{"k"}, fe.Keys)
		require.ErrorIs(t, err, context.Canceled, "the hung store call was cancelled")

		s.mu.Lock()
		s.block = false
		s.mu.Unlock()
		require.NoError(t, b.Flush(t.Context()), "Flush after Close retries what Close could not store")
		require.True(t, has(t, s.mem, "k"))
	})
}

// failing fails its next n Store calls.
type failing struct {
	base
	mu       sync.Mutex
	n, calls int
}

var errBoom = errors.New("boom")

func (s *failing) Store(ctx context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.n > 0 {
		s.n--
		return errBoom
	}
	return s.mem.Store(ctx, k, v)
}

func (s *failing) set(n int) (calls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n = n
	return s.calls
}

func TestBuffer_RetriesOnceThenKeepsTheWrite(t *testing.T) {
	ctx := t.Context()
	s := &failing{base: newBase()}
	var reported []error
	b, err := writeback.New[string, string](s,
		writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, Clock: clock.NewManual(time.Unix(0, 0)),
			OnError: func(err error) { reported = append(reported, err) }})
	require.NoError(t, err)
	defer b.Close(ctx)

	s.set(1)
	require.NoError(t, b.Store(ctx, "a", "1"))
	require.NoError(t, b.Flush(ctx), "one failure is absorbed by the retry")
	require.True(t, has(t, s.mem, "a"))
	require.Empty(t, reported)

	s.set(2)
	require.NoError(t, b.Store(ctx, "a", "2"))
	err = b.Flush(ctx)
	require.EqualError(t, err, "writeback: 1 writes not stored (keys a): boom")
	require.Len(t, reported, 1)
	require.ErrorIs(t, reported[0], errBoom)
	v, _ := s.Load(ctx, "a")
	require.Equal(t, "1", v)
	v, _ = b.Load(ctx, "a")
	require.Equal(t, "2", v, "a failed write stays pending")

	require.NoError(t, b.Store(ctx, "a", "3")) // supersedes the failed write
	require.NoError(t, b.Flush(ctx))
	v, _ = s.Load(ctx, "a")
	require.Equal(t, "3", v)
}

func TestBuffer_BackgroundFailure(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(0, 0))
	s := &failing{base: newBase()}
	var reported int
	b, err := writeback.New[string, string](s,
		writeback.Options{MaxBatch: 100, MaxDelay: time.Second, RetryDelay: 2 * time.Second, Clock: clk,
			OnError: func(error) { reported++ }})
	require.NoError(t, err)
	defer b.Close(ctx)

	s.set(1 << 30)
	require.NoError(t, b.Store(ctx, "a", "1"))
	clk.Advance(time.Second)
	testhook.BufferTick(b)
	require.Equal(t, 1, reported)
	calls := s.set(1 << 30)
	require.Equal(t, 2, calls, "one call and one retry")

	clk.Advance(time.Second - 1)
	testhook.BufferTick(b)
	require.Equal(t, 2, s.set(1<<30), "a failed background flush waits at least RetryDelay/2 before the next")
	clk.Advance(time.Second + 1)
	testhook.BufferTick(b)
	require.Equal(t, 4, s.set(0))
	require.Equal(t, 2, reported)

	err = b.Flush(ctx)
	require.EqualError(t, err, "writeback: an earlier flush failed (its writes were stored on retry): boom",
		"Flush reports a background failure even when its retry stored the write")
	require.True(t, has(t, s.mem, "a"))
	require.NoError(t, b.Flush(ctx), "an error is returned once")
}

// bulkCounter counts StoreMany calls; its memstore also offers InTx.
type bulkCounter struct {
	base
	calls int
}

func (s *bulkCounter) Store(ctx context.Context, k, v string) error { return s.mem.Store(ctx, k, v) }

func (s *bulkCounter) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	s.calls++
	return s.mem.StoreMany(ctx, es)
}

func (s *bulkCounter) DeleteMany(ctx context.Context, keys []string) error {
	return s.mem.DeleteMany(ctx, keys)
}

func (s *bulkCounter) InTx(ctx context.Context, fn func(writeback.KV[string, string]) error) error {
	return s.mem.InTx(ctx, fn)
}

func TestBuffer_PrefersBulkAndSplitsBatches(t *testing.T) {
	s := &bulkCounter{base: newBase()}
	b, err := writeback.New[string, string](s, writeback.Options{MaxBatch: 4, MaxDelay: time.Hour,
		Clock: clock.NewManual(time.Unix(0, 0))})
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		require.NoError(t, b.Store(t.Context(), k, k))
	}
	require.NoError(t, b.Close(t.Context()))
	require.Len(t, s.mem.Snapshot(), 10)
	require.GreaterOrEqual(t, s.calls, 3, "10 keys need 3 or more calls of at most MaxBatch=4")
}
