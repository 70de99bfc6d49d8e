package generated

import (
	"slices"
	"testing"
	"time"

	"github.com/hotcache/hotcache/internal/flood"
	"github.com/hotcache/hotcache/shard"
)

// benchKeys is the number of keys each Get benchmark cycles through: all
// present, so every Get is a hit.
const benchKeys = 1 << 12

// getter is the Get of a generated cache or of shard.Cache.
type getter[K comparable, V any] interface{ Get(K) (V, bool) }

func benchGet[K comparable, V any](b *testing.B, c interface {
	getter[K, V]
	Set(K, V)
}, key func(int) K, val V) {
	keys := make([]K, benchKeys)
	for i := range keys {
		keys[i] = key(i)
		c.Set(keys[i], val)
	}
	i := 0
	for b.Loop() {
		if _, ok := c.Get(keys[i&(benchKeys-1)]); !ok {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkGet compares a Get hit on a generated cache with shard.Cache of
// the same types, in the same run:
//
//	go test ./generated -run '^$' -bench Get -count 6
func BenchmarkGet(b *testing.B) {
	opts := func() shard.Options[string, string] { return shard.Options[string, string]{Capacity: 2 * benchKeys} }
	b.Run("key=string/generated", func(b *testing.B) {
		c, _ := NewStringCache(opts())
		benchGet(b, c, strKey, "v")
	})
	b.Run("key=string/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(opts()), strKey, "v")
	})

	uopts := shard.Options[uint64, uint64]{Capacity: 2 * benchKeys}
	ukey := func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }
	b.Run("key=uint64/generated", func(b *testing.B) {
		c, _ := NewUint64Cache(uopts)
		benchGet(b, c, ukey, 1)
	})
	b.Run("key=uint64/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(uopts), ukey, 1)
	})

	dopts := shard.Options[[32]byte, []byte]{Capacity: 2 * benchKeys}
	b.Run("key=[32]byte/generated", func(b *testing.B) {
		c, _ := NewDigestCache(dopts)
		benchGet(b, c, digest, []byte("v"))
	})
	b.Run("key=[32]byte/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(dopts), digest, []byte("v"))
	})

	popts := shard.Options[PermKey, bool]{Capacity: 2 * benchKeys}
	b.Run("key=struct/generated", func(b *testing.B) {
		c, _ := NewPermCache(popts)
		benchGet(b, c, permKey, true)
	})
	b.Run("key=struct/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(popts), permKey, true)
	})
}

// unseededUint64Cache is Uint64Cache's Get as cachegen generated it before
// hashes were seeded (code version 1): the unseeded mixer, no seed field.
type unseededUint64Cache struct{ e *shard.Engine[uint64, uint64] }

func (c *unseededUint64Cache) Get(key uint64) (uint64, bool) { return c.e.Get(flood.Mix(key), key) }

// BenchmarkSeedCost compares a Get hit of the generated Uint64Cache with the
// same Get as generated before seeding, in alternating blocks of benchKeys
// Gets (see shard's BenchmarkSeedCost), and reports the median ns/op of each
// and the median ratio seeded/unseeded.
func BenchmarkSeedCost(b *testing.B) {
	seeded, err := NewUint64Cache(shard.Options[uint64, uint64]{Capacity: 2 * benchKeys})
	if err != nil {
		b.Fatal(err)
	}
	e, err := shard.NewEngine(shard.Options[uint64, uint64]{Capacity: 2 * benchKeys},
		func(_ shard.Seed, k uint64) uint64 { return flood.Mix(k) })
	if err != nil {
		b.Fatal(err)
	}
	unseeded := &unseededUint64Cache{e}
	defer seeded.Close()
	defer e.Close()
	keys := make([]uint64, benchKeys)
	for i := range keys {
		keys[i] = uint64(i) * 0x9e3779b97f4a7c15
		seeded.Set(keys[i], 1)
		e.Set(flood.Mix(keys[i]), keys[i], 1)
	}
	var ts, tu, ratios []float64
	block := func(get func(uint64) (uint64, bool), calls int) float64 {
		start := time.Now()
		for i := range calls {
			if _, ok := get(keys[i&(benchKeys-1)]); !ok {
				b.Fatal("miss")
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(calls)
	}
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		calls := min(benchKeys, b.N-done)
		var s, u float64
		if round%2 == 0 {
			s, u = block(seeded.Get, calls), block(unseeded.Get, calls)
		} else {
			u, s = block(unseeded.Get, calls), block(seeded.Get, calls)
		}
		ts, tu, ratios = append(ts, s), append(tu, u), append(ratios, s/u)
		done += calls
	}
	med := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	b.ReportMetric(med(ts), "seeded-ns/op")
	b.ReportMetric(med(tu), "unseeded-ns/op")
	b.ReportMetric(med(ratios), "seeded/unseeded")
}
