package metrics_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
)

// A load-latency histogram for a token cache: ObserveLoad turns it into
// shard.Options.OnLoad.
func ExampleLoadHistogram() {
	reg := prometheus.NewRegistry()
	h := metrics.NewLoadHistogram("tokens")
	reg.MustRegister(h)

	observe := metrics.ObserveLoad[string](h)
	observed := make(chan struct{}, 1)
	c := shard.Must(shard.Options[string, string]{
		Capacity: 100,
		OnLoad: func(key string, d time.Duration, err error) {
			observe(key, d, err)
			observed <- struct{}{} // only for this example: OnLoad runs after GetOrLoad returns
		},
	})
	defer c.Close()
	_, err := c.GetOrLoad(context.Background(), "registry.example.com", func(context.Context, string) (string, error) {
		return "token", nil
	})
	if err != nil {
		log.Fatal(err)
	}
	<-observed

	families, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			fmt.Println(f.GetName(), m.GetLabel()[1].GetValue(), m.GetHistogram().GetSampleCount())
		}
	}
	// Output:
	// hotcache_cache_load_duration_seconds error 0
	// hotcache_cache_load_duration_seconds not_found 0
	// hotcache_cache_load_duration_seconds ok 1
}
