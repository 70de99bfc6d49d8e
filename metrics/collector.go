package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// Source is what a cache collector reads: a cache's counters and its
// number of entries. *shard.Cache and every cache that cachegen generates
// (those in package generated included) satisfy it.
type Source interface {
	Stats() shard.Stats
	Len() int
}

// NewCollector returns a collector of src's counters, each series labelled
// cache=name (see the package doc for the families). Values are read from
// src when the collector is scraped; nothing is counted on src's read
// path for it. Register it with any prometheus.Registerer, or use
// [Register], which says more clearly when name is taken.
func NewCollector(name string, src Source) prometheus.Collector {
	return &cacheCollector{d: newCacheDescs(name), src: src}
}

// Register registers NewCollector(name, src) with reg and returns it. Two
// caches of different names can share a registry; a second cache under a
// name already registered on reg is an error that names it and wraps the
// registry's prometheus.AlreadyRegisteredError. An empty name is an error.
func Register(reg prometheus.Registerer, name string, src Source) (prometheus.Collector, error) {
	if name == "" {
		return nil, errors.New("metrics: a cache's name must not be empty")
	}
	c := NewCollector(name, src)
	if err := register(reg, c, fmt.Sprintf("a cache named %q", name)); err != nil {
		return nil, err
	}
	return c, nil
}

// register registers c, described as what, with reg, making a duplicate
// an error that says what was already there.
func register(reg prometheus.Registerer, c prometheus.Collector, what string) error {
	err := reg.Register(c)
	if err == nil {
		return nil
	}
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return fmt.Errorf("metrics: %s is already registered: %w", what, err)
	}
	return fmt.Errorf("metrics: registering %s: %w", what, err)
}

// cacheCollector is the collector NewCollector returns.
type cacheCollector struct {
	d   *cacheDescs
	src Source
}

// Describe sends the descriptors of every family the collector may send.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) { c.d.describe(ch) }

// Collect reads src's Stats and Len once and sends a constant metric per
// series.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.d.collect(ch, c.src.Stats(), c.src.Len())
}

// cacheDescs are the descriptors of a cache's families, labelled with one
// cache's name. They serve the shard-level collectors and the collector of
// a writeback.Cache, whose stats embed a shard.Stats.
type cacheDescs struct {
	hits, misses, hitsCounted *prometheus.Desc
	sets, loads, loadErrors   *prometheus.Desc
	negativeHits              *prometheus.Desc
	refreshes, refreshErrors  *prometheus.Desc
	evictions, entries        *prometheus.Desc
	reasons                   [evict.NumReasons]string // label values, by evict.Reason
}

func newCacheDescs(name string) *cacheDescs {
	l := prometheus.Labels{"cache": name}
	d := &cacheDescs{
		hits: prometheus.NewDesc("hotcache_hits_total",
			"Get and GetOrLoad calls that found a live entry. Counted only with shard.Options.CountHits (see hotcache_hits_counted).", nil, l),
		misses: prometheus.NewDesc("hotcache_misses_total",
			"Get and GetOrLoad calls that found no live entry. Counted only with shard.Options.CountHits (see hotcache_hits_counted).", nil, l),
		hitsCounted: prometheus.NewDesc("hotcache_hits_counted",
			"1 if the cache counts hits and misses (shard.Options.CountHits), else 0: without it hotcache_hits_total and hotcache_misses_total are not exported.", nil, l),
		sets: prometheus.NewDesc("hotcache_sets_total",
			"Entries stored by Set, SetTTL, SetIfAbsent and loads.", nil, l),
		loads: prometheus.NewDesc("hotcache_loads_total",
			"Loads started by GetOrLoad for missing keys.", nil, l),
		loadErrors: prometheus.NewDesc("hotcache_load_errors_total",
			"Loads that returned an error (not-found included) or panicked.", nil, l),
		negativeHits: prometheus.NewDesc("hotcache_negative_hits_total",
			"GetOrLoad calls answered by a remembered not-found (shard.Options.NegativeTTL).", nil, l),
		refreshes: prometheus.NewDesc("hotcache_refreshes_total",
			"Background reloads started by refresh-ahead (shard.Options.RefreshAhead).", nil, l),
		refreshErrors: prometheus.NewDesc("hotcache_refresh_errors_total",
			"Background reloads that failed.", nil, l),
		evictions: prometheus.NewDesc("hotcache_evictions_total",
			"Entries that left the cache, by reason: capacity, expired, deleted, replaced.", []string{"reason"}, l),
		entries: prometheus.NewDesc("hotcache_entries",
			"Entries in the cache, expired ones not yet reclaimed included.", nil, l),
	}
	for r := evict.Capacity; int(r) < evict.NumReasons; r++ {
		d.reasons[r] = r.String()
	}
	return d
}

func (d *cacheDescs) describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{
		d.hits, d.misses, d.hitsCounted, d.sets, d.loads, d.loadErrors,
		d.negativeHits, d.refreshes, d.refreshErrors, d.evictions, d.entries,
	} {
		ch <- desc
	}
}

func (d *cacheDescs) collect(ch chan<- prometheus.Metric, st shard.Stats, n int) {
	counter := func(desc *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
	}
	counted := 0.0
	if st.HitsCounted {
		counted = 1
		counter(d.hits, st.Hits)
		counter(d.misses, st.Misses)
	}
	ch <- prometheus.MustNewConstMetric(d.hitsCounted, prometheus.GaugeValue, counted)
	counter(d.sets, st.Sets)
	counter(d.loads, st.Loads)
	counter(d.loadErrors, st.LoadErrors)
	counter(d.negativeHits, st.NegativeHits)
	counter(d.refreshes, st.Refreshes)
	counter(d.refreshErrors, st.RefreshErrors)
	for r := evict.Capacity; int(r) < evict.NumReasons; r++ {
		ch <- prometheus.MustNewConstMetric(d.evictions, prometheus.CounterValue, float64(st.Evictions[r]), d.reasons[r])
	}
	ch <- prometheus.MustNewConstMetric(d.entries, prometheus.GaugeValue, float64(n))
}
