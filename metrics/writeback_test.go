package metrics_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// flaky is a store that fails every call while down is set. Embedding KV
// hides memstore's bulk methods: the buffer makes one call per key.
type flaky struct {
	writeback.KV[string, string]
	down atomic.Bool
}

func newFlaky() *flaky { return &flaky{KV: memstore.New[string, string]()} }

func (s *flaky) Load(ctx context.Context, k string) (string, error) {
	if s.down.Load() {
		return "", errBackend
	}
	return s.KV.Load(ctx, k)
}

func (s *flaky) Store(ctx context.Context, k, v string) error {
	if s.down.Load() {
		return errBackend
	}
	return s.KV.Store(ctx, k, v)
}

func (s *flaky) Delete(ctx context.Context, k string) error {
	if s.down.Load() {
		return errBackend
	}
	return s.KV.Delete(ctx, k)
}

const bufferHelp = `
# HELP hotcache_writeback_flushes_total Flushes that wrote at least one key.
# TYPE hotcache_writeback_flushes_total counter
# HELP hotcache_writeback_isolated_total Writes the store rejected alone while it stored the rest of their batch; each is retried on its own until rewritten.
# TYPE hotcache_writeback_isolated_total counter
# HELP hotcache_writeback_oldest_pending_seconds Age of the oldest write not stored yet, by the buffer's clock; 0 when none is pending.
# TYPE hotcache_writeback_oldest_pending_seconds gauge
# HELP hotcache_writeback_pending Keys whose latest write the buffer has not stored yet.
# TYPE hotcache_writeback_pending gauge
# HELP hotcache_writeback_retries_total Store calls that retried the writes of an earlier failed call.
# TYPE hotcache_writeback_retries_total counter
# HELP hotcache_writeback_splits_total Failed store calls of many keys whose keys the buffer retried as two calls, one per half.
# TYPE hotcache_writeback_splits_total counter
# HELP hotcache_writeback_store_calls_total Calls a writeback Buffer or Cache made to its store's write methods (Store, Delete, StoreMany, DeleteMany, one per transaction); a retry is a call of its own.
# TYPE hotcache_writeback_store_calls_total counter
# HELP hotcache_writeback_store_errors_total Calls a writeback Buffer or Cache made to its store's write methods that failed (a panic included).
# TYPE hotcache_writeback_store_errors_total counter
# HELP hotcache_writeback_written_total Key writes (stores and deletes) that the store accepted.
# TYPE hotcache_writeback_written_total counter
`

// bufferWant is the exposition of buffer "sessions" with the given values,
// by family name without its hotcache_writeback_ prefix; families not
// given are 0.
func bufferWant(values map[string]string) string {
	var b strings.Builder
	for line := range strings.Lines(bufferHelp) {
		b.WriteString(line)
		if strings.HasPrefix(line, "# TYPE ") {
			name := strings.Fields(line)[2]
			v, ok := values[strings.TrimPrefix(name, "hotcache_writeback_")]
			if !ok {
				v = "0"
			}
			b.WriteString(name + `{cache="sessions"} ` + v + "\n")
		}
	}
	return b.String()
}

