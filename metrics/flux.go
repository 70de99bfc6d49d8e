package metrics

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// Event types and request statuses of Flux's cache series, as in
// fluxcd/pkg/cache.
const (
	// CacheEventTypeHit is the event_type of a request answered from the cache.
	CacheEventTypeHit = "cache_hit"
	// CacheEventTypeMiss is the event_type of a request that had to load.
	CacheEventTypeMiss = "cache_miss"
	// StatusSuccess is the status of a cache request that gave an answer.
	StatusSuccess = "success"
	// StatusFailure is the status of a cache request that failed.
	StatusFailure = "failure"
)

// InvolvedObject names the Kubernetes object on whose behalf the cache is
// asked, e.g. the OCIRepository being reconciled: it labels
// gotk_cache_events_total.
type InvolvedObject struct {
	Kind      string // the object's kind, e.g. "OCIRepository"
	Name      string // its name
	Namespace string // its namespace; empty for a cluster-scoped object
}

// FluxRecorder produces the cache series of Flux controllers
// (fluxcd/pkg/cache), with their names, help texts and labels, so that a
// controller can put a hotcache cache in place of Flux's without breaking
// its dashboards or alerts:
//
//	gotk_cache_events_total{event_type="cache_hit"|"cache_miss", kind, name, namespace}  counter
//	gotk_cache_requests_total{status="success"|"failure"}                                counter
//	gotk_cached_items                                                                     gauge
//	gotk_cache_evictions_total                                                            counter
//
// gotk_cached_items and gotk_cache_evictions_total are read from the cache
// when scraped (its Len, and its evictions for capacity, expiry and
// deletion: Flux counts a deleted item as evicted when its janitor removes
// it, and does not count an overwrite). The two other families are bumped
// by the controller's requests: by [GetOrLoadFor], which records both, or
// by [FluxRecorder.RecordCacheEvent] and [FluxRecorder.RecordRequest]. As
// in Flux, a family with labels shows once it has a series.
//
// The series carry no cache label, as Flux's do not: register one
// FluxRecorder per registry (a second one is a registration error).
// FluxRecorder is a prometheus.Collector and is safe for concurrent use.
type FluxRecorder struct {
	src       Source
	events    *prometheus.CounterVec
	requests  *prometheus.CounterVec
	items     series
	evictions series
}

// NewFluxRecorder returns a recorder of the Flux series for src, the cache
// the controller asks. src may be nil: gotk_cached_items and
// gotk_cache_evictions_total then stay 0.
func NewFluxRecorder(src Source) *FluxRecorder {
	return &FluxRecorder{
		src: src,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gotk_cache_events_total",
			Help: "Total number of cache retrieval events for a Gitops Toolkit resource reconciliation.",
		}, []string{"event_type", "kind", "name", "namespace"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gotk_cache_requests_total",
			// Flux's help text, spelling included: dashboards do not read
			// it, but a scrape compared with Flux's should be identical.
			Help: "Total number of cache requests partioned by success or failure.",
		}, []string{"status"}),
		items: newSeries(prometheus.NewDesc("gotk_cached_items",
			"Total number of items in the cache.", nil, nil), false),
		evictions: newSeries(prometheus.NewDesc("gotk_cache_evictions_total",
			"Total number of cache evictions.", nil, nil), true),
	}
}

// Register registers r with reg; a second FluxRecorder on the same
// registry is an error that says so.
func (r *FluxRecorder) Register(reg prometheus.Registerer) error {
	return register(reg, r, "a Flux recorder (gotk_cache series)")
}

// Describe sends the descriptors of the four families.
func (r *FluxRecorder) Describe(ch chan<- *prometheus.Desc) {
	r.events.Describe(ch)
	r.requests.Describe(ch)
	ch <- r.items.desc
	ch <- r.evictions.desc
}

// Collect sends the recorded events and requests, and reads the cache's
// Len and Stats for the items and evictions.
func (r *FluxRecorder) Collect(ch chan<- prometheus.Metric) {
	r.events.Collect(ch)
	r.requests.Collect(ch)
	var items int
	var evictions uint64
	if r.src != nil {
		items = r.src.Len()
		st := r.src.Stats()
		evictions = st.Evictions[evict.Capacity] + st.Evictions[evict.Expired] + st.Evictions[evict.Deleted]
	}
	send(ch, []point{{&r.items, float64(items)}, {&r.evictions, float64(evictions)}})
}

// RecordCacheEvent counts one event (CacheEventTypeHit or
// CacheEventTypeMiss) for the object of that kind, name and namespace, as
// Flux's Cache.RecordCacheEvent does.
func (r *FluxRecorder) RecordCacheEvent(event, kind, name, namespace string) {
	r.events.WithLabelValues(event, kind, name, namespace).Inc()
}

// DeleteCacheEvent deletes the series of one event type for the object of
// that kind, name and namespace, as Flux's Cache.DeleteCacheEvent does.
// Call it for both event types when the object is deleted, or call
// [FluxRecorder.DeleteObject].
func (r *FluxRecorder) DeleteCacheEvent(event, kind, name, namespace string) {
	r.events.DeleteLabelValues(event, kind, name, namespace)
}

// DeleteObject deletes the hit and the miss series of obj: call it when the
// object is deleted, so that its series do not outlive it.
func (r *FluxRecorder) DeleteObject(obj InvolvedObject) {
	for _, event := range []string{CacheEventTypeHit, CacheEventTypeMiss} {
		r.DeleteCacheEvent(event, obj.Kind, obj.Name, obj.Namespace)
	}
}

// RecordRequest counts one cache request by its outcome: StatusFailure if
// err is an error other than shard.ErrNotFound, StatusSuccess otherwise (a
// request that found nothing got its answer, as a miss is a success in
// Flux's cache).
func (r *FluxRecorder) RecordRequest(err error) {
	status := StatusSuccess
	if err != nil && !errors.Is(err, shard.ErrNotFound) {
		status = StatusFailure
	}
	r.requests.WithLabelValues(status).Inc()
}

// CachedLoader is a cache whose read-through load reports whether its
// answer came from the cache (cached) or from a load: *shard.Cache and
// every generated cache, through their GetOrLoadCached.
type CachedLoader[K comparable, V any] interface {
	GetOrLoadCached(ctx context.Context, key K, load func(context.Context, K) (V, error)) (value V, cached bool, err error)
}

// GetOrLoadFor asks c for key on behalf of obj and records the request with
// r: a cache_hit event for obj if the answer came from the cache (a
// remembered not-found included), a cache_miss event if it was loaded
// (successfully or not), and the request's status (see
// [FluxRecorder.RecordRequest]). It returns what c returned. Recording
// costs a lookup of obj's series (a hash of its labels and a read lock),
// on top of c's GetOrLoadCached.
func GetOrLoadFor[K comparable, V any](ctx context.Context, r *FluxRecorder, obj InvolvedObject, c CachedLoader[K, V], key K, load func(context.Context, K) (V, error)) (V, error) {
	v, cached, err := c.GetOrLoadCached(ctx, key, load)
	event := CacheEventTypeMiss
	if cached {
		event = CacheEventTypeHit
	}
	r.RecordCacheEvent(event, obj.Kind, obj.Name, obj.Namespace)
	r.RecordRequest(err)
	return v, err
}
