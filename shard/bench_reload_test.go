package shard

import (
	"testing"
	"time"
)

// benchGetHit measures a Get hit of a cache built with o and filled.
func benchGetHit(b *testing.B, o Options[uint64, uint64]) {
	c := Must(o)
	defer c.Close()
	for i := range uint64(benchCap) {
		c.Set(i, i)
	}
	b.ReportAllocs()
	var k uint64
	for b.Loop() {
		c.Get(k & (benchCap - 1))
		k++
	}
}

// BenchmarkCacheGetTTL is BenchmarkCacheGet/hit with a TTL: the read path
// that checks a deadline, where ExpireAfterAccess's test sits when off.
func BenchmarkCacheGetTTL(b *testing.B) {
	benchGetHit(b, Options[uint64, uint64]{Capacity: benchCap, TTL: time.Hour})
}

// BenchmarkCacheGetExpireAfterAccess is BenchmarkCacheGetTTL with a
// sliding lifetime: a hit extends an entry's deadline at most once per
// clock tick (here, with the default coarse clock and a lifetime of an
// hour, once per 7.5 minutes).
func BenchmarkCacheGetExpireAfterAccess(b *testing.B) {
	benchGetHit(b, Options[uint64, uint64]{Capacity: benchCap, TTL: time.Hour, ExpireAfterAccess: time.Hour})
}