func TestBufferCollector(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	store := newFlaky()
	buf, err := writeback.New[string, string](store, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close(ctx)
	reg := prometheus.NewPedanticRegistry()
	if _, err := metrics.RegisterBuffer(reg, "sessions", buf); err != nil {
		t.Fatal(err)
	}
	compare := func(step, want string) {
		t.Helper()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
	compare("new", bufferWant(nil))

	for _, w := range []struct {
		key, value string
		wait       time.Duration
	}{{"a", "1", 1500 * time.Millisecond}, {"b", "1", 0}, {"a", "2", time.Second}} {
		if err := buf.Store(ctx, w.key, w.value); err != nil {
			t.Fatal(err)
		}
		clk.Advance(w.wait)
	}
	// Two keys pending (a's writes coalesced); a's first write is 2.5s old.
	compare("pending", bufferWant(map[string]string{"oldest_pending_seconds": "2.5", "pending": "2"}))

	// The store is down: each key's call fails, and so does its one retry.
	store.down.Store(true)
	if err := buf.Flush(ctx); !errors.Is(err, errBackend) {
		t.Fatalf("Flush with the store down: error %v, want %v", err, errBackend)
	}
	compare("failed flush", bufferWant(map[string]string{"oldest_pending_seconds": "2.5", "pending": "2", "retries_total": "2", "store_calls_total": "4", "store_errors_total": "4"}))

	store.down.Store(false)
	if err := buf.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Both calls write keys whose earlier call failed: retries too.
	compare("flushed", bufferWant(map[string]string{"flushes_total": "1", "retries_total": "4", "store_calls_total": "6", "store_errors_total": "4", "written_total": "2"}))

	if _, err := metrics.RegisterBuffer(reg, "sessions", buf); err == nil ||
		!strings.Contains(err.Error(), `a write-behind buffer named "sessions" is already registered`) {
		t.Errorf("second buffer named sessions: error %v", err)
	}
}

func TestWritebackCacheCollector(t *testing.T) {
	ctx := context.Background()
	store := newFlaky()
	for _, k := range []string{"a", "b", "c"} {
		if err := store.Store(ctx, k, "v-"+k); err != nil {
			t.Fatal(err)
		}
	}
	c, err := writeback.NewCache[string, string](store, writeback.CacheOptions[string, string]{
		Capacity: 2, CountHits: true, Clock: clock.NewManual(time.Unix(1_700_000_000, 0)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	load := func(key string, wantErr error) {
		t.Helper()
		if _, err := c.Load(ctx, key); !errors.Is(err, wantErr) {
			t.Fatalf("Load(%s): error %v, want %v", key, err, wantErr)
		}
	}
	entries := func(want int) {
		t.Helper()
		if n := c.Stats().Len; n != want {
			t.Fatalf("cache holds %d entries, want %d", n, want)
		}
	}
	load("a", nil) // miss, load 1
	load("a", nil) // hit 1
	load("b", nil) // miss, load 2
	load("c", nil) // miss, load 3: the cache holds 2, one goes (capacity 1)
	entries(2)
	load("x", shard.ErrNotFound) // miss, load 4, not found 1 (not a load error), remembered
	load("x", shard.ErrNotFound) // negative hit 1, and a miss: no live entry
	store.down.Store(true)
	load("y", errBackend) // miss, load 5, load error 1
	// Store call 1, error 1: the store may or may not hold the new value,
	// so c's cached copy goes all the same (deleted 1).
	if err := c.Store(ctx, "c", "new"); !errors.Is(err, errBackend) {
		t.Fatalf("Store with the store down: %v", err)
	}
	entries(1)
	store.down.Store(false)
	if err := c.Delete(ctx, "c"); err != nil { // store call 2; nothing cached to drop
		t.Fatal(err)
	}
	entries(1)

	reg := prometheus.NewPedanticRegistry()
	if _, err := metrics.RegisterWritebackCache(reg, "tokens", c); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP hotcache_cache_entries Entries in the cache, expired ones not yet reclaimed included.
# TYPE hotcache_cache_entries gauge
hotcache_cache_entries{cache="tokens"} 1
# HELP hotcache_cache_evictions_total Entries that left the cache, by reason: capacity, expired, deleted, replaced.
# TYPE hotcache_cache_evictions_total counter
hotcache_cache_evictions_total{cache="tokens",reason="capacity"} 1
hotcache_cache_evictions_total{cache="tokens",reason="deleted"} 1
hotcache_cache_evictions_total{cache="tokens",reason="expired"} 0
hotcache_cache_evictions_total{cache="tokens",reason="replaced"} 0
# HELP hotcache_cache_hits_counted 1 if the cache counts hits and misses (shard.Options.CountHits), else 0: without it hotcache_cache_hits_total and hotcache_cache_misses_total are not exported.
# TYPE hotcache_cache_hits_counted gauge
hotcache_cache_hits_counted{cache="tokens"} 1
# HELP hotcache_cache_hits_total Get and GetOrLoad calls that found a live entry. Counted only with shard.Options.CountHits (see hotcache_cache_hits_counted).
# TYPE hotcache_cache_hits_total counter
hotcache_cache_hits_total{cache="tokens"} 1
# HELP hotcache_cache_load_errors_total Loads that failed: an error other than not-found, or a panic.
# TYPE hotcache_cache_load_errors_total counter
hotcache_cache_load_errors_total{cache="tokens"} 1
# HELP hotcache_cache_loads_total Loads started by GetOrLoad for missing keys.
# TYPE hotcache_cache_loads_total counter
hotcache_cache_loads_total{cache="tokens"} 5
# HELP hotcache_cache_misses_total Get and GetOrLoad calls that found no live entry. Counted only with shard.Options.CountHits (see hotcache_cache_hits_counted).
# TYPE hotcache_cache_misses_total counter
hotcache_cache_misses_total{cache="tokens"} 6
# HELP hotcache_cache_negative_hits_total GetOrLoad calls answered by a remembered not-found (shard.Options.NegativeTTL).
# TYPE hotcache_cache_negative_hits_total counter
hotcache_cache_negative_hits_total{cache="tokens"} 1
# HELP hotcache_cache_not_found_total Loads and refreshes that found nothing (an error wrapping shard.ErrNotFound).
# TYPE hotcache_cache_not_found_total counter
hotcache_cache_not_found_total{cache="tokens"} 1
# HELP hotcache_cache_refresh_errors_total Background reloads that failed (not-found aside); the old value was kept.
# TYPE hotcache_cache_refresh_errors_total counter
hotcache_cache_refresh_errors_total{cache="tokens"} 0
# HELP hotcache_cache_refreshes_total Background reloads started by refresh-ahead (shard.Options.RefreshAhead).
# TYPE hotcache_cache_refreshes_total counter
hotcache_cache_refreshes_total{cache="tokens"} 0
# HELP hotcache_cache_sets_total Entries stored by Set, SetTTL, SetIfAbsent and loads.
# TYPE hotcache_cache_sets_total counter
hotcache_cache_sets_total{cache="tokens"} 3
# HELP hotcache_writeback_store_calls_total Calls a writeback Buffer or Cache made to its store's write methods (Store, Delete, StoreMany, DeleteMany, one per transaction); a retry is a call of its own.
# TYPE hotcache_writeback_store_calls_total counter
hotcache_writeback_store_calls_total{cache="tokens"} 2
# HELP hotcache_writeback_store_errors_total Calls a writeback Buffer or Cache made to its store's write methods that failed (a panic included).
# TYPE hotcache_writeback_store_errors_total counter
hotcache_writeback_store_errors_total{cache="tokens"} 1
# HELP hotcache_cache_weight Total weight of the entries in the cache, as shard.Options.Weigher weighs them; 0 without a Weigher.
# TYPE hotcache_cache_weight gauge
hotcache_cache_weight{cache="tokens"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	// The cache's name is shared with the other cache collectors.
	other := shard.Must(options())
	defer other.Close()
	if _, err := metrics.Register(reg, "tokens", other); err == nil {
		t.Error("a shard.Cache named tokens registered beside the writeback.Cache named tokens")
	}
}

// promlint finds nothing to say about any family.
func TestLint(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	c := shard.Must(options())
	defer c.Close()
	buf, err := writeback.New[string, string](newFlaky(), writeback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close(ctx)
	wc, err := writeback.NewCache[string, string](newFlaky(), writeback.CacheOptions[string, string]{Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	rec := metrics.NewFluxRecorder(c)
	rec.RecordCacheEvent(metrics.CacheEventTypeHit, "Kind", "name", "ns")
	rec.RecordRequest(nil)
	for _, col := range []prometheus.Collector{
		metrics.NewCollector("shard", c),
		metrics.NewBufferCollector("buffer", buf),
		metrics.NewWritebackCacheCollector("readthrough", wc),
		rec,
	} {
		if err := reg.Register(col); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// poisonBulk is a bulk store that rejects every batch holding the value
// "poison", as a constraint of a real database would.
type poisonBulk struct {
	*flaky
}

var errPoison = errors.New("value rejected")

func (s poisonBulk) StoreMany(ctx context.Context, entries []writeback.Entry[string, string]) error {
	for _, e := range entries {
		if e.Value == "poison" {
			return errPoison
		}
	}
	for _, e := range entries {
		if err := s.Store(ctx, e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s poisonBulk) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := s.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// TestBufferCollector_SplitsAndIsolated: a batch with one value the store
// rejects is split down to that write, which is isolated; the two families
// report the buffer's Splits and Isolated.
func TestBufferCollector_SplitsAndIsolated(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	buf, err := writeback.New[string, string](poisonBulk{newFlaky()}, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close(ctx)
	reg := prometheus.NewPedanticRegistry()
	if _, err := metrics.RegisterBuffer(reg, "sessions", buf); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		v := "ok-" + k
		if k == "f" {
			v = "poison"
		}
		if err := buf.Store(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := buf.Flush(ctx); !errors.Is(err, errPoison) {
		t.Fatalf("Flush with a poison value: error %v, want %v", err, errPoison)
	}
	st := buf.Stats()
	if st.Splits == 0 || st.Isolated != 1 || st.Pending != 1 {
		t.Fatalf("after the flush: Splits %d, Isolated %d, Pending %d; want splits, 1 isolated, 1 pending", st.Splits, st.Isolated, st.Pending)
	}
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
	}
	if got["hotcache_writeback_splits_total"] != float64(st.Splits) || got["hotcache_writeback_isolated_total"] != float64(st.Isolated) {
		t.Errorf("splits_total %v, isolated_total %v; Stats says %d and %d",
			got["hotcache_writeback_splits_total"], got["hotcache_writeback_isolated_total"], st.Splits, st.Isolated)
	}
}
