package storetest

import (
	"context"
	"errors"
	"fmt"
	"github.com/hotcache/hotcache/internal/testhook"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Store is the store type the suite tests.
type Store = writeback.KV[string, []byte]

// mode is one way for the buffer to write: the capabilities it is shown.
type mode struct {
	name string
	view func(p *probe) (Store, bool) // false: the store lacks the capability
}

var modes = []mode{
	{"bulk", func(p *probe) (Store, bool) {
		_, ok := p.raw.(writeback.BulkStore[string, []byte])
		return bulkView{p}, ok
	}},
	{"tx", func(p *probe) (Store, bool) {
		_, ok := p.raw.(writeback.TxStore[string, []byte])
		return txView{p}, ok
	}},
	{"single", func(p *probe) (Store, bool) { return singleView{p}, true }},
}

// env is one case's store: raw to check what is stored, p to count and
// inject faults, view to give the buffer.
type env struct {
	raw  Store
	p    *probe
	view Store
}

var cases = []struct {
	name string
	run  func(t *testing.T, e env)
}{
	{"FlushBySize", testFlushBySize},
	{"FlushByTime", testFlushByTime},
	{"Coalescing", testCoalescing},
	{"ReadYourWrites", testReadYourWrites},
	{"DrainOnClose", testDrainOnClose},
	{"Faults", testFaults},
	{"ManyWriters", testManyWriters},
	{"CacheStackNeverStale", testCacheStack},
}

// Run runs the suite on stores returned by newStore, which must return a
// new, empty store on each call (closing it with t.Cleanup if needed).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			if _, ok := m.view(&probe{raw: newStore(t)}); !ok {
				t.Skipf("store has no %s capability", m.name)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					p := &probe{raw: newStore(t)}
					view, _ := m.view(p)
					c.run(t, env{raw: p.raw, p: p, view: view})
				})
			}
		})
	}
	t.Run("Parity", func(t *testing.T) { testParity(t, newStore) })
}

func key(i int) string { return fmt.Sprintf("k%04d", i) }

func newBuffer(t *testing.T, s Store, opts writeback.Options) *writeback.Buffer[string, []byte] {
	t.Helper()
	b, err := writeback.New(s, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func manual() *clock.Manual { return clock.NewManual(time.Unix(1_700_000_000, 0)) }

// stored returns what s holds under key, "" if nothing.
func stored(t *testing.T, s Store, key string) string {
	t.Helper()
	v, err := s.Load(t.Context(), key)
	if errors.Is(err, shard.ErrNotFound) {
		return ""
	}
	require.NoError(t, err, "Load(%q)", key)
	require.NotEmpty(t, v, "Load(%q)", key)
	return string(v)
}

func testFlushBySize(t *testing.T, e env) {
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 8, MaxDelay: time.Hour, Clock: manual()})
	for i := range 7 {
		require.NoError(t, b.Store(t.Context(), key(i), []byte("v")))
	}
	testhook.BufferTick(b)
	for i := range 7 {
		require.Empty(t, stored(t, e.raw, key(i)), "flushed before MaxBatch keys were pending")
	}
	require.NoError(t, b.Store(t.Context(), key(7), []byte("v")))
	testhook.BufferTick(b)
	for i := range 8 {
		require.Equal(t, "v", stored(t, e.raw, key(i)), "not flushed at MaxBatch pending keys")
	}
}

func testFlushByTime(t *testing.T, e env) {
	clk := manual()
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 1000, MaxDelay: time.Second, Clock: clk})
	ctx := t.Context()
	require.NoError(t, b.Store(ctx, "a", []byte("1")))
	clk.Advance(500 * time.Millisecond)
	require.NoError(t, b.Store(ctx, "b", []byte("2")))
	clk.Advance(500*time.Millisecond - 1)
	testhook.BufferTick(b)
	require.Empty(t, stored(t, e.raw, "a"), "flushed before MaxDelay")
	clk.Advance(1)
	testhook.BufferTick(b)
	require.Equal(t, "1", stored(t, e.raw, "a"), "not flushed MaxDelay after the oldest write")
	require.Equal(t, "2", stored(t, e.raw, "b"), "a flush writes every pending key")

	// The delay counts from the oldest write since the last flush.
	require.NoError(t, b.Store(ctx, "c", []byte("3")))
	clk.Advance(time.Second - 1)
	testhook.BufferTick(b)
	require.Empty(t, stored(t, e.raw, "c"))
	clk.Advance(1)
	testhook.BufferTick(b)
	require.Equal(t, "3", stored(t, e.raw, "c"))
}

