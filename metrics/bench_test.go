package metrics_test

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/shard"
)

// expose writes families as the text exposition format, as a /metrics
// handler does.
func expose(w io.Writer, families []*dto.MetricFamily) error {
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// scrape gathers reg and writes the exposition to w: one scrape.
func scrape(reg *prometheus.Registry, w io.Writer) error {
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	return expose(w, families)
}

// replay is a collector that sends metrics collected once: the same
// series as a cache's collector, without reading the cache.
type replay struct {
	of      prometheus.Collector
	metrics []prometheus.Metric
}

func newReplay(of prometheus.Collector) *replay {
	ch := make(chan prometheus.Metric, 64)
	of.Collect(ch)
	close(ch)
	r := &replay{of: of}
	for m := range ch {
		r.metrics = append(r.metrics, m)
	}
	return r
}

func (r *replay) Describe(ch chan<- *prometheus.Desc) { r.of.Describe(ch) }

func (r *replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r.metrics {
		ch <- m
	}
}

// registries returns a registry of c's collector and a registry of the
// same series replayed without reading c.
func registries(c metrics.Source) (reg, replayed *prometheus.Registry) {
	col := metrics.NewCollector("bench", c)
	reg = prometheus.NewRegistry()
	reg.MustRegister(col)
	replayed = prometheus.NewRegistry()
	replayed.MustRegister(newReplay(col))
	return reg, replayed
}

// BenchmarkScrape compares a scrape of a cache's collector (registry
// Gather and text exposition, as a /metrics handler does) with its parts:
// a Stats and Len call on the cache ("stats"), and a scrape of the same
// series replayed without reading the cache ("exposition"). The three are
// timed in turn within each iteration, so that the noise of a shared
// machine falls on all three alike, and reported as stats-ns,
// exposition-ns and scrape-ns; excess-ns is scrape − (stats + exposition),
// what the collector's Collect adds (one allocation per scrape, and a
// channel send per series). The collector reads counters per shard, not per entry, so
// its work is the same with 0 and 1M entries. Both scrapes allocate about
// 40 KB (in the registry and the encoder); with 1M entries the live heap
// is large and the garbage collection that this allocation pays for costs
// more, in both alike, landing on whichever runs when a cycle does: run
// with GOGC=off to see the scrapes without it.
func BenchmarkScrape(b *testing.B) {
	large := 1 << 20
	if raceEnabled {
		large = 1 << 14
	}
	for _, entries := range []int{0, large} {
		// Twice the capacity needed: each shard holds its share of the
		// capacity, and no shard must fill up.
		c := shard.Must(shard.Options[uint64, uint64]{Capacity: 2 << 20, CountHits: true})
		for i := range uint64(entries) {
			c.Set(i, i)
		}
		if c.Len() != entries {
			b.Fatalf("cache holds %d entries, want %d", c.Len(), entries)
		}
		reg, replayed := registries(c)
		b.Run(fmt.Sprintf("entries=%d", entries), func(b *testing.B) {
			const statsCalls = 16 // per iteration, to dwarf the timer's cost
			var stats, exposition, full time.Duration
			var sink int
			timed := func(total *time.Duration, r *prometheus.Registry) {
				t := time.Now()
				if err := scrape(r, io.Discard); err != nil {
					b.Fatal(err)
				}
				*total += time.Since(t)
			}
			i := 0
			for b.Loop() {
				t := time.Now()
				for range statsCalls {
					st := c.Stats()
					sink += int(st.Sets) + c.Len()
				}
				stats += time.Since(t) / statsCalls
				if i%2 == 0 { // alternate which scrape goes first
					timed(&exposition, replayed)
					timed(&full, reg)
				} else {
					timed(&full, reg)
					timed(&exposition, replayed)
				}
				i++
			}
			_ = sink
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(i) }
			b.ReportMetric(per(stats), "stats-ns")
			b.ReportMetric(per(exposition), "exposition-ns")
			b.ReportMetric(per(full), "scrape-ns")
			b.ReportMetric(per(full-exposition-stats), "excess-ns")
		})
		c.Close()
	}
}

