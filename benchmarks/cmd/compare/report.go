package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotcache/hotcache/benchmarks"
)

// markdown renders the results as the tables results.md holds.
func markdown(r *Results) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# hotcache vs other Go caches\n\n")
	w("`%s` — %s, %s, %s, GOMAXPROCS=%d, %s", strings.Join(r.Commands, "`, then `"), r.GoVersion, r.Platform, r.CPU, r.GOMAXPROCS, r.Date)
	if r.Quick {
		w(" (quick mode: a subset, fewer samples)")
	}
	w(".\n\n")
	for _, n := range r.Notes {
		w("> %s\n\n", n)
	}
	if len(r.Throughput) > 0 {
		throughputTables(w, r.Throughput)
	}
	if len(r.HitRatio) > 0 {
		hitRatioTables(w, r.HitRatio)
	}
	if len(r.Memory) > 0 {
		memoryTable(w, r.Memory)
	}
	if len(r.Allocs) > 0 {
		w("## Allocations per operation\n\n`testing.AllocsPerRun`, uint64 keys; Set new stores a new key into a full cache (so it evicts).\n\n")
		w("| cache | Get hit | Set existing | Set new |\n|---|--:|--:|--:|\n")
		for _, a := range r.Allocs {
			w("| %s | %.2f | %.2f | %.2f |\n", a.Cache, a.GetHit, a.SetExisting, a.SetNew)
		}
		w("\n")
	}
	if len(r.RYW) > 0 {
		w("## Read-your-writes\n\nEach of %d Sets (Zipf s=0.99 keys, capacity 2^16) is followed at once by a Get of the same key from the same goroutine; a failure is a miss or another value. \"with Wait\" builds the cache with Config.Sync (ristretto and theine: Wait after every Set; otter: maintenance on the caller). Dropped: Sets the cache itself reported refused.\n\n", r.RYW[0].Sets)
		w("| cache | failures | failures with Wait | dropped Sets |\n|---|--:|--:|--:|\n")
		for _, y := range r.RYW {
			w("| %s | %d | %d | %d |\n", y.Cache, y.Failures, y.FailuresSync, y.Dropped)
		}
		w("\n")
	}
	return b.String()
}

type writef func(format string, a ...any)

type cellKey struct {
	zipf float64
	v    variant
	g    int
}

func throughputTables(w writef, rows []ThroughputRow) {
	w("## Throughput\n\nMillions of operations per second, median of %d runs; in parentheses the ratio to otter; in brackets the min–max of the runs, so noise (a busy machine widens it) can be told from a difference. Capacity 2^16, key space 64× capacity, Zipf key stream pre-generated.\n\n", len(rows[0].Samples))
	var cells []cellKey
	for _, r := range rows {
		k := cellKey{r.Zipf, r.Variant, r.Goroutines}
		if !slices.Contains(cells, k) {
			cells = append(cells, k)
		}
	}
	for _, c := range cells {
		reads, caches, ops := cellOps(rows, c)
		w("### Zipf s=%v, %v, %d goroutines\n\n| cache |", c.zipf, c.v, c.g)
		for _, rp := range reads {
			w(" reads=%d%% |", rp)
		}
		w("\n|---|%s\n", strings.Repeat("--:|", len(reads)))
		for _, name := range caches {
			w("| %s |", name)
			for _, rp := range reads {
				x := ops[name][rp].OpsPerSec
				if o := ops[benchmarks.Otter][rp].OpsPerSec; o > 0 {
					w(" %.1f (%.2f×)%s |", x/1e6, x/o, opsRange(ops[name][rp].Samples))
				} else {
					w(" %.1f%s |", x/1e6, opsRange(ops[name][rp].Samples))
				}
			}
			w("\n")
		}
		w("\n")
	}
}

// hitOrder puts the reference rows around the caches.
func hitOrder(caches []string) []string {
	out := []string{"OPT"}
	for _, c := range caches {
		if c != "OPT" && c != "LRU" {
			out = append(out, c)
		}
	}
	return append(out, "LRU")
}

