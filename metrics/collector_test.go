package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
)

// cacheAPI is what the known sequence needs, so that it runs on shard.Cache
// and on a generated cache alike.
type cacheAPI interface {
	metrics.Source
	Set(key, value string)
	Get(key string) (string, bool)
	Delete(key string) bool
	GetOrLoad(ctx context.Context, key string, load func(context.Context, string) (string, error)) (string, error)
}

// options: one shard of two entries, plain SIEVE, so that which entry a
// full cache evicts is known; hits counted.
func options() shard.Options[string, string] {
	return shard.Options[string, string]{
		Capacity:    2,
		Shards:      1,
		NoAdmission: true,
		CountHits:   true,
		Clock:       clock.NewManual(time.Unix(1_700_000_000, 0)),
	}
}

var errBackend = errors.New("backend down")

// knownSequence makes 2 hits, 4 misses, 4 sets (one a replacement, one by a
// load), 2 loads (one failed), 2 capacity evictions, 1 replacement and 1
// delete, and leaves 1 entry.
func knownSequence(t *testing.T, c cacheAPI) {
	t.Helper()
	ctx := context.Background()
	c.Set("a", "1")               // set 1: {a}
	c.Set("b", "2")               // set 2: {a, b}
	if _, ok := c.Get("a"); !ok { // hit 1; a visited
		t.Fatal("a missing")
	}
	if _, ok := c.Get("x"); ok { // miss 1
		t.Fatal("x present")
	}
	c.Set("c", "3")              // set 3: full; SIEVE evicts b, the unvisited one (capacity 1): {a, c}
	if _, ok := c.Get("b"); ok { // miss 2
		t.Fatal("b was not the entry evicted")
	}
	// miss 3, load 1, set 4: full; the hand, which cleared a's visited bit
	// on its way to b, now evicts a (capacity 2): {c, d}
	v, err := c.GetOrLoad(ctx, "d", func(context.Context, string) (string, error) { return "4", nil })
	if err != nil || v != "4" {
		t.Fatalf("GetOrLoad(d) = %q, %v", v, err)
	}
	// miss 4, load 2, load error 1: nothing stored.
	if _, err := c.GetOrLoad(ctx, "e", func(context.Context, string) (string, error) { return "", errBackend }); !errors.Is(err, errBackend) {
		t.Fatalf("GetOrLoad(e) error = %v, want %v", err, errBackend)
	}
	if _, ok := c.Get("d"); !ok { // hit 2
		t.Fatal("d missing")
	}
	c.Set("d", "5")     // set 5, replaced 1: {c, d}
	if !c.Delete("c") { // deleted 1: {d}
		t.Fatal("c was not there to delete")
	}
}

// wantKnownSequence is the exposition after knownSequence, for a cache
// named name.
func wantKnownSequence(name string) string {
	return strings.ReplaceAll(`
# HELP hotcache_cache_entries Entries in the cache, expired ones not yet reclaimed included.
# TYPE hotcache_cache_entries gauge
hotcache_cache_entries{cache="NAME"} 1
# HELP hotcache_cache_evictions_total Entries that left the cache, by reason: capacity, expired, deleted, replaced.
# TYPE hotcache_cache_evictions_total counter
hotcache_cache_evictions_total{cache="NAME",reason="capacity"} 2
hotcache_cache_evictions_total{cache="NAME",reason="deleted"} 1
hotcache_cache_evictions_total{cache="NAME",reason="expired"} 0
hotcache_cache_evictions_total{cache="NAME",reason="replaced"} 1
# HELP hotcache_cache_hits_counted 1 if the cache counts hits and misses (shard.Options.CountHits), else 0: without it hotcache_cache_hits_total and hotcache_cache_misses_total are not exported.
# TYPE hotcache_cache_hits_counted gauge
hotcache_cache_hits_counted{cache="NAME"} 1
# HELP hotcache_cache_hits_total Get and GetOrLoad calls that found a live entry. Counted only with shard.Options.CountHits (see hotcache_cache_hits_counted).
# TYPE hotcache_cache_hits_total counter
hotcache_cache_hits_total{cache="NAME"} 2
# HELP hotcache_cache_load_errors_total Loads that failed: an error other than not-found, or a panic.
# TYPE hotcache_cache_load_errors_total counter
hotcache_cache_load_errors_total{cache="NAME"} 1
# HELP hotcache_cache_loads_total Loads started by GetOrLoad for missing keys.
# TYPE hotcache_cache_loads_total counter
hotcache_cache_loads_total{cache="NAME"} 2
# HELP hotcache_cache_misses_total Get and GetOrLoad calls that found no live entry. Counted only with shard.Options.CountHits (see hotcache_cache_hits_counted).
# TYPE hotcache_cache_misses_total counter
hotcache_cache_misses_total{cache="NAME"} 4
# HELP hotcache_cache_negative_hits_total GetOrLoad calls answered by a remembered not-found (shard.Options.NegativeTTL).
# TYPE hotcache_cache_negative_hits_total counter
hotcache_cache_negative_hits_total{cache="NAME"} 0
# HELP hotcache_cache_not_found_total Loads and refreshes that found nothing (an error wrapping shard.ErrNotFound).
# TYPE hotcache_cache_not_found_total counter
hotcache_cache_not_found_total{cache="NAME"} 0
# HELP hotcache_cache_refresh_errors_total Background reloads that failed (not-found aside); the old value was kept.
# TYPE hotcache_cache_refresh_errors_total counter
hotcache_cache_refresh_errors_total{cache="NAME"} 0
# HELP hotcache_cache_refreshes_total Background reloads started by refresh-ahead (shard.Options.RefreshAhead).
# TYPE hotcache_cache_refreshes_total counter
hotcache_cache_refreshes_total{cache="NAME"} 0
# HELP hotcache_cache_sets_total Entries stored by Set, SetTTL, SetIfAbsent and loads.
# TYPE hotcache_cache_sets_total counter
hotcache_cache_sets_total{cache="NAME"} 5
# HELP hotcache_cache_weight Total weight of the entries in the cache, as shard.Options.Weigher weighs them; 0 without a Weigher.
# TYPE hotcache_cache_weight gauge
hotcache_cache_weight{cache="NAME"} 0
`, "NAME", name)
}