func testCoalescing(t *testing.T, e env) {
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 64, MaxDelay: time.Hour, Clock: manual()})
	last := map[string]string{}
	for i := range 1000 {
		k, v := key(i%10), fmt.Sprint("v", i)
		require.NoError(t, b.Store(t.Context(), k, []byte(v)))
		last[k] = v
		if i%100 == 99 {
			before := e.p.rows.Load()
			require.NoError(t, b.Flush(t.Context()))
			require.EqualValues(t, 10, e.p.rows.Load()-before, "rows written by one flush of 100 writes to 10 keys")
		}
	}
	for k, v := range last {
		require.Equal(t, v, stored(t, e.raw, k), "the last write must win")
	}
}

func testReadYourWrites(t *testing.T, e env) {
	ctx := t.Context()
	require.NoError(t, e.raw.Store(ctx, "a", []byte("old")))
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 1000, MaxDelay: time.Hour, Clock: manual()})
	load := func(k string) string {
		v, err := b.Load(ctx, k)
		if errors.Is(err, shard.ErrNotFound) {
			return ""
		}
		require.NoError(t, err)
		return string(v)
	}
	require.Equal(t, "old", load("a"), "a key not pending is read from the store")
	require.Empty(t, load("b"))
	require.NoError(t, b.Store(ctx, "a", []byte("new")))
	require.NoError(t, b.Store(ctx, "b", []byte("b1")))
	require.Equal(t, "new", load("a"))
	require.Equal(t, "b1", load("b"))
	require.Equal(t, "old", stored(t, e.raw, "a"), "nothing flushed yet")
	require.NoError(t, b.Delete(ctx, "a"))
	require.Empty(t, load("a"), "a pending delete hides the stored value")
	require.NoError(t, b.Flush(ctx))
	require.Empty(t, load("a"))
	require.Empty(t, stored(t, e.raw, "a"))
	require.Equal(t, "b1", load("b"))
}

func testDrainOnClose(t *testing.T, e env) {
	ctx := t.Context()
	require.NoError(t, e.raw.Store(ctx, "gone", []byte("x")))
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 1000, MaxDelay: time.Hour, Clock: manual()})
	for i := range 100 {
		require.NoError(t, b.Store(ctx, key(i), []byte(key(i))))
	}
	require.NoError(t, b.Delete(ctx, "gone"))
	require.Empty(t, stored(t, e.raw, key(0)))
	require.NoError(t, b.Close(ctx))
	for i := range 100 {
		require.Equal(t, key(i), stored(t, e.raw, key(i)), "Close must drain every pending write")
	}
	require.Empty(t, stored(t, e.raw, "gone"), "Close must drain pending deletes")
	require.ErrorIs(t, b.Store(ctx, "late", []byte("x")), writeback.ErrClosed)
	require.ErrorIs(t, b.Delete(ctx, key(0)), writeback.ErrClosed)
	require.ErrorIs(t, b.Store(ctx, "late", []byte("x")), shard.ErrClosed, "one ErrClosed across packages")
	v, err := b.Load(ctx, key(1))
	require.NoError(t, err, "Load works after Close")
	require.Equal(t, key(1), string(v))
	require.NoError(t, b.Close(ctx), "a second Close has nothing to do")
}

// testFaults runs 10,000 writes and deletes over 500 keys against a store
// failing one write call in three and panicking in one in fifty, with
// size, time and explicit flushes.
// Whenever Flush or Close returns, every key must hold its last written
// value or be named by the returned error: nothing is lost silently. Then,
// with faults off, one more Flush must store everything: failed writes
// were kept, not dropped.
func testFaults(t *testing.T, e env) {
	const ops, keys = 10_000, 500
	ctx := t.Context()
	clk := manual()
	var reports int
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 64, MaxDelay: time.Second, Clock: clk,
		OnError: func(err error) {
			var fe *writeback.FlushError[string]
			assert.ErrorAs(t, err, &fe)
			reports++ // only the flushing goroutine, which holds the flush lock, writes it
		}})
	e.p.setFaults(42)
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]string{} // key -> last written value, "" for deleted
	check := func(err error, what string) {
		t.Helper()
		named := map[string]bool{}
		if err != nil {
			var fe *writeback.FlushError[string]
			require.ErrorAs(t, err, &fe, what)
			require.ErrorIs(t, err, errInjected, what)
			for _, k := range fe.Keys {
				named[k] = true
			}
		}
		for k, want := range model {
			if got := stored(t, e.raw, k); got != want && !named[k] {
				t.Fatalf("%s: key %s holds %q, last written %q, and the error (%v) does not name it", what, k, got, want, err)
			}
		}
	}
	for i := range ops {
		k := key(rng.IntN(keys))
		if rng.IntN(5) == 0 {
			require.NoError(t, b.Delete(ctx, k))
			model[k] = ""
		} else {
			v := fmt.Sprint("v", i)
			require.NoError(t, b.Store(ctx, k, []byte(v)))
			model[k] = v
		}
		if i%97 == 0 {
			clk.Advance(time.Second)
			testhook.BufferTick(b)
		}
		if i%1000 == 999 {
			check(b.Flush(ctx), fmt.Sprintf("Flush after %d ops", i+1))
		}
	}
	check(b.Close(ctx), "Close")
	require.Positive(t, e.p.injected(), "no fault was injected")
	require.Positive(t, reports, "no failed flush was reported to OnError")
	e.p.setFaults(0)
	require.NoError(t, b.Flush(ctx), "Flush after Close with faults off")
	check(nil, "Flush after Close with faults off")
}

