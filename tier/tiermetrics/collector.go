package tiermetrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/tier"
)

// Source is what the collector reads: a *tier.Cache of any value type.
type Source interface {
	Stats() tier.Stats
}

// NewCollector returns a collector of src's counters, each series labelled
// cache=name (see the package doc for the families). Values are read from
// src when the collector is scraped. Register it with any
// prometheus.Registerer, or use [Register], which says more clearly when
// name is taken.
func NewCollector(name string, src Source) prometheus.Collector {
	return &collector{d: newDescs(name), src: src}
}

// Register registers NewCollector(name, src) with reg and returns it. Caches
// of different names can share a registry; a second cache under a name
// already registered on reg is an error that names it and wraps the
// registry's prometheus.AlreadyRegisteredError. An empty name is an error.
func Register(reg prometheus.Registerer, name string, src Source) (prometheus.Collector, error) {
	if name == "" {
		return nil, errors.New("tiermetrics: a cache's name must not be empty")
	}
	c := NewCollector(name, src)
	if err := reg.Register(c); err != nil {
		if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
			return nil, fmt.Errorf("tiermetrics: a tier cache named %q is already registered: %w", name, err)
		}
		return nil, fmt.Errorf("tiermetrics: registering a tier cache named %q: %w", name, err)
	}
	return c, nil
}

// collector is the collector NewCollector returns. It holds no state but
// its descriptors: it is safe for concurrent scrapes.
type collector struct {
	d   *descs
	src Source
}

// descs are a cache's descriptors, labelled with its name.
type descs struct {
	all       []*prometheus.Desc // every family, for Describe
	hits      []family           // sent only when L1 counts hits
	families  []family           // the other single-series families
	evictions *prometheus.Desc
	nodeUp    *prometheus.Desc
}

// family is a single-series family and where its value comes from.
type family struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(*tier.Stats) float64
}

