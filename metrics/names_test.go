package metrics_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
)

// gathered returns "family{label names}" for every series reg gathers.
func gathered(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName())
			}
			out = append(out, mf.GetName()+"{"+strings.Join(ls, ",")+"}")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestNames_OneRule checks the naming rule on every collector of the
// package: hotcache_<component>_<what>, a cache label, _total on counters;
// and that LegacyNames brings back the former names and labels.
func TestNames_OneRule(t *testing.T) {
	ctx := context.Background()
	c := shard.Must(shard.Options[string, string]{Capacity: 8, CountHits: true})
	defer c.Close()
	buf, err := writeback.New[string, string](newFlaky(), writeback.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Close(ctx)
	wc, err := writeback.NewCache[string, string](newFlaky(), writeback.CacheOptions[string, string]{L1: shard.Options[string, string]{Capacity: 8}})
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(metrics.NewCollector("a", c), metrics.NewBufferCollector("b", buf),
		metrics.NewWritebackCacheCollector("c", wc), metrics.NewLoadHistogram("a"))
	for _, s := range gathered(t, reg) {
		name, labels, _ := strings.Cut(s, "{")
		if !strings.HasPrefix(name, "hotcache_cache_") && !strings.HasPrefix(name, "hotcache_writeback_") {
			t.Errorf("%s: not hotcache_<component>_<what> (component cache or writeback)", name)
		}
		if !strings.HasPrefix(labels, "cache") {
			t.Errorf("%s: first label is not cache", s)
		}
	}

	legacy := prometheus.NewPedanticRegistry()
	legacy.MustRegister(metrics.NewCollector("a", c, metrics.LegacyNames()), metrics.NewBufferCollector("b", buf, metrics.LegacyNames()),
		metrics.NewWritebackCacheCollector("c", wc, metrics.LegacyNames()))
	got := gathered(t, legacy)
	for _, want := range []string{"hotcache_hits_total{cache}", "hotcache_evictions_total{cache,reason}",
		"hotcache_writeback_pending{buffer}", "hotcache_store_calls_total{cache}", "hotcache_sets_total{cache}"} {
		if !slices.Contains(got, want) {
			t.Errorf("LegacyNames: %s missing from %v", want, got)
		}
	}
}
