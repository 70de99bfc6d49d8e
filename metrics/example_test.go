package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
)

// printSeries prints the series of reg whose names start with prefix, in
// the text exposition format, without the HELP and TYPE lines.
func printSeries(reg prometheus.Gatherer, prefix string) {
	families, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			log.Fatal(err)
		}
	}
	for line := range strings.Lines(buf.String()) {
		if strings.HasPrefix(line, prefix) {
			fmt.Print(line)
		}
	}
}

// A cache's counters on a registry: in a controller, pass
// controller-runtime's metrics.Registry instead of a new registry, and
// serve it with promhttp.HandlerFor.
func Example() {
	tokens := shard.Must(shard.Options[string, string]{Capacity: 1000, CountHits: true})
	defer tokens.Close()

	reg := prometheus.NewRegistry()
	if _, err := metrics.Register(reg, "tokens", tokens); err != nil {
		log.Fatal(err)
	}

	tokens.Set("ghcr.io", "t1")
	tokens.Get("ghcr.io")
	tokens.Get("quay.io")
	tokens.Delete("ghcr.io")

	printSeries(reg, "hotcache_")
	// Output:
	// hotcache_cache_entries{cache="tokens"} 0
	// hotcache_cache_evictions_total{cache="tokens",reason="capacity"} 0
	// hotcache_cache_evictions_total{cache="tokens",reason="deleted"} 1
	// hotcache_cache_evictions_total{cache="tokens",reason="expired"} 0
	// hotcache_cache_evictions_total{cache="tokens",reason="replaced"} 0
	// hotcache_cache_hits_counted{cache="tokens"} 1
	// hotcache_cache_hits_total{cache="tokens"} 1
	// hotcache_cache_load_errors_total{cache="tokens"} 0
	// hotcache_cache_loads_total{cache="tokens"} 0
	// hotcache_cache_misses_total{cache="tokens"} 1
	// hotcache_cache_negative_hits_total{cache="tokens"} 0
	// hotcache_cache_not_found_total{cache="tokens"} 0
	// hotcache_cache_refresh_errors_total{cache="tokens"} 0
	// hotcache_cache_refreshes_total{cache="tokens"} 0
	// hotcache_cache_sets_total{cache="tokens"} 1
	// hotcache_cache_weight{cache="tokens"} 0
}

// A Flux controller asks the cache on behalf of the object it reconciles,
// recording a hit or a miss for that object as with Flux's own cache, and
// drops the object's series when the object is deleted.
func ExampleGetOrLoadFor() {
	tokens := shard.Must(shard.Options[string, string]{Capacity: 1000})
	defer tokens.Close()

	rec := metrics.NewFluxRecorder(tokens)
	reg := prometheus.NewRegistry() // in a controller: controller-runtime's metrics.Registry
	if err := rec.Register(reg); err != nil {
		log.Fatal(err)
	}

	fetch := func(_ context.Context, registry string) (string, error) { return "token-for-" + registry, nil }
	repo := metrics.InvolvedObject{Kind: "OCIRepository", Name: "podinfo", Namespace: "flux-system"}
	for range 3 { // three reconciles: the first loads, the others hit
		if _, err := metrics.GetOrLoadFor(context.Background(), rec, repo, tokens, "ghcr.io", fetch); err != nil {
			log.Fatal(err)
		}
	}
	printSeries(reg, "gotk_")

	rec.DeleteObject(repo) // the OCIRepository was deleted
	fmt.Println("after deletion:")
	printSeries(reg, "gotk_cache_events")
	// Output:
	// gotk_cache_events_total{event_type="cache_hit",kind="OCIRepository",name="podinfo",namespace="flux-system"} 2
	// gotk_cache_events_total{event_type="cache_miss",kind="OCIRepository",name="podinfo",namespace="flux-system"} 1
	// gotk_cache_evictions_total 0
	// gotk_cache_requests_total{status="success"} 3
	// gotk_cached_items 1
	// after deletion:
}
