package benchmarks

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

const benchCapacity = 1 << 16

// benchStream is the throughput stream: Zipf s=0.99 over 64× the capacity.
var benchStream = sync.OnceValue(func() Stream[uint64] {
	ranks, err := Zipf(0.99, 64*benchCapacity, 1<<20, 1)
	if err != nil {
		panic(err)
	}
	return NewStream(Scramble(ranks))
})

// BenchmarkThroughput is the compare command's uint64 throughput cell as a
// go benchmark: BenchmarkThroughput/<cache>/reads=<N>%, from GOMAXPROCS
// goroutines (use -cpu to vary), reported as ops/s.
func BenchmarkThroughput(b *testing.B) {
	s := benchStream()
	for _, f := range Caches[uint64]() {
		for _, reads := range []int{100, 90, 75, 50} {
			b.Run(fmt.Sprintf("%s/reads=%d%%", f.Name, reads), func(b *testing.B) {
				c := f.New(Config{Capacity: benchCapacity})
				defer c.Close()
				Prefill(c, s, 2*benchCapacity)
				var offset atomic.Uint64
				rp := uint8(reads)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := int(offset.Add(uint64(len(s.Keys)) / 16))
					for pb.Next() {
						s.Do(c, i, rp)
						i++
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}

// BenchmarkHitRatio replays a synthetic Zipf stream (s=0.99, 100k requests
// over 100k keys) single-threaded, at 1% and 10% of the key space, and
// reports the hit ratio as hit%. The trace replays are in the compare
// command.
func BenchmarkHitRatio(b *testing.B) {
	keys, err := Zipf(0.99, 100_000, 100_000, 2)
	if err != nil {
		b.Fatal(err)
	}
	for _, capacity := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("LRU/capacity=%d", capacity), func(b *testing.B) {
			hits := 0
			for b.Loop() {
				hits = LRUHits(keys, capacity)
			}
			b.ReportMetric(100*float64(hits)/float64(len(keys)), "hit%")
		})
		for _, f := range Caches[uint64]() {
			if !f.Bounded {
				continue
			}
			b.Run(fmt.Sprintf("%s/capacity=%d", f.Name, capacity), func(b *testing.B) {
				hits := 0
				for b.Loop() {
					c := f.New(Config{Capacity: capacity, Sync: true})
					hits = Replay(c, keys)
					c.Close()
				}
				b.ReportMetric(100*float64(hits)/float64(len(keys)), "hit%")
			})
		}
	}
}