// BenchmarkGetHit measures a Get hit three ways, side by side: alone;
// while another goroutine scrapes the cache's collector in a tight loop
// (far harsher than any scrape interval); and, as the control, while
// another goroutine scrapes the same series replayed without reading the
// cache (the same CPU and allocation, nothing shared with the cache). A
// scrape takes no lock and writes nothing a Get reads, so "scraped" should
// match "control": what both add over "alone" is the second goroutine's
// use of the machine (on 2 cores, its CPU time and its garbage collection),
// not the collector. With CountHits, a scrape reads the stripes that Get
// increments.
func BenchmarkGetHit(b *testing.B) {
	const n = 1 << 16
	for _, countHits := range []bool{false, true} {
		c := shard.Must(shard.Options[uint64, uint64]{Capacity: 2 * n, CountHits: countHits})
		for i := range uint64(n) {
			c.Set(i, i)
		}
		reg, replayed := registries(c)
		for _, mode := range []string{"alone", "control", "scraped"} {
			b.Run(fmt.Sprintf("countHits=%t/%s", countHits, mode), func(b *testing.B) {
				var stop atomic.Bool
				var scrapes atomic.Int64
				var wg sync.WaitGroup
				if mode != "alone" {
					r := reg
					if mode == "control" {
						r = replayed
					}
					wg.Go(func() {
						for !stop.Load() {
							if err := scrape(r, io.Discard); err != nil {
								b.Error(err)
								return
							}
							scrapes.Add(1)
						}
					})
				} else {
					b.ReportAllocs() // a scraper's allocations would count too
				}
				var k uint64
				for b.Loop() {
					c.Get(k & (n - 1))
					k++
				}
				stop.Store(true)
				wg.Wait()
				if mode != "alone" {
					b.ReportMetric(float64(scrapes.Load())/b.Elapsed().Seconds(), "scrapes/s")
				}
			})
		}
		c.Close()
	}
}

// BenchmarkGetHitInterleaved is BenchmarkGetHit with the three modes taken
// in turn within one benchmark, in phases of 64Ki Gets, so that the noise
// of a shared machine falls on all three alike: one goroutine gets, another
// idles, scrapes the replayed series (control) or scrapes the cache
// (scraped), as the phase says. Reported per Get: alone-ns, control-ns,
// scraped-ns.
func BenchmarkGetHitInterleaved(b *testing.B) {
	const n = 1 << 16
	for _, countHits := range []bool{false, true} {
		c := shard.Must(shard.Options[uint64, uint64]{Capacity: 2 * n, CountHits: countHits})
		for i := range uint64(n) {
			c.Set(i, i)
		}
		reg, replayed := registries(c)
		b.Run(fmt.Sprintf("countHits=%t", countHits), func(b *testing.B) {
			const (
				idle = iota
				control
				scraped
				stop
			)
			var mode atomic.Int32
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					var r *prometheus.Registry
					switch mode.Load() {
					case stop:
						return
					case idle:
						time.Sleep(time.Millisecond)
						continue
					case control:
						r = replayed
					case scraped:
						r = reg
					}
					if err := scrape(r, io.Discard); err != nil {
						b.Error(err)
						return
					}
				}
			})
			var took [3]time.Duration
			var phases [3]int
			var k uint64
			i := 0
			for b.Loop() {
				m := i % 3
				mode.Store(int32(m))
				time.Sleep(time.Millisecond) // let the scraper see the new mode
				t := time.Now()
				for range n {
					c.Get(k & (n - 1))
					k++
				}
				took[m] += time.Since(t)
				phases[m]++
				i++
			}
			mode.Store(stop)
			wg.Wait()
			for m, name := range []string{"alone-ns", "control-ns", "scraped-ns"} {
				if phases[m] > 0 {
					b.ReportMetric(float64(took[m].Nanoseconds())/float64(phases[m]*n), name)
				}
			}
		})
		c.Close()
	}
}
