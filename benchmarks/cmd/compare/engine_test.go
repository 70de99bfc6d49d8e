package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/benchmarks"
)

func TestEngineMarkdown_Verdicts(t *testing.T) {
	res := benchmarks.EngineResult{
		Options: benchmarks.DefaultEngineOptions(),
		Throughput: []benchmarks.EngineCell{{Name: benchmarks.CellUint64Read100,
			Caches: []string{benchmarks.EngineHotcache, benchmarks.Otter},
			Samples: map[string][]float64{
				benchmarks.EngineHotcache: {30e6, 24e6, 28e6},
				benchmarks.Otter:          {10e6, 10e6, 10e6},
			},
			CPUSamples: map[string][]float64{
				benchmarks.EngineHotcache: {15e6, 12e6, 18e6},
				benchmarks.Otter:          {15e6, 10e6, 22.5e6},
			}}},
		Memory: []benchmarks.EngineMem{{Cache: benchmarks.EngineHotcache, Entries: 1000, BytesPerEntry: 61}},
	}
	targets := benchmarks.EngineTargets()
	r := &EngineReport{Result: res, Verdicts: benchmarks.JudgeEngine(&res, targets)}
	md := engineMarkdown(r)
	// Pair ratios 3.0, 2.4, 2.8: median 2.8, goal 2.5.
	// By CPU time: 1.0, 1.2, 0.8: median 1.0.
	assert.Contains(t, md, "| uint64 reads=100% vs otter | 2.80× | 2.40–3.00 | 1.00× 0.80–1.20 | ≥ 2.50× | PASS |")
	assert.Contains(t, md, "| B/entry at 1M uint64 | 61.0 B |  |  | ≤ 60 B | FAIL |")
	assert.Contains(t, md, "| allocs per Get hit | — |  |  | ≤ 0 | FAIL (no allocations measured")
	assert.Contains(t, md, "**1 of 17 targets pass.**")
	assert.Contains(t, md, "| uint64 zipf reads=100% | hotcache | 28.0 | 24.0–30.0 | 35.71 | 15.0 | 12.0–18.0 |")
	assert.Len(t, targets, 17, "the count in the summary line above")
}

func TestVerdictValue_ShowsWhyARoundedEqualFails(t *testing.T) {
	tg := benchmarks.EngineTarget{Cell: "c", Goal: 0.97}
	assert.Equal(t, "0.969×", verdictValue(benchmarks.EngineVerdict{Target: tg, Value: 0.9694}))
	assert.Equal(t, "0.97×", verdictValue(benchmarks.EngineVerdict{Target: tg, Value: 0.97}))
	assert.Equal(t, "1.04×", verdictValue(benchmarks.EngineVerdict{Target: tg, Value: 1.04}))
}
