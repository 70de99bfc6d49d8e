package shard

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/hotcache/hotcache/internal/flood"
)

// BenchmarkSeedCost measures what seeding costs a Get hit: the seeded Get
// against the Get of before, which hashed integers with the unseeded mixer
// (flood.Mix) and strings with XXH64, each on its own cache filled with the
// same keys. The two run in alternating blocks of 4096 Gets in one process,
// so that a busy machine slows both alike; it reports each one's ns/op and
// their ratio (seeded/unseeded). The unseeded string Get here skips the
// old Cache.Get's call to hashOf, so it flatters the old code.
func BenchmarkSeedCost(b *testing.B) {
	const n = 4096
	b.Run("key=uint64", func(b *testing.B) {
		seeded := Must(Options[uint64, uint64]{Capacity: 2 * n})
		unseeded := Must(Options[uint64, uint64]{Capacity: 2 * n, Hash: flood.Mix})
		defer seeded.Close()
		defer unseeded.Close()
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = uint64(i) * 0x9e3779b97f4a7c15
			seeded.Set(keys[i], 1)
			unseeded.Set(keys[i], 1)
		}
		alternate(b, n,
			func(i int) bool { _, ok := seeded.Get(keys[i]); return ok },
			func(i int) bool { _, ok := unseededGet(unseeded, keys[i]); return ok })
	})
	b.Run("key=string", func(b *testing.B) {
		seeded := Must(Options[string, uint64]{Capacity: 2 * n})
		unseeded := Must(Options[string, uint64]{Capacity: 2 * n, Hash: xxhash.Sum64String})
		defer seeded.Close()
		defer unseeded.Close()
		keys := make([]string, n)
		for i := range keys {
			keys[i] = "registry.example.com/team/image-" + strconv.Itoa(i)
			seeded.Set(keys[i], 1)
			unseeded.Set(keys[i], 1)
		}
		alternate(b, n,
			func(i int) bool { _, ok := seeded.Get(keys[i]); return ok },
			func(i int) bool { k := keys[i]; _, ok := unseeded.e.Get(xxhash.Sum64String(k), k); return ok })
	})
}

// BenchmarkSeedCostThroughput is BenchmarkThroughput's zipf reads=100%
// workload (GOMAXPROCS goroutines, hits and misses) on a seeded cache and on
// one with the unseeded Get of before, each goroutine alternating blocks of
// 4096 Gets between the two; it reports the median ns/op of each one's
// blocks and the median ratio of adjacent blocks (seeded/unseeded).
func BenchmarkSeedCostThroughput(b *testing.B) {
	const streamLen, blockLen = 1 << 20, 4096
	keys := keyStream("zipf", streamLen)
	seeded := Must(Options[uint64, uint64]{Capacity: benchCap})
	unseeded := Must(Options[uint64, uint64]{Capacity: benchCap, Hash: flood.Mix})
	defer seeded.Close()
	defer unseeded.Close()
	for _, k := range keys[:benchCap] {
		seeded.Set(k, k)
		unseeded.Set(k, k)
	}
	var (
		mu             sync.Mutex
		ts, tu, ratios []float64
		next           atomic.Uint64
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)*7919) % streamLen
		var ms, mu2, mr []float64
		for round := 0; ; round++ {
			run := func(get func(uint64) (uint64, bool)) (float64, bool) {
				start := time.Now()
				n := 0
				for ; n < blockLen && pb.Next(); n++ {
					get(keys[i&(streamLen-1)])
					i++
				}
				if n < blockLen {
					return 0, false
				}
				return float64(time.Since(start).Nanoseconds()) / blockLen, true
			}
			newGet := seeded.Get
			oldGet := func(k uint64) (uint64, bool) { return unseededGet(unseeded, k) }
			var s, u float64
			var ok1, ok2 bool
			if round%2 == 0 {
				s, ok1 = run(newGet)
				u, ok2 = run(oldGet)
			} else {
				u, ok1 = run(oldGet)
				s, ok2 = run(newGet)
			}
			if !ok1 || !ok2 {
				break
			}
			ms, mu2, mr = append(ms, s), append(mu2, u), append(mr, s/u)
		}
		mu.Lock()
		ts, tu, ratios = append(ts, ms...), append(tu, mu2...), append(ratios, mr...)
		mu.Unlock()
	})
	if len(ratios) > 0 {
		b.ReportMetric(median(ts), "seeded-ns/op")
		b.ReportMetric(median(tu), "unseeded-ns/op")
		b.ReportMetric(median(ratios), "seeded/unseeded")
	}
}

// unseededGet is Cache.Get as it was before hashes were seeded.
func unseededGet(c *Cache[uint64, uint64], key uint64) (uint64, bool) {
	return c.e.Get(flood.Mix(key), key)
}

// alternate runs seeded and unseeded over keys 0..n-1 in alternating blocks
// of n calls, b.N calls of each in all. It reports the median ns/op of each
// one's blocks and the median ratio of adjacent blocks: medians, because on
// a shared machine a block that is preempted takes many times as long.
func alternate(b *testing.B, n int, seeded, unseeded func(int) bool) {
	b.Helper()
	s, u, r := alternateTimes(b, n, seeded, unseeded)
	b.ReportMetric(s, "seeded-ns/op")
	b.ReportMetric(u, "unseeded-ns/op")
	b.ReportMetric(r, "seeded/unseeded")
}

// alternateTimes runs f and g (each of which must report a hit) in
// alternating blocks of n calls, whose order swaps each round, and returns
// the median ns per call of each and the median of their ratio f/g per
// round.
func alternateTimes(b *testing.B, n int, f, g func(int) bool) (fns, gns, ratio float64) {
	b.Helper()
	seeded, unseeded := f, g
	var ts, tu, ratios []float64
	block := func(f func(int) bool, calls int) float64 {
		start := time.Now()
		for i := range calls {
			if !f(i & (n - 1)) {
				b.Fatal("miss")
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(calls)
	}
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		calls := min(n, b.N-done)
		var s, u float64
		if round%2 == 0 {
			s, u = block(seeded, calls), block(unseeded, calls)
		} else {
			u, s = block(unseeded, calls), block(seeded, calls)
		}
		ts, tu, ratios = append(ts, s), append(tu, u), append(ratios, s/u)
		done += calls
	}
	return median(ts), median(tu), median(ratios)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}
