package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/writeback"
)

// BufferSource is what a buffer collector reads: *writeback.Buffer
// satisfies it, whatever its key and value types.
type BufferSource interface {
	Stats() writeback.BufferStats
}

// WritebackCacheSource is what a writeback cache collector reads:
// *writeback.Cache satisfies it, whatever its key and value types.
type WritebackCacheSource interface {
	Stats() writeback.CacheStats
}

// NewBufferCollector returns a collector of a write-behind buffer's
// counters, each series labelled cache=name (buffer=name with
// [LegacyNames]), read from b when scraped:
//
//	hotcache_writeback_pending                 gauge    keys whose latest write is not stored yet
//	hotcache_writeback_oldest_pending_seconds  gauge    age of the oldest pending write (0 when none)
//	hotcache_writeback_flushes_total           counter  flushes that wrote at least one key
//	hotcache_writeback_store_calls_total       counter  calls to the store's write methods
//	hotcache_writeback_store_errors_total      counter  of which failed
//	hotcache_writeback_retries_total           counter  store calls that retried an earlier failed one
//	hotcache_writeback_written_total           counter  key writes the store accepted
//	hotcache_writeback_splits_total            counter  failed calls of many keys retried as two calls, one per half
//	hotcache_writeback_isolated_total          counter  writes the store rejected alone while it stored the rest of their batch
//
// A scrape calls b.Stats, which holds the buffer's lock as briefly as a
// Store does.
func NewBufferCollector(name string, b BufferSource, opts ...Option) prometheus.Collector {
	label := "cache"
	if configOf(opts).legacy {
		label = "buffer"
	}
	l := prometheus.Labels{label: name}
	c := &bufferCollector{src: b}
	add := func(fqName, help string, counter bool) {
		c.series = append(c.series, newSeries(prometheus.NewDesc(fqName, help, nil, l), counter))
	}
	// In the order of bufferCollector.Collect's values.
	add("hotcache_writeback_pending",
		"Keys whose latest write the buffer has not stored yet.", false)
	add("hotcache_writeback_oldest_pending_seconds",
		"Age of the oldest write not stored yet, by the buffer's clock; 0 when none is pending.", false)
	add("hotcache_writeback_flushes_total",
		"Flushes that wrote at least one key.", true)
	add(storeCallsName, storeCallsHelp, true)
	add(storeErrorsName, storeErrorsHelp, true)
	add("hotcache_writeback_retries_total",
		"Store calls that retried the writes of an earlier failed call.", true)
	add("hotcache_writeback_written_total",
		"Key writes (stores and deletes) that the store accepted.", true)
	add("hotcache_writeback_splits_total",
		"Failed store calls of many keys whose keys the buffer retried as two calls, one per half.", true)
	add("hotcache_writeback_isolated_total",
		"Writes the store rejected alone while it stored the rest of their batch; each is retried on its own until rewritten.", true)
	return c
}

// The store-call families, shared by a Buffer's and a writeback.Cache's
// collectors: one name, one help text, one meaning.
const (
	storeCallsName  = "hotcache_writeback_store_calls_total"
	storeCallsHelp  = "Calls a writeback Buffer or Cache made to its store's write methods (Store, Delete, StoreMany, DeleteMany, one per transaction); a retry is a call of its own."
	storeErrorsName = "hotcache_writeback_store_errors_total"
	storeErrorsHelp = "Calls a writeback Buffer or Cache made to its store's write methods that failed (a panic included)."
)

// RegisterBuffer registers NewBufferCollector(name, b, opts...) with reg
// and returns it; a second buffer of the same name is an error that names
// it.
func RegisterBuffer(reg prometheus.Registerer, name string, b BufferSource, opts ...Option) (prometheus.Collector, error) {
	c := NewBufferCollector(name, b, opts...)
	if err := register(reg, c, fmt.Sprintf("a write-behind buffer named %q", name)); err != nil {
		return nil, err
	}
	return c, nil
}

type bufferCollector struct {
	src    BufferSource
	series []series // one per family, in the order of Collect's values
}

// Describe sends the descriptors of the buffer's families.
func (c *bufferCollector) Describe(ch chan<- *prometheus.Desc) {
	for i := range c.series {
		ch <- c.series[i].desc
	}
}

// Collect reads the buffer's Stats once and sends a metric per family.
func (c *bufferCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	values := [...]float64{
		float64(st.Pending), st.OldestPending.Seconds(), float64(st.Flushes),
		float64(st.StoreCalls), float64(st.StoreErrors), float64(st.Retries), float64(st.Written),
		float64(st.Splits), float64(st.Isolated),
	}
	var points [len(values)]point
	for i, v := range values {
		points[i] = point{&c.series[i], v}
	}
	send(ch, points[:])
}

// NewWritebackCacheCollector returns a collector of a read-through
// writeback.Cache, each series labelled cache=name, read from c when
// scraped: the families of [NewCollector] for its in-memory copies (its
// L1; hits and misses with L1.CountHits), and
//
//	hotcache_writeback_store_calls_total   counter  Set and Delete calls the cache passed to its store
//	hotcache_writeback_store_errors_total  counter  of which failed
//
// (hotcache_store_calls_total and hotcache_store_errors_total with
// [LegacyNames]). These two families are a Buffer's too: give a Cache and
// the Buffer under it different names. A name is also shared with the
// collectors of NewCollector: a writeback.Cache and a shard.Cache of the
// same name cannot be registered together.
func NewWritebackCacheCollector(name string, c WritebackCacheSource, opts ...Option) prometheus.Collector {
	cfg := configOf(opts)
	l := prometheus.Labels{"cache": name}
	callsName, errorsName := storeCallsName, storeErrorsName
	callsHelp, errorsHelp := storeCallsHelp, storeErrorsHelp
	if cfg.legacy {
		callsName, errorsName = "hotcache_store_calls_total", "hotcache_store_errors_total"
		callsHelp = "Store and Delete calls that a read-through cache passed to its store."
		errorsHelp = "Store and Delete calls that a read-through cache passed to its store and that failed."
	}
	return &writebackCacheCollector{
		src:    c,
		d:      newCacheDescs(name, cfg),
		calls:  newSeries(prometheus.NewDesc(callsName, callsHelp, nil, l), true),
		errors: newSeries(prometheus.NewDesc(errorsName, errorsHelp, nil, l), true),
	}
}

// RegisterWritebackCache registers NewWritebackCacheCollector(name, c,
// opts...) with reg and returns it; a second cache of the same name is an
// error that names it.
func RegisterWritebackCache(reg prometheus.Registerer, name string, c WritebackCacheSource, opts ...Option) (prometheus.Collector, error) {
	col := NewWritebackCacheCollector(name, c, opts...)
	if err := register(reg, col, fmt.Sprintf("a cache named %q", name)); err != nil {
		return nil, err
	}
	return col, nil
}

type writebackCacheCollector struct {
	src           WritebackCacheSource
	d             *cacheDescs
	calls, errors series
}

// Describe sends the descriptors of the cache's families.
func (c *writebackCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	c.d.describe(ch)
	ch <- c.calls.desc
	ch <- c.errors.desc
}

// Collect reads the cache's Stats once and sends a constant metric per
// series.
func (c *writebackCacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	var buf [24]point
	points := c.d.points(buf[:0], st.L1, st.Len)
	points = append(points, point{&c.calls, float64(st.StoreCalls)}, point{&c.errors, float64(st.StoreErrors)})
	send(ch, points)
}