func hitRatioTables(w writef, rows []HitRow) {
	w("## Hit ratio\n\nPercent of requests that hit; single-threaded replay (Get; on a miss Set), background work made synchronous. OPT is Belady's optimum (with admission), LRU an exact LRU. Capacities are fractions of each trace's footprint (unique keys). With -hrrounds N > 1, each cache is replayed N times, each time new (new hash seeds): the median, and in brackets the min–max.\n\n")
	var traces []string
	for _, r := range rows {
		if !slices.Contains(traces, r.Trace) {
			traces = append(traces, r.Trace)
		}
	}
	type diff struct{ vsOtter, vsLRU float64 }
	summary := map[string]diff{}
	for _, t := range traces {
		var caps []int
		var caches []string
		hr := map[string]map[int]float64{}
		samples := map[string]map[int][]float64{}
		var req, uniq int
		for _, r := range rows {
			if r.Trace != t {
				continue
			}
			req, uniq = r.Requests, r.Unique
			if !slices.Contains(caps, r.Capacity) {
				caps = append(caps, r.Capacity)
			}
			if hr[r.Cache] == nil {
				caches = append(caches, r.Cache)
				hr[r.Cache] = map[int]float64{}
				samples[r.Cache] = map[int][]float64{}
			}
			hr[r.Cache][r.Capacity] = r.HitRatio
			samples[r.Cache][r.Capacity] = r.Samples
		}
		slices.Sort(caps)
		w("### %s (%d requests, %d unique)\n\n| cache |", t, req, uniq)
		for _, c := range caps {
			w(" %d |", c)
		}
		w("\n|---|%s\n", strings.Repeat("--:|", len(caps)))
		for _, name := range hitOrder(caches) {
			w("| %s |", name)
			for _, c := range caps {
				w(" %.2f%s |", 100*hr[name][c], hitRange(samples[name][c]))
			}
			w("\n")
		}
		w("\n")
		if hr["hotcache"] != nil && hr[benchmarks.Otter] != nil {
			d := diff{vsOtter: 100, vsLRU: 100}
			for _, c := range caps {
				d.vsOtter = min(d.vsOtter, 100*(hr["hotcache"][c]-hr[benchmarks.Otter][c]))
				d.vsLRU = min(d.vsLRU, 100*(hr["hotcache"][c]-hr["LRU"][c]))
			}
			summary[t] = d
		}
	}
	if len(summary) > 0 {
		w("### Summary: hotcache minus otter and minus LRU, worst capacity (percentage points)\n\n| trace | vs otter | vs LRU |\n|---|--:|--:|\n")
		for _, t := range traces {
			if d, ok := summary[t]; ok {
				w("| %s | %+.2f | %+.2f |\n", t, d.vsOtter, d.vsLRU)
			}
		}
		w("\n")
	}
}

func memoryTable(w writef, rows []MemRow) {
	w("## Memory per entry\n\nLive heap after GC, divided by the entries the cache holds, filling a cache of capacity N with N entries (uint64 values). String keys are 24 bytes, allocated before measuring: their 16-byte headers inside the cache count, their bytes do not.\n\n")
	get := func(keys, cache string) (MemRow, bool) {
		for _, r := range rows {
			if r.Keys == keys && r.Cache == cache {
				return r, true
			}
		}
		return MemRow{}, false
	}
	var caches []string
	for _, r := range rows {
		if !slices.Contains(caches, r.Cache) {
			caches = append(caches, r.Cache)
		}
	}
	w("| cache | uint64 keys: bytes/entry | × otter | string keys: bytes/entry | × otter | entries held (uint64) |\n|---|--:|--:|--:|--:|--:|\n")
	for _, c := range caches {
		w("| %s |", c)
		var held int
		for _, k := range []string{"uint64", "string"} {
			r, ok := get(k, c)
			o, ook := get(k, benchmarks.Otter)
			switch {
			case !ok:
				w(" – | – |")
			case ook && o.BytesPerEntry > 0:
				w(" %.0f | %.2f |", r.BytesPerEntry, r.BytesPerEntry/o.BytesPerEntry)
			default:
				w(" %.0f | – |", r.BytesPerEntry)
			}
			if k == "uint64" {
				held = r.Entries
			}
		}
		w(" %d |\n", held)
	}
	w("\n")
}

// cellOps gathers one throughput cell: its read percentages and caches in
// the order they first appear, and the rows by cache and read percentage.
func cellOps(rows []ThroughputRow, c cellKey) (reads []int, caches []string, ops map[string]map[int]ThroughputRow) {
	ops = map[string]map[int]ThroughputRow{}
	for _, r := range rows {
		if (cellKey{r.Zipf, r.Variant, r.Goroutines}) != c {
			continue
		}
		if !slices.Contains(reads, r.ReadPct) {
			reads = append(reads, r.ReadPct)
		}
		if ops[r.Cache] == nil {
			caches = append(caches, r.Cache)
			ops[r.Cache] = map[int]ThroughputRow{}
		}
		ops[r.Cache][r.ReadPct] = r
	}
	return reads, caches, ops
}
