package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// TestLoadHistogram_ObservesEveryLoadByResult runs loads of known
// durations (a synctest bubble's time) through shard.Options.OnLoad and
// checks the buckets, sums and counts per result.
func TestLoadHistogram_ObservesEveryLoadByResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := metrics.NewLoadHistogram("tokens", 0.01, 0.1, 1)
		c := shard.Must(shard.Options[string, string]{Capacity: 8, OnLoad: metrics.ObserveLoad[string](h)})
		defer c.Close()
		ctx := context.Background()
		load := func(d time.Duration, err error) func(context.Context, string) (string, error) {
			return func(context.Context, string) (string, error) {
				time.Sleep(d)
				return "v", err
			}
		}
		if _, err := c.GetOrLoad(ctx, "a", load(5*time.Millisecond, nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetOrLoad(ctx, "a", load(time.Hour, nil)); err != nil { // a hit: no load
			t.Fatal(err)
		}
		if _, err := c.GetOrLoad(ctx, "b", load(50*time.Millisecond, nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetOrLoad(ctx, "c", load(500*time.Millisecond, shard.ErrNotFound)); !errors.Is(err, shard.ErrNotFound) {
			t.Fatal(err)
		}
		if _, err := c.GetOrLoad(ctx, "d", load(2*time.Second, errors.New("down"))); err == nil {
			t.Fatal("want the load's error")
		}
		synctest.Wait() // OnLoad runs after the waiters are released
		want := `
# HELP hotcache_cache_load_duration_seconds How long the cache's loads (GetOrLoad's and refresh-ahead reloads) ran, by result: ok, not_found (shard.ErrNotFound), error.
# TYPE hotcache_cache_load_duration_seconds histogram
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="error",le="0.01"} 0
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="error",le="0.1"} 0
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="error",le="1"} 0
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="error",le="+Inf"} 1
hotcache_cache_load_duration_seconds_sum{cache="tokens",result="error"} 2
hotcache_cache_load_duration_seconds_count{cache="tokens",result="error"} 1
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="not_found",le="0.01"} 0
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="not_found",le="0.1"} 0
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="not_found",le="1"} 1
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="not_found",le="+Inf"} 1
hotcache_cache_load_duration_seconds_sum{cache="tokens",result="not_found"} 0.5
hotcache_cache_load_duration_seconds_count{cache="tokens",result="not_found"} 1
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="ok",le="0.01"} 1
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="ok",le="0.1"} 2
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="ok",le="1"} 2
hotcache_cache_load_duration_seconds_bucket{cache="tokens",result="ok",le="+Inf"} 2
hotcache_cache_load_duration_seconds_sum{cache="tokens",result="ok"} 0.055
hotcache_cache_load_duration_seconds_count{cache="tokens",result="ok"} 2
`
		if err := testutil.CollectAndCompare(h, strings.NewReader(want)); err != nil {
			t.Error(err)
		}
	})
}

// TestLoadHistogram_WritebackCacheL1 checks that a writeback.Cache's loads
// from its store reach the histogram through L1.OnLoad, and that the
// histogram registers and lints beside the cache's collector.
func TestLoadHistogram_WritebackCacheL1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := metrics.NewLoadHistogram("sessions")
		mem := memstore.New[string, string]()
		if err := mem.Store(context.Background(), "k", "v"); err != nil {
			t.Fatal(err)
		}
		c, err := writeback.NewCache(mem, writeback.CacheOptions[string, string]{
			L1: shard.Options[string, string]{Capacity: 8, OnLoad: metrics.ObserveLoad[string](h)},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, k := range []string{"k", "k", "absent"} {
			if _, _, err := c.Get(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait() // OnLoad runs on the loading goroutine, after Get returns
		reg := prometheus.NewPedanticRegistry()
		if _, err := metrics.RegisterWritebackCache(reg, "sessions", c); err != nil {
			t.Fatal(err)
		}
		reg.MustRegister(h)
		if got := histCount(t, reg); got != 2 {
			t.Errorf("observed %d loads, want 2 (k once, absent once)", got)
		}
		problems, err := testutil.GatherAndLint(reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	})
}

// histCount is the number of loads the registry's load histogram counted.
func histCount(t *testing.T, reg *prometheus.Registry) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() == "hotcache_cache_load_duration_seconds" {
			for _, m := range mf.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
