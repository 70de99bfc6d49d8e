package tiermetrics_test

import (
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/tier"
	"github.com/hotcache/hotcache/tier/tiermetrics"
)

// A service registers its tier cache next to its other metrics. (This
// example needs a Redis on localhost:6379, so it has no Output line and is
// only compiled by go test; ExampleNewCollector runs.)
func Example() {
	perms, err := tier.New(tier.Options[bool]{
		Addrs:  []string{"localhost:6379"},
		Prefix: "perm:",
		TTL:    5 * time.Minute,
		Local:  shard.Options[string, bool]{Capacity: 100_000, CountHits: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer perms.Close()
	if _, err := tiermetrics.Register(prometheus.DefaultRegisterer, "perms", perms); err != nil {
		log.Fatal(err)
	}
	http.Handle("/metrics", promhttp.Handler())
}

// fixed is a Source with given Stats: the collector reads any value with
// a Stats() tier.Stats method, a *tier.Cache or a wrapper of one.
type fixed tier.Stats

func (f fixed) Stats() tier.Stats { return tier.Stats(f) }

// The series of one scrape, here of fixed numbers: one per family, the
// evictions by reason, and one node_up per Redis node.
func ExampleNewCollector() {
	src := fixed{
		L2Hits: 40, L2Misses: 2, Loads: 2, Fallbacks: 1, Invalidations: 7, Connected: true,
		Nodes: []tier.NodeStats{{Addr: "10.0.0.1:6379", Up: true}, {Addr: "10.0.0.2:6379", Up: false}},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(tiermetrics.NewCollector("perms", src))
	families, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range families {
		switch f.GetName() {
		case "hotcache_tier_l2_hits_total", "hotcache_tier_fallbacks_total", "hotcache_tier_node_up":
			for _, m := range f.GetMetric() {
				v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
				labels := ""
				for _, l := range m.GetLabel() {
					labels += fmt.Sprintf(" %s=%q", l.GetName(), l.GetValue())
				}
				fmt.Printf("%s%s %v\n", f.GetName(), labels, v)
			}
		}
	}
	// Output:
	// hotcache_tier_fallbacks_total cache="perms" 1
	// hotcache_tier_l2_hits_total cache="perms" 40
	// hotcache_tier_node_up cache="perms" node="10.0.0.1:6379" 1
	// hotcache_tier_node_up cache="perms" node="10.0.0.2:6379" 0
}
