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
