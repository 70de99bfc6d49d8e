package clock

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDefaultClockLag measures how far the default clock's Now lags the
// true time (the same monotonic-plus-offset reading, taken exactly), as a
// reader that runs all the time sees it, with busy other goroutines spinning
// meanwhile (busy=GOMAXPROCS: more runnable goroutines than processors, as
// in a loaded server). The lag is the time since the clock's goroutine last
// ran: one resolution plus however late the Go scheduler, and the host's,
// run that goroutine once its ticker fires. Each op is one sample; it
// reports the lag's median, 99th percentile and maximum over the samples in
// milliseconds (ns/op is the cost of a sample, not of the clock).
func BenchmarkDefaultClockLag(b *testing.B) {
	for _, busy := range []int{0, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("busy=%d", busy), func(b *testing.B) {
			c := Default()
			c.Acquire()
			defer c.Release()
			var stop atomic.Bool
			var wg sync.WaitGroup
			for range busy {
				wg.Go(func() {
					for x := 0; !stop.Load(); x++ {
						if x%1_000_000 == 0 {
							spin.Add(1)
						}
					}
				})
			}
			var h lagHistogram
			for b.Loop() {
				h.add(time.Duration(c.exact() - c.Now()))
			}
			stop.Store(true)
			wg.Wait()
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(h.quantile(0.50)), "p50-lag-ms")
			b.ReportMetric(ms(h.quantile(0.99)), "p99-lag-ms")
			b.ReportMetric(ms(h.max), "max-lag-ms")
		})
	}
}

var spin atomic.Int64 // keeps the busy loops from being optimized away

// lagHistogram counts lags in buckets of lagBucket, up to lagBuckets of
// them (longer lags count in the last), and keeps the maximum.
type lagHistogram struct {
	counts [lagBuckets]int64
	n      int64
	max    time.Duration
}

const (
	lagBucket  = 10 * time.Microsecond
	lagBuckets = 100_000 // up to 1 s
)

func (h *lagHistogram) add(d time.Duration) {
	h.max = max(h.max, d)
	h.n++
	h.counts[min(max(int(d/lagBucket), 0), lagBuckets-1)]++
}

// quantile returns the upper bound of the bucket holding the q-quantile.
func (h *lagHistogram) quantile(q float64) time.Duration {
	want := int64(q * float64(h.n))
	var seen int64
	for i, n := range h.counts {
		if seen += n; seen > want {
			return time.Duration(i+1) * lagBucket
		}
	}
	return h.max
}
