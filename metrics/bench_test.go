package metrics_test

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

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

// BenchmarkScrape compares, in one run, a scrape of a cache's collector
// (gather and text exposition) with its parts: a Stats and Len call on the
// cache, and the exposition of the same families already gathered. The
// scrape reads counters per shard, not per entry: it costs the same with
// 0 and 1M entries.
func BenchmarkScrape(b *testing.B) {
	for _, entries := range []int{0, 1 << 20} {
		// Twice the capacity needed: each shard holds its share of the
		// capacity, and no shard must fill up.
		c := shard.Must(shard.Options[uint64, uint64]{Capacity: 2 << 20, CountHits: true})
		for i := range uint64(entries) {
			c.Set(i, i)
		}
		if c.Len() != entries {
			b.Fatalf("cache holds %d entries, want %d", c.Len(), entries)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.NewCollector("bench", c))
		families, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("entries=%d", entries)
		b.Run(name+"/stats", func(b *testing.B) {
			b.ReportAllocs()
			var sink int
			for b.Loop() {
				st := c.Stats()
				sink += int(st.Sets) + c.Len()
			}
			_ = sink
		})
		b.Run(name+"/exposition", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := expose(io.Discard, families); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/scrape", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := scrape(reg, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		c.Close()
	}
}

// BenchmarkGetHit measures a Get hit alone and while another goroutine
// scrapes the cache's collector in a tight loop (a harsher load than any
// scrape interval), with and without hit counting. A scrape only reads the
// cache's counters; with CountHits it reads the stripes that Get writes.
func BenchmarkGetHit(b *testing.B) {
	const n = 1 << 16
	for _, countHits := range []bool{false, true} {
		c := shard.Must(shard.Options[uint64, uint64]{Capacity: n, CountHits: countHits})
		for i := range uint64(n) {
			c.Set(i, i)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.NewCollector("bench", c))
		for _, scraped := range []bool{false, true} {
			name := fmt.Sprintf("countHits=%t/", countHits)
			if scraped {
				name += "scraped"
			} else {
				name += "alone"
			}
			b.Run(name, func(b *testing.B) {
				var stop atomic.Bool
				var scrapes atomic.Int64
				var wg sync.WaitGroup
				if scraped {
					wg.Go(func() {
						for !stop.Load() {
							if err := scrape(reg, io.Discard); err != nil {
								b.Error(err)
								return
							}
							scrapes.Add(1)
						}
					})
				}
				if !scraped {
					b.ReportAllocs() // the scraper's allocations would count
				}
				var k uint64
				for b.Loop() {
					c.Get(k & (n - 1))
					k++
				}
				stop.Store(true)
				wg.Wait()
				if scraped {
					b.ReportMetric(float64(scrapes.Load())/b.Elapsed().Seconds(), "scrapes/s")
				}
			})
		}
		c.Close()
	}
}
