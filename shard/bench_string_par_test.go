package shard

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkThroughputString is BenchmarkThroughput's zipf reads=100%
// workload with the string keys of the benchmarks module's comparison
// ("key-" and 20 digits: 24 bytes), GOMAXPROCS goroutines: the cell where
// issue 22 measured hotcache at 0.77× xsync.Map.
func BenchmarkThroughputString(b *testing.B) {
	const streamLen = 1 << 20
	ints := keyStream("zipf", streamLen)
	keys := make([]string, streamLen)
	for i, k := range ints {
		keys[i] = fmt.Sprintf("key-%020d", k)
	}
	c := Must(Options[string, uint64]{Capacity: benchCap})
	defer c.Close()
	for i, k := range keys[:benchCap] {
		c.Set(k, ints[i])
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(1)*7919) % streamLen
		for pb.Next() {
			c.Get(keys[i&(streamLen-1)])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