func TestCollector_ShardCache(t *testing.T) {
	c := shard.Must(options())
	defer c.Close()
	knownSequence(t, c)
	col := metrics.NewCollector("tokens", c)
	if err := testutil.CollectAndCompare(col, strings.NewReader(wantKnownSequence("tokens"))); err != nil {
		t.Error(err)
	}
	lintClean(t, col)
}

func TestCollector_GeneratedCache(t *testing.T) {
	c, err := generated.NewStringCache(options())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	knownSequence(t, c)
	col := metrics.NewCollector("strings", c)
	if err := testutil.CollectAndCompare(col, strings.NewReader(wantKnownSequence("strings"))); err != nil {
		t.Error(err)
	}
}

// Without CountHits, hits and misses are not exported at all, and
// hotcache_cache_hits_counted says why: a dashboard sees no data, not a 0% hit
// ratio.
func TestCollector_HitsNotCounted(t *testing.T) {
	opts := options()
	opts.CountHits = false
	c := shard.Must(opts)
	defer c.Close()
	c.Set("a", "1")
	c.Get("a")
	c.Get("b")
	col := metrics.NewCollector("quiet", c)
	want := `
# HELP hotcache_cache_hits_counted 1 if the cache counts hits and misses (shard.Options.CountHits), else 0: without it hotcache_cache_hits_total and hotcache_cache_misses_total are not exported.
# TYPE hotcache_cache_hits_counted gauge
hotcache_cache_hits_counted{cache="quiet"} 0
# HELP hotcache_cache_sets_total Entries stored by Set, SetTTL, SetIfAbsent and loads.
# TYPE hotcache_cache_sets_total counter
hotcache_cache_sets_total{cache="quiet"} 1
`
	err := testutil.CollectAndCompare(col, strings.NewReader(want),
		"hotcache_cache_hits_total", "hotcache_cache_misses_total", "hotcache_cache_hits_counted", "hotcache_cache_sets_total")
	if err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(col, "hotcache_cache_hits_total", "hotcache_cache_misses_total"); n != 0 {
		t.Errorf("%d hit/miss series exported without CountHits, want 0", n)
	}
}

