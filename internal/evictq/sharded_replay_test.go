package evictq_test

import (
	"flag"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotcache/hotcache/internal/evictq"
)

// replayCells and replaySeeds select what BenchmarkShardedReplay replays:
// trace@capacity cells, comma separated (a trace is a keys file's name
// without ".keys.gz", or "arc/" and an ARC file's name without ".lis.gz"),
// and how many hash seeds per cell.
var (
	replayCells = flag.String("replay", "lirs-sprite@1415,lirs-ps@616", "cells for BenchmarkShardedReplay: trace@capacity,...")
	replaySeeds = flag.Int("replayseeds", 9, "hash seeds per cell for BenchmarkShardedReplay")
)

// shardsFor is the engine's default shard count on 2 CPUs (see
// defaultShards in internal/core): a power of two up to 8, with at least
// 128 entries of capacity per shard.
func shardsFor(capacity int) int {
	n := 1
	for n < 8 && capacity/(2*n) >= 128 {
		n <<= 1
	}
	return n
}

// replaySharded replays keys through queues with admission, sharded as a
// default cache of the given capacity shards them on 2 CPUs (the top bits
// of the hash pick the queue, each sized for its share), under the
// cache-wide bound: once the cache is full, an insert evicts in its own
// queue. It returns the hit ratio in percent.
func replaySharded(keys []uint64, capacity int, seed uint64) float64 {
	n := shardsFor(capacity)
	shift := uint(64)
	for x := n; x > 1; x >>= 1 {
		shift--
	}
	qs := make([]*evictq.Queue[uint64], n)
	for i := range qs {
		qs[i] = evictq.NewQueue[uint64](evictq.SIEVE)
		qs[i].EnableAdmission(capacity/n + min(1, max(0, capacity%n-i)))
	}
	m := make(map[uint64]*evictq.Node[uint64], capacity)
	hits := 0
	for _, k := range keys {
		if nd, ok := m[k]; ok {
			nd.Visit()
			hits++
			continue
		}
		h := mix(k ^ seed)
		q := qs[0]
		if shift < 64 {
			q = qs[h>>shift]
		}
		if len(m) >= capacity {
			from := q
			for i := 0; from.Len() == 0; i++ {
				from = qs[i]
			}
			v, _ := from.Evict(0)
			delete(m, v.Item)
		}
		nd := evictq.NewNode(k, 0, h)
		q.Push(nd)
		m[k] = nd
	}
	return 100 * float64(hits) / float64(len(keys))
}

// BenchmarkShardedReplay replays the cells of -replay through queues
// sharded as the hit-ratio matrix's caches are (see replaySharded), once
// per hash seed, and reports the median, least and greatest hit ratio:
//
//	go test ./internal/evictq -run '^$' -bench ShardedReplay -benchtime=1x -replay lirs-sprite@1415,lirs-zigzag@400
//
// It is how the measures in the package documentation were taken; it
// agrees with cmd/compare -matrix within its seed spread (lirs-sprite at
// 1415: 91.30 against 91.31, lirs-ps at 616: 59.04 against 59.05).
func BenchmarkShardedReplay(b *testing.B) {
	for _, cell := range strings.Split(*replayCells, ",") {
		name, c, ok := strings.Cut(cell, "@")
		capacity, err := strconv.Atoi(c)
		if !ok || err != nil || capacity < 1 {
			b.Fatalf("bad cell %q: want trace@capacity", cell)
		}
		var keys []uint64
		if arc, ok := strings.CutPrefix(name, "arc/"); ok {
			keys = loadARC(b, "arc/"+arc+".lis.gz")
		} else {
			keys = loadKeys(b, "keys/"+name+".keys.gz")
		}
		b.Run(cell, func(b *testing.B) {
			r := make([]float64, max(*replaySeeds, 1))
			for b.Loop() {
				for i := range r {
					r[i] = replaySharded(keys, capacity, rand.New(rand.NewPCG(uint64(i), 7)).Uint64())
				}
			}
			slices.Sort(r)
			b.ReportMetric(r[len(r)/2], "hit%")
			b.ReportMetric(r[0], "min%")
			b.ReportMetric(r[len(r)-1], "max%")
			b.Logf("%s: median %.2f%%, range %.2f to %.2f (%d seeds, %d queues)", cell, r[len(r)/2], r[0], r[len(r)-1], len(r), shardsFor(capacity))
		})
	}
}