// testManyWriters has writers race on the buffer (each on its own keys, so
// each knows its last write) while it flushes by size, by time and on
// Flush. Every Load must see the goroutine's own last write.
func testManyWriters(t *testing.T, e env) {
	const writers, ops, keys = 8, 300, 20
	ctx := t.Context()
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 16, MaxDelay: time.Millisecond})
	models := make([]map[string]string, writers)
	var wg sync.WaitGroup
	stop, flusherDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(flusherDone)
		for {
			select {
			case <-stop:
				return
			default:
				assert.NoError(t, b.Flush(ctx))
			}
		}
	}()
	for g := range writers {
		models[g] = map[string]string{}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range ops {
				k := fmt.Sprintf("g%d-%d", g, rng.IntN(keys))
				want := ""
				if rng.IntN(4) == 0 {
					assert.NoError(t, b.Delete(ctx, k))
				} else {
					want = fmt.Sprint("v", i)
					assert.NoError(t, b.Store(ctx, k, []byte(want)))
				}
				models[g][k] = want
				v, err := b.Load(ctx, k)
				if want == "" {
					assert.ErrorIs(t, err, shard.ErrNotFound, "Load after Delete")
				} else if assert.NoError(t, err) {
					assert.Equal(t, want, string(v), "Load after Store")
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-flusherDone
	require.NoError(t, b.Close(ctx))
	for _, m := range models {
		for k, want := range m {
			require.Equal(t, want, stored(t, e.raw, k))
		}
	}
}

// testParity runs the same writes through every mode the store supports
// and requires the same rows from each.
func testParity(t *testing.T, newStore func(t *testing.T) Store) {
	const ops, keys = 3000, 200
	var first map[string]string
	var firstMode string
	for _, m := range modes {
		p := &probe{raw: newStore(t)}
		view, ok := m.view(p)
		if !ok {
			continue
		}
		b := newBuffer(t, view, writeback.Options{MaxBatch: 32, MaxDelay: time.Hour, Clock: manual()})
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range ops {
			k := key(rng.IntN(keys))
			if rng.IntN(4) == 0 {
				require.NoError(t, b.Delete(t.Context(), k))
			} else {
				require.NoError(t, b.Store(t.Context(), k, []byte(fmt.Sprint("v", i))))
			}
			if i%300 == 299 {
				require.NoError(t, b.Flush(t.Context()))
			}
		}
		require.NoError(t, b.Close(t.Context()))
		rows := map[string]string{}
		for i := range keys {
			rows[key(i)] = stored(t, p.raw, key(i))
		}
		if first == nil {
			first, firstMode = rows, m.name
			continue
		}
		require.Equal(t, first, rows, "rows written in mode %s differ from mode %s", m.name, firstMode)
	}
}

// testCacheStack runs Cache → Buffer → store, with writers (each on its own
// keys) and readers that keep filling the cache with every key: after each
// write through the stack, a Load through it must return that write.
func testCacheStack(t *testing.T, e env) {
	const writers, readers, ops, keys = 4, 4, 300, 10
	ctx := t.Context()
	b := newBuffer(t, e.view, writeback.Options{MaxBatch: 8, MaxDelay: time.Millisecond})
	c, err := writeback.NewCache(b, writeback.CacheOptions[string, []byte]{Capacity: 1000})
	require.NoError(t, err)
	defer c.Close()
	var wg, rg sync.WaitGroup
	stop := make(chan struct{})
	for r := range readers {
		rg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					_, _ = c.Load(ctx, fmt.Sprintf("w%d-%d", (i+r)%writers, i%keys))
				}
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for i := range ops {
				k := fmt.Sprintf("w%d-%d", w, i%keys)
				if i%5 == 4 {
					assert.NoError(t, c.Delete(ctx, k))
					_, err := c.Load(ctx, k)
					assert.ErrorIs(t, err, shard.ErrNotFound, "stale read after Delete of %s", k)
					continue
				}
				want := fmt.Sprint(i)
				assert.NoError(t, c.Store(ctx, k, []byte(want)))
				v, err := c.Load(ctx, k)
				if assert.NoError(t, err) {
					assert.Equal(t, want, string(v), "stale read after Store of %s", k)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	require.NoError(t, b.Close(ctx))
}
