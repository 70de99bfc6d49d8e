package main

import (
	"strings"
	"testing"
)

// TestThroughputTableShowsSpread checks that every throughput figure in
// results.md carries the min–max of its rounds next to the median.
func TestThroughputTableShowsSpread(t *testing.T) {
	v := variant{Keys: "uint64"}
	rows := []ThroughputRow{
		{Zipf: 0.99, Variant: v, Goroutines: 2, ReadPct: 100, Cache: "otter", OpsPerSec: 20e6, Samples: []float64{20e6, 18.5e6, 21.25e6}},
		{Zipf: 0.99, Variant: v, Goroutines: 2, ReadPct: 100, Cache: "hotcache", OpsPerSec: 30e6, Samples: []float64{31e6, 30e6, 12e6}},
	}
	md := markdown(&Results{Throughput: rows})
	for _, want := range []string{
		"| otter | 20.0 (1.00×) [18.5–21.2] |",
		"| hotcache | 30.0 (1.50×) [12.0–31.0] |",
		"in brackets the min–max of the runs",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	rows[0].Samples, rows[1].Samples = rows[0].Samples[:1], rows[1].Samples[:1]
	if md := markdown(&Results{Throughput: rows}); strings.Contains(md, "–") && strings.Contains(md, "| otter | 20.0 (1.00×) [") {
		t.Errorf("a single run shows a spread:\n%s", md)
	}
}

// TestMissingTraceNotes checks that each trace the run wanted but could not
// find is named once, with the command that fetches it, and that shipped or
// found traces and traces the run did not want are not named.
func TestMissingTraceNotes(t *testing.T) {
	files := []string{"traces/keys/cache2k-web12.keys.gz", "traces/fetched/arc/P3.lis.gz"}
	notes := missingTraceNotes([]string{"OLTP", "P3", "lirs-loop", "cache2k-web12"}, files)
	if len(notes) != 2 {
		t.Fatalf("%d notes, want 2 (OLTP, lirs-loop):\n%s", len(notes), strings.Join(notes, "\n"))
	}
	for i, name := range []string{"OLTP", "lirs-loop"} {
		if !strings.HasPrefix(notes[i], "hit ratio on "+name+" (hitratio-"+name+".png) skipped") || !strings.Contains(notes[i], "go run ./cmd/fetchtraces -only "+name) {
			t.Errorf("note %q does not name %s and its fetch command", notes[i], name)
		}
	}
	if all := missingTraceNotes(nil, nil); len(all) != 21 {
		t.Errorf("with nothing found, %d notes, want one per fetchable trace (21)", len(all))
	}
}

// TestHitRatioTableShowsSpread checks that a hit ratio measured over
// several rounds is shown with its min–max, and one measured once is not.
func TestHitRatioTableShowsSpread(t *testing.T) {
	base := HitRow{Trace: "t", Requests: 100, Unique: 50, Capacity: 10}
	hot, lru := base, base
	hot.Cache, lru.Cache = "hotcache", "LRU"
	rows := []HitRow{hitRow(hot, []int{52, 48, 50}), hitRow(lru, []int{40})}
	if rows[0].HitRatio != 0.5 || len(rows[0].Samples) != 3 || rows[1].HitRatio != 0.4 || rows[1].Samples != nil {
		t.Fatalf("hitRow: %+v", rows)
	}
	md := markdown(&Results{HitRatio: rows})
	for _, want := range []string{"| hotcache | 50.00 [48.00–52.00] |", "| LRU | 40.00 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
}

// TestReplayRounds checks that each round replays the whole trace on a new
// cache: a trace of distinct keys then a repeat of them hits exactly once per
// key in every round when the cache holds them all.
func TestReplayRounds(t *testing.T) {
	keys := []uint64{1, 2, 3, 4, 1, 2, 3, 4}
	for _, f := range hitRatioCaches() {
		if f.Name != "hotcache" {
			continue
		}
		hits := replayRounds(f, keys, 64, 3)
		if len(hits) != 3 {
			t.Fatalf("%d rounds, want 3", len(hits))
		}
		for i, h := range hits {
			if h != 4 {
				t.Errorf("round %d: %d hits, want 4 (more: a cache carried over between rounds)", i, h)
			}
		}
		return
	}
	t.Fatal("no hotcache factory among hitRatioCaches")
}
