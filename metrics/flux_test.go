package metrics_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
)

const fluxHeaders = `
# HELP gotk_cache_events_total Total number of cache retrieval events for a Gitops Toolkit resource reconciliation.
# TYPE gotk_cache_events_total counter
`

func TestFluxRecorder_Series(t *testing.T) {
	c := shard.Must(options()) // two entries
	defer c.Close()
	rec := metrics.NewFluxRecorder(c)
	reg := prometheus.NewPedanticRegistry()
	if err := rec.Register(reg); err != nil {
		t.Fatal(err)
	}

	// Before any request: the label-less families show, as in Flux.
	want := `
# HELP gotk_cache_evictions_total Total number of cache evictions.
# TYPE gotk_cache_evictions_total counter
gotk_cache_evictions_total 0
# HELP gotk_cached_items Total number of items in the cache.
# TYPE gotk_cached_items gauge
gotk_cached_items 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	ctx := context.Background()
	repo := metrics.InvolvedObject{Kind: "OCIRepository", Name: "podinfo", Namespace: "flux-system"}
	chart := metrics.InvolvedObject{Kind: "HelmChart", Name: "redis", Namespace: "apps"}
	load := func(_ context.Context, k string) (string, error) { return "token-for-" + k, nil }
	fail := func(context.Context, string) (string, error) { return "", errBackend }
	absent := func(context.Context, string) (string, error) { return "", shard.ErrNotFound }

	get := func(obj metrics.InvolvedObject, key string, load func(context.Context, string) (string, error)) error {
		_, err := metrics.GetOrLoadFor(ctx, rec, obj, c, key, load)
		return err
	}
	for _, step := range []struct {
		obj     metrics.InvolvedObject
		key     string
		load    func(context.Context, string) (string, error)
		wantErr error
	}{
		{repo, "ghcr.io", load, nil},                    // repo miss, success
		{repo, "ghcr.io", load, nil},                    // repo hit, success
		{repo, "ghcr.io", load, nil},                    // repo hit, success
		{chart, "quay.io", fail, errBackend},            // chart miss, failure
		{chart, "quay.io", load, nil},                   // chart miss, success (2 items)
		{chart, "docker.io", absent, shard.ErrNotFound}, // chart miss, success (not found is an answer)
		{chart, "gcr.io", load, nil},                    // chart miss, success; full: an eviction
	} {
		if err := get(step.obj, step.key, step.load); !errors.Is(err, step.wantErr) {
			t.Fatalf("%s %s: error %v, want %v", step.obj.Name, step.key, err, step.wantErr)
		}
	}
	want = fluxHeaders + `
gotk_cache_events_total{event_type="cache_hit",kind="OCIRepository",name="podinfo",namespace="flux-system"} 2
gotk_cache_events_total{event_type="cache_miss",kind="HelmChart",name="redis",namespace="apps"} 4
gotk_cache_events_total{event_type="cache_miss",kind="OCIRepository",name="podinfo",namespace="flux-system"} 1
# HELP gotk_cache_evictions_total Total number of cache evictions.
# TYPE gotk_cache_evictions_total counter
gotk_cache_evictions_total 1
# HELP gotk_cache_requests_total Total number of cache requests partioned by success or failure.
# TYPE gotk_cache_requests_total counter
gotk_cache_requests_total{status="failure"} 1
gotk_cache_requests_total{status="success"} 6
# HELP gotk_cached_items Total number of items in the cache.
# TYPE gotk_cached_items gauge
gotk_cached_items 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// The chart is deleted: its series go, the repository's stay.
	rec.DeleteObject(chart)
	// Flux's way, one event type at a time.
	rec.DeleteCacheEvent(metrics.CacheEventTypeMiss, repo.Kind, repo.Name, repo.Namespace)
	want = fluxHeaders + `
gotk_cache_events_total{event_type="cache_hit",kind="OCIRepository",name="podinfo",namespace="flux-system"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gotk_cache_events_total"); err != nil {
		t.Error(err)
	}
	rec.DeleteObject(repo)
	if n, err := testutil.GatherAndCount(reg, "gotk_cache_events_total"); err != nil || n != 0 {
		t.Errorf("%d event series left after deleting both objects (%v)", n, err)
	}

	// Deleted items count as evictions, as in Flux; overwrites do not.
	c.Set("gcr.io", "new")
	c.Delete("gcr.io")
	want = `
# HELP gotk_cache_evictions_total Total number of cache evictions.
# TYPE gotk_cache_evictions_total counter
gotk_cache_evictions_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gotk_cache_evictions_total"); err != nil {
		t.Error(err)
	}
}

