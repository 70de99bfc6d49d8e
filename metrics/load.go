package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/shard"
)

// DefaultLoadBuckets are the upper bounds, in seconds, of a
// [LoadHistogram]'s buckets: from half a millisecond (a local Redis or
// SQLite read) to 30 seconds (a registry token exchange that times out).
var DefaultLoadBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// LoadHistogram is a histogram of how long a cache's loads take:
//
//	hotcache_cache_load_duration_seconds{cache, result="ok"|"not_found"|"error"}  histogram
//
// It observes what shard.Options.OnLoad reports (pass
// [ObserveLoad](h) as OnLoad, for a shard.Cache, a generated cache or
// writeback.CacheOptions.L1): every load GetOrLoad runs and every
// refresh-ahead reload, timed around the loader alone. result is
// "not_found" for an error wrapping shard.ErrNotFound and "error" for any
// other (a panic included). A cache without OnLoad reads no clock for it.
//
// LoadHistogram is a prometheus.Collector: register it beside the cache's
// [NewCollector]. It is safe for concurrent use.
type LoadHistogram struct {
	vec                 *prometheus.HistogramVec
	ok, notFound, error prometheus.Observer
}

// NewLoadHistogram returns a load histogram labelled cache=name, with
// buckets (in seconds) or, if none are given, DefaultLoadBuckets.
func NewLoadHistogram(name string, buckets ...float64) *LoadHistogram {
	if len(buckets) == 0 {
		buckets = DefaultLoadBuckets
	}
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:        "hotcache_cache_load_duration_seconds",
		Help:        "How long the cache's loads (GetOrLoad's and refresh-ahead reloads) ran, by result: ok, not_found (shard.ErrNotFound), error.",
		ConstLabels: prometheus.Labels{"cache": name},
		Buckets:     buckets,
	}, []string{"result"})
	return &LoadHistogram{
		vec:      vec,
		ok:       vec.WithLabelValues("ok"),
		notFound: vec.WithLabelValues("not_found"),
		error:    vec.WithLabelValues("error"),
	}
}

// Observe records one load that took d and returned err.
func (h *LoadHistogram) Observe(d time.Duration, err error) {
	switch {
	case err == nil:
		h.ok.Observe(d.Seconds())
	case errors.Is(err, shard.ErrNotFound):
		h.notFound.Observe(d.Seconds())
	default:
		h.error.Observe(d.Seconds())
	}
}

// Describe sends the histogram's descriptor.
func (h *LoadHistogram) Describe(ch chan<- *prometheus.Desc) { h.vec.Describe(ch) }

// Collect sends the histogram's three series, one per result.
func (h *LoadHistogram) Collect(ch chan<- prometheus.Metric) { h.vec.Collect(ch) }

// ObserveLoad returns a function for shard.Options.OnLoad that records
// every load in h.
func ObserveLoad[K any](h *LoadHistogram) func(key K, d time.Duration, err error) {
	return func(_ K, d time.Duration, err error) { h.Observe(d, err) }
}
