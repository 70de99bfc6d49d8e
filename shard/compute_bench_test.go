package shard

import (
	"context"
	"testing"
)

// BenchmarkCacheCompute is Compute on an existing key, to compare with
// BenchmarkCacheSet/existing (same keys, same cache): the bound is
// 1.5× Set. "increment" reads the old value and writes old+1; "cancel"
// only reads it.
func BenchmarkCacheCompute(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    func(uint64, bool) (uint64, ComputeOp)
	}{
		{"increment", func(old uint64, _ bool) (uint64, ComputeOp) { return old + 1, WriteOp }},
		{"cancel", func(old uint64, _ bool) (uint64, ComputeOp) { return old, CancelOp }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := Must(Options[uint64, uint64]{Capacity: benchCap})
			defer c.Close()
			for i := range uint64(1024) {
				c.Set(i, i)
			}
			b.ReportAllocs()
			var k uint64
			for b.Loop() {
				c.Compute(k&1023, bc.f)
				k++
			}
		})
	}
}

var benchMapSink map[string]int

// BenchmarkCacheGetOrLoadAll is GetOrLoadAll of 100 keys, all cached:
// allocs/op counts the result map's allocations only (a map of 100
// entries, built in one go: a handful of allocations, none per key).
// "map-only" measures that map alone, built the same way, for comparison.
func BenchmarkCacheGetOrLoadAll(b *testing.B) {
	c := Must(Options[string, int]{Capacity: benchCap})
	defer c.Close()
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "sha256:" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		c.Set(keys[i], i)
	}
	load := func(context.Context, []string) (map[string]int, error) {
		b.Fatal("every key is cached: nothing to load")
		return nil, nil
	}
	ctx := context.Background()
	b.Run("cached-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m, err := c.GetOrLoadAll(ctx, keys, load); err != nil || len(m) != len(keys) {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("map-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := make(map[string]int, len(keys))
			for i, k := range keys {
				m[k] = i
			}
			benchMapSink = m // escapes, as GetOrLoadAll's result does
			if len(m) != len(keys) {
				b.Fatal(len(m))
			}
		}
	})
}
