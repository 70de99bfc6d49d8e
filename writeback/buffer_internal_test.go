package writeback

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/stretchr/testify/require"
)

// mapStore is a minimal bulk store for the internal tests.
type mapStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *mapStore) Load(context.Context, string) (string, error) { return "", nil }
func (s *mapStore) Store(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}
func (s *mapStore) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// checkList fails unless the pending lists hold each pending entry once:
// the isolated ones in theirs, the others in order of the oldest unstored
// write, and nothing else.
func checkList[K comparable, V any](t *testing.T, b *Buffer[K, V]) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	n, iso := 0, 0
	for _, alone := range []bool{false, true} {
		head, tail := b.ends(alone)
		var prev *entry[K, V]
		for e := *head; e != nil; e = e.next {
			require.Same(t, b.pending[e.key], e, "a listed entry is not the key's pending entry")
			require.Equal(t, prev, e.prev)
			require.Equal(t, alone, e.alone, "an entry in the wrong list")
			if prev != nil && !alone {
				require.LessOrEqual(t, prev.since, e.since)
			}
			prev = e
			n++
			if alone {
				iso++
			}
			require.LessOrEqual(t, n, len(b.pending), "the lists are longer than the pending keys")
		}
		require.Equal(t, prev, *tail)
	}
	require.Equal(t, len(b.pending), n, "pending keys missing from the lists")
	require.Equal(t, b.isoN, iso, "isoN")
}

// Item 12: the list of pending keys stays exactly the pending keys while
// hot keys are rewritten during flushes.
func TestList_StaysThePendingKeys(t *testing.T) {
	ctx := t.Context()
	s := &mapStore{m: map[string]string{}}
	b, err := New[string, string](s, Options{MaxBatch: 4, MaxDelay: time.Hour, Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
	require.NoError(t, err)
	defer b.Close(ctx)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				k := fmt.Sprint("hot", i%3)
				if i%2 == 0 {
					k = fmt.Sprint("g", g, "-", i%50)
				}
				require.NoError(t, b.Store(ctx, k, fmt.Sprint(i)))
			}
		})
	}
	for range 200 {
		require.NoError(t, b.Flush(ctx))
		checkList(t, b)
	}
	wg.Wait()
	checkList(t, b)
	require.NoError(t, b.Flush(ctx))
	checkList(t, b)
	require.Zero(t, b.Stats().Pending)
}

// The retry delay doubles up to MaxRetryDelay without overflowing, and
// its jitter keeps it in [d/2, d].
func TestRetryDelay(t *testing.T) {
	for _, o := range []Options{
		{RetryDelay: 100 * time.Millisecond, MaxRetryDelay: 5 * time.Second},
		{RetryDelay: 1 << 61, MaxRetryDelay: 1<<63 - 1},
		{RetryDelay: 3, MaxRetryDelay: 1<<63 - 1},
	} {
		b := &Buffer[string, string]{opts: o}
		want := int64(o.RetryDelay)
		for fails := range 80 {
			if fails > 1 {
				want = min(want, int64(o.MaxRetryDelay)/2) * 2
				want = min(want, int64(o.MaxRetryDelay))
			}
			for range 20 {
				d := b.retryDelay(fails)
				require.GreaterOrEqual(t, d, want-want/2, "%+v after %d failures", o, fails)
				require.LessOrEqual(t, d, want, "%+v after %d failures", o, fails)
			}
		}
	}
}
