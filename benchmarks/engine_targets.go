package benchmarks

import (
	"fmt"
	"slices"
)

// Median returns the median of xs (the mean of the two middle values for
// an even count), or 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// PairRatios returns a[i]/b[i] for each round i both measured (a's and b's
// samples are in round order, so each pair ran in the same round), or an
// error naming the problem when there is no pair or a sample is not
// positive.
func PairRatios(a, b []float64) ([]float64, error) {
	n := min(len(a), len(b))
	if n == 0 {
		return nil, fmt.Errorf("benchmarks: no pair of samples (%d and %d)", len(a), len(b))
	}
	out := make([]float64, n)
	for i := range n {
		if !(a[i] > 0) || !(b[i] > 0) {
			return nil, fmt.Errorf("benchmarks: round %d: samples %v and %v must be positive", i, a[i], b[i])
		}
		out[i] = a[i] / b[i]
	}
	return out, nil
}

// EngineTarget is one of issue 22's targets. Exactly one of its kinds is
// set: a throughput ratio (Cell, Num, Den), memory per entry of Num (Mem,
// with Den for a ratio), or allocations (Alloc).
type EngineTarget struct {
	Name string `json:"name"`
	// Metric is Name as a go benchmark metric unit (no spaces).
	Metric string `json:"metric"`
	// Cell, Num, Den: in throughput cell Cell, Num's ops/s over Den's,
	// round by round; the measure is the median of the pair ratios.
	Cell, Num, Den string
	// Mem: Num's bytes per entry at 1M uint64 entries, or with Den set the
	// ratio of Num's to Den's.
	Mem bool
	// Alloc: allocations per "get", "update" or "insert", the most of any
	// of hotcache's caches (generic and generated, uint64 and string keys).
	Alloc string
	// Goal is the bound; AtMost says the measure must not exceed it
	// (otherwise it must reach it).
	Goal   float64 `json:"goal"`
	AtMost bool    `json:"at_most"`
}

// EngineTargets are issue 22's targets. The hit-ratio target is the
// compare command's -matrix, not measured here.
func EngineTargets() []EngineTarget {
	h, g := EngineHotcache, EngineGenerated
	ts := []EngineTarget{
		{Name: "uint64 reads=100% vs otter", Metric: "x-otter/u64-r100", Cell: CellUint64Read100, Num: h, Den: Otter, Goal: 2.5},
		{Name: "uint64 reads=100% vs xsync.Map", Metric: "x-xsync/u64-r100", Cell: CellUint64Read100, Num: h, Den: EngineXsync, Goal: 1.0},
		{Name: "string reads=100% vs otter", Metric: "x-otter/str-r100", Cell: CellStringRead100, Num: h, Den: Otter, Goal: 2.0},
		{Name: "string reads=100% vs xsync.Map", Metric: "x-xsync/str-r100", Cell: CellStringRead100, Num: h, Den: EngineXsync, Goal: 1.0},
		{Name: "uint64 reads=50% vs otter", Metric: "x-otter/u64-r50", Cell: CellUint64Read50, Num: h, Den: Otter, Goal: 1.8},
		{Name: "string reads=50% vs otter", Metric: "x-otter/str-r50", Cell: CellStringRead50, Num: h, Den: Otter, Goal: 1.7},
		{Name: "1M uniform reads=50% vs otter", Metric: "x-otter/1M-r50", Cell: CellUniform1MRead50, Num: h, Den: Otter, Goal: 1.3},
		{Name: "B/entry at 1M uint64", Metric: "B/entry", Mem: true, Num: h, Goal: 60, AtMost: true},
		{Name: "B/entry vs otter", Metric: "x-otter/B-entry", Mem: true, Num: h, Den: Otter, Goal: 0.55, AtMost: true},
		{Name: "allocs per Get hit", Metric: "allocs/get", Alloc: "get", Goal: 0, AtMost: true},
		{Name: "allocs per update", Metric: "allocs/update", Alloc: "update", Goal: 0, AtMost: true},
		{Name: "allocs per insert", Metric: "allocs/insert", Alloc: "insert", Goal: 1, AtMost: true},
	}
	for _, c := range []struct{ cell, short string }{
		{CellUint64Read100, "u64-r100"}, {CellStringRead100, "str-r100"},
		{CellUint64Read50, "u64-r50"}, {CellStringRead50, "str-r50"}, {CellUniform1MRead50, "1M-r50"},
	} {
		ts = append(ts, EngineTarget{Name: "generated vs shard.Cache, " + c.cell, Metric: "gen-x-generic/" + c.short,
			Cell: c.cell, Num: g, Den: h, Goal: 0.97})
	}
	return ts
}

