package shard

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"testing"

	"github.com/hotcache/hotcache/internal/core"
)

// BenchmarkCacheGetStringLen is a Get hit of string keys of 8 to 64 bytes
// (issue 22: hashing was ~30% of a string Get): 4096 keys of one length, a
// common prefix and a decimal suffix, as cache keys often are.
func BenchmarkCacheGetStringLen(b *testing.B) {
	const n = 4096
	for _, length := range []int{8, 16, 24, 32, 48, 64} {
		b.Run(fmt.Sprintf("len=%d", length), func(b *testing.B) {
			c := Must(Options[string, int]{Capacity: benchCap})
			defer c.Close()
			prefix := strings.Repeat("registry.example.com/team/image:", 2)
			keys := make([]string, n)
			for i := range keys {
				s := strconv.Itoa(i)
				keys[i] = prefix[:length-len(s)] + s
				c.Set(keys[i], i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := c.Get(keys[i&(n-1)]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
	}
}

// BenchmarkCacheGetStringVsMaphash is BenchmarkCacheGetStringLen's Get hit
// against the same Get with the string hash of before (hash/maphash), on
// two caches filled with the same keys, in alternating blocks of 4096 Gets
// in one process (see alternate), so that a busy machine slows both alike.
// It reports each one's median ns/op over the blocks and their ratio,
// through Cache.Get and with the engine called directly (engine-*).
func BenchmarkCacheGetStringVsMaphash(b *testing.B) {
	const n = 4096
	for _, length := range []int{8, 16, 24, 32, 48, 64} {
		b.Run(fmt.Sprintf("len=%d", length), func(b *testing.B) {
			seed := maphash.MakeSeed()
			mh := func(k string) uint64 { return maphash.String(seed, k) }
			c := Must(Options[string, int]{Capacity: 2 * n})
			old := Must(Options[string, int]{Capacity: 2 * n, Hash: mh})
			defer c.Close()
			defer old.Close()
			prefix := strings.Repeat("registry.example.com/team/image:", 2)
			keys := make([]string, n)
			for i := range keys {
				s := strconv.Itoa(i)
				keys[i] = prefix[:length-len(s)] + s
				c.Set(keys[i], i)
				old.Set(keys[i], i)
			}
			// Through Cache.Get: the maphash cache's Options.Hash costs an
			// indirect call on top of hashOf's call, as the old Cache.Get's
			// call of core.HashString did.
			ts, tm, ratio := alternateTimes(b, n,
				func(i int) bool { _, ok := c.Get(keys[i]); return ok },
				func(i int) bool { _, ok := old.Get(keys[i]); return ok })
			// The hash alone: the engine called directly with each hash.
			es, em, eratio := alternateTimes(b, n,
				func(i int) bool { k := keys[i]; _, ok := c.e.Get(core.HashString(c.e.Seed(), k), k); return ok },
				func(i int) bool { k := keys[i]; _, ok := old.e.Get(maphash.String(seed, k), k); return ok })
			b.ReportMetric(ts, "wyhash-ns/op") // after both: ResetTimer clears metrics
			b.ReportMetric(tm, "maphash-ns/op")
			b.ReportMetric(ratio, "wyhash/maphash")
			b.ReportMetric(es, "engine-wyhash-ns/op")
			b.ReportMetric(em, "engine-maphash-ns/op")
			b.ReportMetric(eratio, "engine-wyhash/maphash")
		})
	}
}
