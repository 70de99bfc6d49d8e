package tier

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
)

const benchKeys = 1024

func benchKey(i int) string { return fmt.Sprintf("user-%d/registry-7/read", i) }

// BenchmarkGet measures a tier L1 hit next to a plain shard.Cache Get of
// the same keys (the tier adds one call and one atomic load; on a shared
// machine, take their ratio from BenchmarkL1HitVsShard, which interleaves
// them), an L2 hit (L1 copy dropped before each Get: one Redis round trip,
// GET+PTTL pipelined) and a miss that loads (L1 and Redis miss, lock,
// load, store, unlock).
func BenchmarkGet(b *testing.B) {
	s := startRedis(b)
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	b.Run("L1hit/shard", func(b *testing.B) {
		c := shard.Must(shard.Options[string, bool]{Capacity: 10_000})
		defer c.Close()
		for _, k := range keys {
			c.Set(k, true)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, ok := c.Get(keys[i&(benchKeys-1)]); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("L1hit/tier", func(b *testing.B) {
		c := newBoolReplica(b, s, "bget:")
		for _, k := range keys {
			c.Set(bg, k, true)
			for !inL1Bool(c, k) {
				c.Get(bg, k)
			}
		}
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, ok, err := c.Get(ctx, keys[i&(benchKeys-1)]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}
	})
	b.Run("L2hit", func(b *testing.B) {
		c := newBoolReplica(b, s, "bget:")
		for _, k := range keys {
			c.Set(bg, k, true)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			k := keys[i&(benchKeys-1)]
			c.l1.Delete(k)
			if _, ok, err := c.Get(bg, k); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}
	})
	b.Run("miss+load", func(b *testing.B) {
		c := newBoolReplica(b, s, fmt.Sprintf("bload%d:", time.Now().UnixNano()))
		load := func(context.Context, string) (bool, error) { return true, nil }
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := c.GetOrLoad(bg, benchKey(i), load); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func newBoolReplica(tb testing.TB, s *redisServer, prefix string) *Cache[bool] {
	tb.Helper()
	c, err := New(Options[bool]{Addrs: []string{s.addr}, Prefix: prefix, TTL: time.Hour,
		Local: shard.Options[string, bool]{Capacity: 10_000}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func inL1Bool(c *Cache[bool], k string) bool { _, ok := c.l1.Peek(k); return ok }

// BenchmarkPermissionChecks is the GitLab virtual-registry workload: 3
// replicas each serve 1,000 requests (10 at a time) from the same user,
// and each request needs a permission check that costs 2 ms. Without a
// cache every request pays it; with an L1 per replica each replica pays it
// once; with L1+L2 (tier) it is paid once in all. Each iteration is a new
// user. Reported: checks/op (permission checks evaluated) and wall-ms/op.
func BenchmarkPermissionChecks(b *testing.B) {
	const replicas, requests, concurrency = 3, 1000, 10
	const checkCost = 2 * time.Millisecond
	s := startRedis(b)
	prefix := fmt.Sprintf("perm%d:", time.Now().UnixNano())
	type getter func(ctx context.Context, key string, check func(context.Context, string) (bool, error)) (bool, error)
	run := func(b *testing.B, makeReplica func() getter) {
		gets := make([]getter, replicas)
		for i := range gets {
			gets[i] = makeReplica()
		}
		var checks atomic.Int64
		check := func(context.Context, string) (bool, error) {
			checks.Add(1)
			time.Sleep(checkCost)
			return true, nil
		}
		var wall time.Duration
		user := 0
		for b.Loop() {
			start := time.Now()
			user++
			key := fmt.Sprintf("user-%d/registry-7/read_virtual_registry", user)
			var wg sync.WaitGroup
			for _, get := range gets {
				for range concurrency {
					wg.Go(func() {
						for range requests / concurrency {
							if ok, err := get(bg, key, check); !ok || err != nil {
								b.Error("permission check failed", err)
								return
							}
						}
					})
				}
			}
			wg.Wait()
			wall += time.Since(start)
		}
		b.ReportMetric(float64(checks.Load())/float64(b.N), "checks/op")
		b.ReportMetric(float64(wall.Nanoseconds())/1e6/float64(b.N), "wall-ms/op")
	}
	b.Run("no-cache", func(b *testing.B) {
		run(b, func() getter {
			return func(ctx context.Context, key string, check func(context.Context, string) (bool, error)) (bool, error) {
				return check(ctx, key)
			}
		})
	})
	b.Run("L1-only", func(b *testing.B) {
		run(b, func() getter {
			c := shard.Must(shard.Options[string, bool]{Capacity: 10_000, TTL: 5 * time.Minute})
			b.Cleanup(func() { c.Close() })
			return c.GetOrLoad
		})
	})
	b.Run("L1+L2", func(b *testing.B) {
		run(b, func() getter { return newBoolReplica(b, s, prefix).GetOrLoad })
	})
}

// BenchmarkL1HitVsShard times a tier L1 hit and a plain shard.Cache Get of
// the same keys in alternating blocks of 8,192 reads, so that both see the
// same machine load, and reports the median ns per read of each and their
// ratio (the promise: tier/shard <= 1.2).
func BenchmarkL1HitVsShard(b *testing.B) {
	s := startRedis(b)
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	plain := shard.Must(shard.Options[string, bool]{Capacity: 10_000})
	defer plain.Close()
	c := newBoolReplica(b, s, "bratio:")
	for _, k := range keys {
		plain.Set(k, true)
		c.Set(bg, k, true)
		for !inL1Bool(c, k) {
			c.Get(bg, k)
		}
	}
	ctx := context.Background()
	const block = 8192
	var tShard, tTier []float64
	var sink int
	for b.Loop() {
		start := time.Now()
		for i := range block {
			if _, ok := plain.Get(keys[i&(benchKeys-1)]); ok {
				sink++
			}
		}
		tShard = append(tShard, float64(time.Since(start).Nanoseconds())/block)
		start = time.Now()
		for i := range block {
			if _, ok, _ := c.Get(ctx, keys[i&(benchKeys-1)]); ok {
				sink++
			}
		}
		tTier = append(tTier, float64(time.Since(start).Nanoseconds())/block)
	}
	if sink != 2*block*b.N {
		b.Fatal("a read missed")
	}
	ms, mt := median(tShard), median(tTier)
	b.ReportMetric(ms, "shard-ns/get")
	b.ReportMetric(mt, "tier-ns/get")
	b.ReportMetric(mt/ms, "tier/shard")
}

func median(xs []float64) float64 {
	xs = append([]float64(nil), xs...)
	slices.Sort(xs)
	return xs[len(xs)/2]
}