func newDescs(name string) *descs {
	l := prometheus.Labels{"cache": name}
	d := &descs{}
	add := func(to *[]family, fqName, help string, typ prometheus.ValueType, value func(*tier.Stats) float64) {
		desc := prometheus.NewDesc(fqName, help, nil, l)
		d.all = append(d.all, desc)
		*to = append(*to, family{desc, typ, value})
	}
	counter := func(fqName, help string, value func(*tier.Stats) uint64) {
		add(&d.families, fqName, help, prometheus.CounterValue, func(st *tier.Stats) float64 { return float64(value(st)) })
	}
	add(&d.hits, "hotcache_tier_l1_hits_total",
		"L1 lookups that found a copy: Get and GetOrLoad calls served by L1. Counted only with Local.CountHits (see hotcache_tier_l1_hits_counted).",
		prometheus.CounterValue, func(st *tier.Stats) float64 { return float64(st.L1.Hits) })
	add(&d.hits, "hotcache_tier_l1_misses_total",
		"L1 lookups that found no copy. Counted only with Local.CountHits (see hotcache_tier_l1_hits_counted).",
		prometheus.CounterValue, func(st *tier.Stats) float64 { return float64(st.L1.Misses) })
	add(&d.families, "hotcache_tier_l1_hits_counted",
		"1 if L1 counts hits and misses (Local.CountHits), else 0: without it hotcache_tier_l1_hits_total and hotcache_tier_l1_misses_total are not exported.",
		prometheus.GaugeValue, func(st *tier.Stats) float64 { return bool01(st.L1.HitsCounted) })
	counter("hotcache_tier_l2_hits_total", "Redis reads that found a value (L1 misses served by Redis).",
		func(st *tier.Stats) uint64 { return st.L2Hits })
	counter("hotcache_tier_l2_misses_total", "Redis reads that found no value.",
		func(st *tier.Stats) uint64 { return st.L2Misses })
	counter("hotcache_tier_sets_total", "Successful Set calls.",
		func(st *tier.Stats) uint64 { return st.Sets })
	counter("hotcache_tier_deletes_total", "Successful Delete calls.",
		func(st *tier.Stats) uint64 { return st.Deletes })
	counter("hotcache_tier_loads_total", "Loader calls made by this replica, fallbacks included.",
		func(st *tier.Stats) uint64 { return st.Loads })
	counter("hotcache_tier_load_errors_total", "Loader calls that failed or panicked.",
		func(st *tier.Stats) uint64 { return st.LoadErrors })
	counter("hotcache_tier_lock_waits_total", "Loads that found another replica holding the key's load lock and waited for it.",
		func(st *tier.Stats) uint64 { return st.LockWaits })
	counter("hotcache_tier_lost_locks_total", "Loads whose Redis lock was found gone before they stored (expired while Redis was paused or out of reach, or revoked by an invalidation): another replica may have loaded the key meanwhile.",
		func(st *tier.Stats) uint64 { return st.LostLocks })
	counter("hotcache_tier_fenced_stores_total", "Loaded values Redis refused to store because the load's lock was lost; their callers got what Redis held, or a new load.",
		func(st *tier.Stats) uint64 { return st.FencedStores })
	counter("hotcache_tier_fallbacks_total", "Loader calls made without Redis because the key's Redis node was unreachable.",
		func(st *tier.Stats) uint64 { return st.Fallbacks })
	counter("hotcache_tier_unavailable_total", "Get calls that returned ErrUnavailable without trying Redis.",
		func(st *tier.Stats) uint64 { return st.Unavailable })
	counter("hotcache_tier_invalidations_total", "Keys named by Redis invalidation messages received by this replica.",
		func(st *tier.Stats) uint64 { return st.Invalidations })
	counter("hotcache_tier_flushes_total", "Invalidate-everything messages (FLUSHALL, a closed connection); each empties L1.",
		func(st *tier.Stats) uint64 { return st.FullInvalidations })
	counter("hotcache_tier_disconnects_total", "Times a Redis node was found unreachable (its keys leave L1).",
		func(st *tier.Stats) uint64 { return st.Disconnects })
	counter("hotcache_tier_reconnects_total", "Times a Redis node was found reachable again.",
		func(st *tier.Stats) uint64 { return st.Reconnects })
	counter("hotcache_tier_topology_changes_total", "Redis Cluster slot-map changes seen by the health check; each empties L1.",
		func(st *tier.Stats) uint64 { return st.TopologyChanges })
	add(&d.families, "hotcache_tier_connected",
		"1 if Redis (on a Cluster, some node) answered the last health check, else 0.",
		prometheus.GaugeValue, func(st *tier.Stats) float64 { return bool01(st.Connected) })
	d.evictions = prometheus.NewDesc("hotcache_tier_l1_evictions_total",
		"L1 copies that left L1, by reason: capacity, expired, deleted (invalidations included), replaced.", []string{"reason"}, l)
	d.nodeUp = prometheus.NewDesc("hotcache_tier_node_up",
		"1 if the Redis node (host:port; every master of a Cluster) answered the last health check, else 0.", []string{"node"}, l)
	d.all = append(d.all, d.evictions, d.nodeUp)
	return d
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Describe sends the descriptor of every family the collector may send.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all {
		ch <- d
	}
}

// Collect reads src's Stats once and sends a constant metric per series.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	if st.L1.HitsCounted {
		for _, f := range c.d.hits {
			ch <- prometheus.MustNewConstMetric(f.desc, f.typ, f.value(&st))
		}
	}
	for _, f := range c.d.families {
		ch <- prometheus.MustNewConstMetric(f.desc, f.typ, f.value(&st))
	}
	for r := evict.Capacity; int(r) < evict.NumReasons; r++ {
		ch <- prometheus.MustNewConstMetric(c.d.evictions, prometheus.CounterValue, float64(st.L1.Evictions[r]), r.String())
	}
	for _, n := range st.Nodes {
		ch <- prometheus.MustNewConstMetric(c.d.nodeUp, prometheus.GaugeValue, bool01(n.Up), n.Addr)
	}
}
