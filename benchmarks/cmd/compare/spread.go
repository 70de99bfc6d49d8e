package main

import (
	"fmt"
	"slices"

	"github.com/hotcache/hotcache/benchmarks"
)

// minMax returns the smallest and largest of xs (0, 0 for none).
func minMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

// opsRange formats the spread of throughput samples in millions of
// operations per second, "[lo–hi]", or "" when there is a single sample
// (no spread to show).
func opsRange(samples []float64) string {
	if len(samples) < 2 {
		return ""
	}
	lo, hi := minMax(samples)
	return fmt.Sprintf(" [%.1f–%.1f]", lo/1e6, hi/1e6)
}

// replayRounds replays keys rounds times, each on a new cache of capacity c
// (so with new hash seeds where the cache draws them), and returns the hits
// of each round.
func replayRounds(f benchmarks.Factory[uint64], keys []uint64, c, rounds int) []int {
	hits := make([]int, max(1, rounds))
	for i := range hits {
		cache := f.New(benchmarks.Config{Capacity: c, Sync: true})
		hits[i] = benchmarks.Replay(cache, keys)
		cache.Close()
	}
	return hits
}

// hitRow completes r from the hits of each round: HitRatio is their median
// over r.Requests, Samples every round's ratio when there is more than one.
func hitRow(r HitRow, hits []int) HitRow {
	ratios := make([]float64, len(hits))
	for i, h := range hits {
		ratios[i] = float64(h) / float64(r.Requests)
	}
	r.HitRatio = benchmarks.Median(ratios)
	if len(ratios) > 1 {
		r.Samples = ratios
	}
	return r
}

// hitRange formats the spread of hit-ratio samples in percent, "[lo–hi]",
// or "" for a single round.
func hitRange(samples []float64) string {
	if len(samples) < 2 {
		return ""
	}
	lo, hi := minMax(samples)
	return fmt.Sprintf(" [%.2f–%.2f]", 100*lo, 100*hi)
}