// EngineVerdict is a target judged on one run.
type EngineVerdict struct {
	Target EngineTarget `json:"target"`
	// Value is the measure: the median pair ratio, bytes per entry (or
	// their ratio), or allocations per operation.
	Value float64 `json:"value"`
	// Lo and Hi are the least and greatest pair ratios (throughput; equal
	// to Value otherwise).
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	Pass bool    `json:"pass"`
	// Err says why the target could not be judged (it then fails).
	Err string `json:"error,omitempty"`
}

// JudgeEngine judges each target on r. A target whose data r lacks fails
// with Err set.
func JudgeEngine(r *EngineResult, targets []EngineTarget) []EngineVerdict {
	out := make([]EngineVerdict, len(targets))
	for i, t := range targets {
		v := EngineVerdict{Target: t}
		var err error
		switch {
		case t.Cell != "":
			v.Value, v.Lo, v.Hi, err = judgeRatio(r, t)
		case t.Mem:
			v.Value, err = judgeMem(r, t)
			v.Lo, v.Hi = v.Value, v.Value
		case t.Alloc != "":
			v.Value, err = judgeAllocs(r, t.Alloc)
			v.Lo, v.Hi = v.Value, v.Value
		default:
			err = fmt.Errorf("target %q has no kind", t.Name)
		}
		if err != nil {
			v.Err = err.Error()
		} else if t.AtMost {
			v.Pass = v.Value <= t.Goal
		} else {
			v.Pass = v.Value >= t.Goal
		}
		out[i] = v
	}
	return out
}

func judgeRatio(r *EngineResult, t EngineTarget) (med, lo, hi float64, err error) {
	c := r.Cell(t.Cell)
	if c == nil {
		return 0, 0, 0, fmt.Errorf("cell %q not measured", t.Cell)
	}
	series := c.Series(r.Options.ByCPU)
	ratios, err := PairRatios(series[t.Num], series[t.Den])
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %s/%s: %w", t.Cell, t.Num, t.Den, err)
	}
	return Median(ratios), slices.Min(ratios), slices.Max(ratios), nil
}

func judgeMem(r *EngineResult, t EngineTarget) (float64, error) {
	find := func(name string) (float64, error) {
		for _, m := range r.Memory {
			if m.Cache == name && m.BytesPerEntry > 0 {
				return m.BytesPerEntry, nil
			}
		}
		return 0, fmt.Errorf("no memory measured for %s", name)
	}
	num, err := find(t.Num)
	if err != nil || t.Den == "" {
		return num, err
	}
	den, err := find(t.Den)
	if err != nil {
		return 0, err
	}
	return num / den, nil
}

func judgeAllocs(r *EngineResult, op string) (float64, error) {
	worst, n := 0.0, 0
	for _, a := range r.Allocs {
		if a.Cache != EngineHotcache && a.Cache != EngineGenerated {
			continue
		}
		var x float64
		switch op {
		case "get":
			x = a.GetHit
		case "update":
			x = a.SetExisting
		case "insert":
			x = a.SetNew
		default:
			return 0, fmt.Errorf("unknown operation %q (want get, update, insert)", op)
		}
		worst = max(worst, x)
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no allocations measured for %s or %s", EngineHotcache, EngineGenerated)
	}
	return worst, nil
}