// Expired entries and remembered not-founds are counted under their own
// names.
func TestCollector_ExpiryAndNegativeHits(t *testing.T) {
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	c := shard.Must(shard.Options[string, string]{
		Capacity: 16, Shards: 1, Clock: clk, TTL: time.Minute, NegativeTTL: time.Minute,
	})
	defer c.Close()
	ctx := context.Background()
	c.Set("a", "1")
	notFound := func(context.Context, string) (string, error) { return "", shard.ErrNotFound }
	for range 3 { // one load that finds nothing (not a load error), then two negative hits
		if _, err := c.GetOrLoad(ctx, "gone", notFound); !errors.Is(err, shard.ErrNotFound) {
			t.Fatalf("GetOrLoad(gone) error = %v", err)
		}
	}
	clk.Advance(2 * time.Minute)
	c.Set("b", "2") // a write reclaims what it meets expired in its shard
	col := metrics.NewCollector("ttl", c)
	want := `
# HELP hotcache_cache_loads_total Loads started by GetOrLoad for missing keys.
# TYPE hotcache_cache_loads_total counter
hotcache_cache_loads_total{cache="ttl"} 1
# HELP hotcache_cache_load_errors_total Loads that failed: an error other than not-found, or a panic.
# TYPE hotcache_cache_load_errors_total counter
hotcache_cache_load_errors_total{cache="ttl"} 0
# HELP hotcache_cache_negative_hits_total GetOrLoad calls answered by a remembered not-found (shard.Options.NegativeTTL).
# TYPE hotcache_cache_negative_hits_total counter
hotcache_cache_negative_hits_total{cache="ttl"} 2
# HELP hotcache_cache_not_found_total Loads and refreshes that found nothing (an error wrapping shard.ErrNotFound).
# TYPE hotcache_cache_not_found_total counter
hotcache_cache_not_found_total{cache="ttl"} 1
# HELP hotcache_cache_evictions_total Entries that left the cache, by reason: capacity, expired, deleted, replaced.
# TYPE hotcache_cache_evictions_total counter
hotcache_cache_evictions_total{cache="ttl",reason="capacity"} 0
hotcache_cache_evictions_total{cache="ttl",reason="deleted"} 0
hotcache_cache_evictions_total{cache="ttl",reason="expired"} 1
hotcache_cache_evictions_total{cache="ttl",reason="replaced"} 0
`
	err := testutil.CollectAndCompare(col, strings.NewReader(want),
		"hotcache_cache_loads_total", "hotcache_cache_load_errors_total", "hotcache_cache_negative_hits_total", "hotcache_cache_not_found_total", "hotcache_cache_evictions_total")
	if err != nil {
		t.Error(err)
	}
}

func TestRegister_TwoNamesOneRegistry(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	a, b := shard.Must(options()), shard.Must(options())
	defer a.Close()
	defer b.Close()
	a.Set("k", "v")
	if _, err := metrics.Register(reg, "a", a); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(metrics.NewCollector("b", b)); err != nil { // the plain way works too
		t.Fatal(err)
	}
	want := `
# HELP hotcache_cache_entries Entries in the cache, expired ones not yet reclaimed included.
# TYPE hotcache_cache_entries gauge
hotcache_cache_entries{cache="a"} 1
hotcache_cache_entries{cache="b"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hotcache_cache_entries"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 2*16 {
		t.Errorf("GatherAndCount = %d, %v; want 32 series (16 per cache)", n, err)
	}
}

func TestRegister_DuplicateName(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := shard.Must(options()), shard.Must(options())
	defer a.Close()
	defer b.Close()
	if _, err := metrics.Register(reg, "tokens", a); err != nil {
		t.Fatal(err)
	}
	_, err := metrics.Register(reg, "tokens", b)
	if err == nil {
		t.Fatal("second cache named tokens registered")
	}
	if !strings.Contains(err.Error(), `a cache named "tokens" is already registered`) {
		t.Errorf("error %q does not name the duplicate", err)
	}
	if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) {
		t.Errorf("error %v does not wrap prometheus.AlreadyRegisteredError", err)
	}
	// Registering NewCollector directly fails the same way.
	if err := reg.Register(metrics.NewCollector("tokens", b)); err == nil {
		t.Error("reg.Register of a duplicate name succeeded")
	}
	if _, err := metrics.Register(reg, "", b); err == nil {
		t.Error("empty name accepted")
	}
}

// lintClean fails if promlint finds a problem in what col exports.
func lintClean(t *testing.T, col prometheus.Collector) {
	t.Helper()
	problems, err := testutil.CollectAndLint(col)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// hotcache_cache_weight follows the entries' total weight, up and down.
func TestCollector_Weight(t *testing.T) {
	c := shard.Must(shard.Options[string, string]{
		MaxWeight: 100,
		Weigher:   func(_, v string) uint32 { return uint32(len(v)) },
	})
	defer c.Close()
	c.Set("a", "12345")
	c.Set("b", "123")
	c.Set("c", "1234567")
	c.Delete("c")
	want := `
# HELP hotcache_cache_weight Total weight of the entries in the cache, as shard.Options.Weigher weighs them; 0 without a Weigher.
# TYPE hotcache_cache_weight gauge
hotcache_cache_weight{cache="helm"} 8
`
	if err := testutil.CollectAndCompare(metrics.NewCollector("helm", c), strings.NewReader(want), "hotcache_cache_weight"); err != nil {
		t.Error(err)
	}
}
