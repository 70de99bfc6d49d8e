package benchmarks

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// BenchmarkEngine is the throughput part of the compare command's -engine
// run as a go benchmark: b.N interleaved rounds (run it with
// -benchtime=7x for the 7) of 100 ms per cache and cell, reporting
// each throughput target's median pair ratio (x-otter/u64-r100: hotcache
// over otter, uint64 keys, reads=100 %; gen-x-generic/...: the generated
// cache over shard.Cache). Memory and allocations are in the command.
//
// b.N = 1 (the probe the testing package runs first, and CI's
// -benchtime=1x) is a smoke round at capacities 2^10 and 2^14 for 10 ms: it
// checks that every cell runs, and its ratios mean nothing.
func BenchmarkEngine(b *testing.B) {
	o := DefaultEngineOptions()
	o.Rounds, o.Dur = b.N, 100*time.Millisecond
	if b.N == 1 {
		o.Dur, o.Capacity, o.BigCapacity = 10*time.Millisecond, 1<<10, 1<<14
	}
	cells, err := RunEngineThroughput(o, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := EngineResult{Options: o, Throughput: cells}
	for _, v := range JudgeEngine(&r, EngineTargets()) {
		if v.Target.Cell == "" {
			continue
		}
		if v.Err != "" {
			b.Fatalf("%s: %s", v.Target.Name, v.Err)
		}
		b.ReportMetric(v.Value, v.Target.Metric)
	}
}