func TestFluxRecorder_RecordByHand(t *testing.T) {
	rec := metrics.NewFluxRecorder(nil)
	rec.RecordCacheEvent(metrics.CacheEventTypeHit, "Bucket", "b", "ns")
	rec.RecordRequest(nil)
	rec.RecordRequest(context.Canceled)
	want := fluxHeaders + `
gotk_cache_events_total{event_type="cache_hit",kind="Bucket",name="b",namespace="ns"} 1
# HELP gotk_cache_evictions_total Total number of cache evictions.
# TYPE gotk_cache_evictions_total counter
gotk_cache_evictions_total 0
# HELP gotk_cache_requests_total Total number of cache requests partioned by success or failure.
# TYPE gotk_cache_requests_total counter
gotk_cache_requests_total{status="failure"} 1
gotk_cache_requests_total{status="success"} 1
# HELP gotk_cached_items Total number of items in the cache.
# TYPE gotk_cached_items gauge
gotk_cached_items 0
`
	if err := testutil.CollectAndCompare(rec, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestFluxRecorder_OnePerRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := metrics.NewFluxRecorder(nil).Register(reg); err != nil {
		t.Fatal(err)
	}
	err := metrics.NewFluxRecorder(nil).Register(reg)
	if err == nil || !strings.Contains(err.Error(), "Flux recorder") {
		t.Errorf("second recorder: error %v, want one naming the Flux recorder", err)
	}
	// A recorder and cache collectors share a registry.
	c := shard.Must(options())
	defer c.Close()
	if _, err := metrics.Register(reg, "tokens", c); err != nil {
		t.Error(err)
	}
}

// Concurrent requests for many objects: every request is one event and
// one request, whatever the interleaving.
func TestFluxRecorder_Concurrent(t *testing.T) {
	c := shard.Must(shard.Options[string, string]{Capacity: 64})
	defer c.Close()
	rec := metrics.NewFluxRecorder(c)
	load := func(_ context.Context, k string) (string, error) { return k, nil }
	const goroutines, calls = 4, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				obj := metrics.InvolvedObject{Kind: "OCIRepository", Name: strconv.Itoa(i % 10), Namespace: strconv.Itoa(g)}
				if _, err := metrics.GetOrLoadFor(context.Background(), rec, obj, c, strconv.Itoa(i%20), load); err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					testutil.CollectAndCount(rec)
				}
			}
		})
	}
	wg.Wait()
	var events float64
	for g := range goroutines {
		for i := range 10 {
			for _, e := range []string{metrics.CacheEventTypeHit, metrics.CacheEventTypeMiss} {
				events += eventCount(t, rec, e, strconv.Itoa(i), strconv.Itoa(g))
			}
		}
	}
	if events != goroutines*calls {
		t.Errorf("%v events recorded, want %d", events, goroutines*calls)
	}
}

// eventCount returns the value of one gotk_cache_events_total series, 0 if
// it does not exist.
func eventCount(t *testing.T, rec *metrics.FluxRecorder, event, name, namespace string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(rec)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "gotk_cache_events_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["event_type"] == event && labels["name"] == name && labels["namespace"] == namespace {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// A remembered not-found is answered from the cache: a cache_hit, and a
// successful request. Generated caches have GetOrLoadCached too.
func TestGetOrLoadFor_NegativeHitOnGeneratedCache(t *testing.T) {
	opts := options()
	opts.NegativeTTL = time.Minute
	c, err := generated.NewStringCache(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec := metrics.NewFluxRecorder(c)
	obj := metrics.InvolvedObject{Kind: "HelmRepository", Name: "bitnami", Namespace: "flux-system"}
	absent := func(context.Context, string) (string, error) { return "", shard.ErrNotFound }
	for range 2 {
		if _, err := metrics.GetOrLoadFor(context.Background(), rec, obj, c, "index", absent); !errors.Is(err, shard.ErrNotFound) {
			t.Fatalf("error %v, want ErrNotFound", err)
		}
	}
	want := fluxHeaders + `
gotk_cache_events_total{event_type="cache_hit",kind="HelmRepository",name="bitnami",namespace="flux-system"} 1
gotk_cache_events_total{event_type="cache_miss",kind="HelmRepository",name="bitnami",namespace="flux-system"} 1
# HELP gotk_cache_requests_total Total number of cache requests partioned by success or failure.
# TYPE gotk_cache_requests_total counter
gotk_cache_requests_total{status="success"} 2
`
	if err := testutil.CollectAndCompare(rec, strings.NewReader(want), "gotk_cache_events_total", "gotk_cache_requests_total"); err != nil {
		t.Error(err)
	}
}
