package clock

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDefaultClockLag measures how far the default clock's Now lags the
// true time (the same monotonic-plus-offset reading, taken exactly) as a
// reader sees it, with 0 or GOMAXPROCS goroutines spinning meanwhile: the
// lag is the time since the clock's goroutine last ran, so it is one
// resolution plus however late the Go scheduler runs that goroutine. Each op
// is one sample, taken after a short sleep, so samples fall at unrelated
// moments. It reports the lag's median, 99th percentile and maximum in
// milliseconds (ns/op is the sampling period, not a cost).
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
			var lags []time.Duration
			for b.Loop() {
				time.Sleep(100 * time.Microsecond)
				lags = append(lags, time.Duration(c.exact()-c.Now()))
			}
			stop.Store(true)
			wg.Wait()
			slices.Sort(lags)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lags[len(lags)/2]), "p50-lag-ms")
			b.ReportMetric(ms(lags[len(lags)*99/100]), "p99-lag-ms")
			b.ReportMetric(ms(lags[len(lags)-1]), "max-lag-ms")
		})
	}
}

var spin atomic.Int64 // keeps the busy loops from being optimized away
