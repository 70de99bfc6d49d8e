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
// [Register], which says more clearly when name is taken. [LegacyNames]
// exports the families under their former names.
func NewCollector(name string, src Source, opts ...Option) prometheus.Collector {
	return &cacheCollector{d: newCacheDescs(name, configOf(opts)), src: src}
}

// Register registers NewCollector(name, src, opts...) with reg and returns it. Two
// caches of different names can share a registry; a second cache under a
// name already registered on reg is an error that names it and wraps the
// registry's prometheus.AlreadyRegisteredError. An empty name is an error.
func Register(reg prometheus.Registerer, name string, src Source, opts ...Option) (prometheus.Collector, error) {
	if name == "" {
		return nil, errors.New("metrics: a cache's name must not be empty")
	}
	c := NewCollector(name, src, opts...)
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

// cacheDescs are the descriptors and series of a cache's families,
// labelled with one cache's name. They serve the collector of
// NewCollector and that of a writeback.Cache, whose stats embed a
// shard.Stats.
type cacheDescs struct {
	descs  []*prometheus.Desc // every family, for Describe
	series []cacheSeries      // the hit and miss series first
}

// cacheSeries is a series and where its value comes from.
type cacheSeries struct {
	series
	value func(st shard.Stats, n int) float64
}

// numHitSeries is how many series at the start of cacheDescs.series exist
// only when hits are counted.
const numHitSeries = 2

func newCacheDescs(name string, cfg config) *cacheDescs {
	l := prometheus.Labels{"cache": name}
	d := &cacheDescs{}
	prefix := cfg.cachePrefix()
	add := func(what, help string, counter bool, value func(st shard.Stats, n int) float64) {
		desc := prometheus.NewDesc(prefix+what, help, nil, l)
		d.descs = append(d.descs, desc)
		d.series = append(d.series, cacheSeries{newSeries(desc, counter), value})
	}
	const counter, gauge = true, false
	add("hits_total",
		"Get and GetOrLoad calls that found a live entry. Counted only with shard.Options.CountHits (see "+prefix+"hits_counted).",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.Hits) })
	add("misses_total",
		"Get and GetOrLoad calls that found no live entry. Counted only with shard.Options.CountHits (see "+prefix+"hits_counted).",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.Misses) })
	add("hits_counted",
		"1 if the cache counts hits and misses (shard.Options.CountHits), else 0: without it "+prefix+"hits_total and "+prefix+"misses_total are not exported.",
		gauge, func(st shard.Stats, _ int) float64 {
			if st.HitsCounted {
				return 1
			}
			return 0
		})
	add("sets_total",
		"Entries stored by Set, SetTTL, SetIfAbsent and loads.",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.Sets) })
	add("loads_total",
		"Loads started by GetOrLoad for missing keys.",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.Loads) })
	add("load_errors_total",
		"Loads that failed: an error other than not-found, or a panic.",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.LoadErrors) })
	add("not_found_total",
		"Loads and refreshes that found nothing (an error wrapping shard.ErrNotFound).",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.NotFound) })
	add("negative_hits_total",
		"GetOrLoad calls answered by a remembered not-found (shard.Options.NegativeTTL).",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.NegativeHits) })
	add("refreshes_total",
		"Background reloads started by refresh-ahead (shard.Options.RefreshAhead).",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.Refreshes) })
	add("refresh_errors_total",
		"Background reloads that failed (not-found aside); the old value was kept.",
		counter, func(st shard.Stats, _ int) float64 { return float64(st.RefreshErrors) })
	add("entries",
		"Entries in the cache, expired ones not yet reclaimed included.",
		gauge, func(_ shard.Stats, n int) float64 { return float64(n) })
	add("weight",
		"Total weight of the entries in the cache, as shard.Options.Weigher weighs them; 0 without a Weigher.",
		gauge, func(st shard.Stats, _ int) float64 { return float64(st.Weight) })
	evictions := prometheus.NewDesc(prefix+"evictions_total",
		"Entries that left the cache, by reason: capacity, expired, deleted, replaced.", []string{"reason"}, l)
	d.descs = append(d.descs, evictions)
	for r := evict.Capacity; int(r) < evict.NumReasons; r++ {
		d.series = append(d.series, cacheSeries{newSeries(evictions, counter, r.String()),
			func(st shard.Stats, _ int) float64 { return float64(st.Evictions[r]) }})
	}
	return d
}

func (d *cacheDescs) describe(ch chan<- *prometheus.Desc) {
	for _, desc := range d.descs {
		ch <- desc
	}
}

// points appends the values of d's series for st and n to to: all but the
// hit and miss series when st does not count hits.
func (d *cacheDescs) points(to []point, st shard.Stats, n int) []point {
	ss := d.series
	if !st.HitsCounted {
		ss = ss[numHitSeries:]
	}
	for i := range ss {
		to = append(to, point{&ss[i].series, ss[i].value(st, n)})
	}
	return to
}

func (d *cacheDescs) collect(ch chan<- prometheus.Metric, st shard.Stats, n int) {
	var buf [24]point
	send(ch, d.points(buf[:0], st, n))
}
