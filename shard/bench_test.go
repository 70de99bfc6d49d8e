package shard

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hotcache/hotcache/internal/flood"
)

// benchCap is the capacity of every benchmarked cache; keys are drawn from a
// space four times larger, so Zipf streams hit often and uniform ones miss
// often.
const benchCap = 1 << 16

type benchTarget interface {
	Get(uint64) (uint64, bool)
	Set(uint64, uint64)
}

// rwMap is the baseline every Go programmer writes first: a map behind a
// sync.RWMutex (unbounded).
type rwMap struct {
	mu sync.RWMutex
	m  map[uint64]uint64
}

func (r *rwMap) Get(k uint64) (uint64, bool) {
	r.mu.RLock()
	v, ok := r.m[k]
	r.mu.RUnlock()
	return v, ok
}

func (r *rwMap) Set(k, v uint64) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}

// syncMap is the standard library's concurrent map (unbounded).
type syncMap struct{ m sync.Map }

func (s *syncMap) Get(k uint64) (uint64, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}

func (s *syncMap) Set(k, v uint64) { s.m.Store(k, v) }

var targets = []struct {
	name string
	make func() benchTarget
}{
	{"hotcache", func() benchTarget { return Must(Options[uint64, uint64]{Capacity: benchCap}) }},
	{"hotcache-noadmission", func() benchTarget { return Must(Options[uint64, uint64]{Capacity: benchCap, NoAdmission: true}) }},
	{"RWMutexMap", func() benchTarget { return &rwMap{m: map[uint64]uint64{}} }},
	{"SyncMap", func() benchTarget { return &syncMap{} }},
}

// keyStream returns n keys: Zipf(1.01) or uniform over 4×benchCap.
func keyStream(dist string, n int) []uint64 {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, n)
	z := rand.NewZipf(r, 1.01, 1, 4*benchCap-1)
	for i := range keys {
		if dist == "zipf" {
			keys[i] = z.Uint64()
		} else {
			keys[i] = r.Uint64N(4 * benchCap)
		}
	}
	return keys
}

// BenchmarkThroughput is the harness shared with the baselines: a
// pre-generated key stream, each operation a Get (reads%) or a Set, run by
// GOMAXPROCS goroutines, each starting at its own offset of the stream.
// A Get miss is not followed by a Set, so the mix is exact.
func BenchmarkThroughput(b *testing.B) {
	const streamLen = 1 << 20
	for _, dist := range []string{"zipf", "uniform"} {
		keys := keyStream(dist, streamLen)
		for _, reads := range []int{100, 90, 75, 50} {
			for _, tg := range targets {
				b.Run(fmt.Sprintf("%s/reads=%d%%/%s", dist, reads, tg.name), func(b *testing.B) {
					c := tg.make()
					for _, k := range keys[:benchCap] {
						c.Set(k, k)
					}
					var seed atomic.Uint64
					b.ReportAllocs()
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						i := int(seed.Add(1)*7919) % streamLen
						op := uint32(i)
						for pb.Next() {
							k := keys[i&(streamLen-1)]
							i++
							op = op*1664525 + 1013904223 // LCG: cheap, uncorrelated with the key
							if int(op>>24)%100 < reads {
								c.Get(k)
							} else {
								c.Set(k, k)
							}
						}
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
					if cl, ok := c.(interface{ Close() error }); ok {
						cl.Close()
					}
				})
			}
		}
	}
}

func BenchmarkCacheGet(b *testing.B) {
	c := Must(Options[uint64, uint64]{Capacity: benchCap})
	defer c.Close()
	for i := range uint64(benchCap) {
		c.Set(i, i)
	}
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		var k uint64
		for b.Loop() {
			c.Get(k & (benchCap - 1))
			k++
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		k := uint64(benchCap)
		for b.Loop() {
			c.Get(k)
			k++
		}
	})
	b.Run("hit/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := rand.Uint64()
			for pb.Next() {
				c.Get(k & (benchCap - 1))
				k++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

func BenchmarkCacheGetString(b *testing.B) {
	c := Must(Options[string, int]{Capacity: benchCap})
	defer c.Close()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "registry.example.com/team/image-" + strconv.Itoa(i)
		c.Set(keys[i], i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Get(keys[i&1023])
		i++
	}
}

func BenchmarkCacheSet(b *testing.B) {
	b.Run("existing", func(b *testing.B) {
		c := Must(Options[uint64, uint64]{Capacity: benchCap})
		defer c.Close()
		for i := range uint64(1024) {
			c.Set(i, i)
		}
		b.ReportAllocs()
		var k uint64
		for b.Loop() {
			c.Set(k&1023, k)
			k++
		}
	})
	b.Run("new-evicting", func(b *testing.B) {
		c := Must(Options[uint64, uint64]{Capacity: benchCap})
		defer c.Close()
		b.ReportAllocs()
		var k uint64
		for b.Loop() {
			c.Set(k, k) // every key new; past benchCap each Set evicts
			k++
		}
	})
	b.Run("existing/parallel", func(b *testing.B) {
		c := Must(Options[uint64, uint64]{Capacity: benchCap})
		defer c.Close()
		for i := range uint64(benchCap) {
			c.Set(i, i)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			k := rand.Uint64()
			for pb.Next() {
				c.Set(k&(benchCap-1), k)
				k++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

// BenchmarkCacheFlood is Get hit and Set existing over the 10,000 keys built
// to collide under the unseeded integer hash (internal/flood): with a seeded
// hash they cost what any keys cost.
func BenchmarkCacheFlood(b *testing.B) {
	keys := flood.Uint64Keys(10_000)
	c := Must(Options[uint64, uint64]{Capacity: 4 * len(keys)})
	defer c.Close()
	for _, k := range keys {
		c.Set(k, k)
	}
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.Get(keys[i%len(keys)])
			i++
		}
	})
	b.Run("set-existing", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c.Set(keys[i%len(keys)], uint64(i))
			i++
		}
	})
}
