package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hotcache/hotcache/benchmarks"
)

// The engine report (-engine) is issue 22's targets, checked one by one:
// hotcache's shard.Cache and generated cache against otter v2 and
// xsync.Map, side by side in interleaved rounds.

// EngineReport is what -engine saves as engine.json.
type EngineReport struct {
	Command    string                     `json:"command"`
	Commit     string                     `json:"commit,omitempty"` // of the hotcache checkout measured (../)
	GoVersion  string                     `json:"go_version"`
	Platform   string                     `json:"platform"`
	CPU        string                     `json:"cpu"`
	GOMAXPROCS int                        `json:"gomaxprocs"`
	Date       string                     `json:"date"`
	LoadBefore string                     `json:"load_before,omitempty"` // /proc/loadavg when the run started
	LoadAfter  string                     `json:"load_after,omitempty"`  // and when it ended
	Elapsed    string                     `json:"elapsed"`
	Result     benchmarks.EngineResult    `json:"result"`
	Verdicts   []benchmarks.EngineVerdict `json:"verdicts"`
}

// engineMain runs the engine cells with o at GOMAXPROCS procs (0: leave
// it) and writes engine.md and engine.json to out; src is the hotcache
// checkout measured, for its commit.
func engineMain(o benchmarks.EngineOptions, procs int, out, src string) {
	if procs > 0 {
		runtime.GOMAXPROCS(procs)
	}
	check(os.MkdirAll(out, 0o755))
	r := EngineReport{
		Command:    strings.TrimSpace("go run ./cmd/compare " + strings.Join(os.Args[1:], " ")),
		Commit:     gitCommit(src),
		GoVersion:  runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		CPU:        cpuName(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Date:       time.Now().UTC().Format(time.DateTime),
		LoadBefore: loadAvg(),
	}
	start := time.Now()
	cells, err := benchmarks.RunEngineThroughput(o, func(round int) {
		log.Printf("engine: round %d of %d done (%v)", round+1, o.Rounds, time.Since(start).Round(time.Second))
	})
	check(err)
	r.Result = benchmarks.EngineResult{Options: o, Throughput: cells}
	r.Result.Memory = benchmarks.RunEngineMemory(o)
	log.Printf("engine: memory done")
	r.Result.Allocs = benchmarks.RunEngineAllocs(o)
	log.Printf("engine: allocations done")
	r.Elapsed = time.Since(start).Round(time.Second).String()
	r.LoadAfter = loadAvg()
	check(writeEngine(&r, out))
}

// writeEngine judges r's samples and writes engine.md (also printed) and
// engine.json to out.
func writeEngine(r *EngineReport, out string) error {
	r.Verdicts = benchmarks.JudgeEngine(&r.Result, benchmarks.EngineTargets())
	md := engineMarkdown(r)
	fmt.Print(md)
	if err := os.WriteFile(filepath.Join(out, "engine.md"), []byte(md), 0o644); err != nil {
		return err
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "engine.json"), append(j, '\n'), 0o644)
}

// engineRender judges the samples saved in file (an engine.json) again,
// with the targets of this build, and writes the report to out.
func engineRender(file, out string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("-render: %w", err)
	}
	var r EngineReport
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("-render: %s: %w", file, err)
	}
	if len(r.Result.Throughput) == 0 {
		return fmt.Errorf("-render: %s holds no engine samples", file)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return writeEngine(&r, out)
}

// gitCommit returns the short commit of the git checkout at dir, with
// "+dirty" when tracked files outside benchmarks/ (the hotcache code
// measured, not this harness) differ from it, or "" outside git.
func gitCommit(dir string) string {
	c, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(c))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks").Output(); err == nil && len(st) > 0 {
		s += "+dirty"
	}
	return s
}

// loadAvg returns the first three fields of /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// engineMarkdown renders the verdicts, then the raw medians.
func engineMarkdown(r *EngineReport) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	o := r.Result.Options
	w("# Engine v2 targets (issue 22)\n\n")
	w("`%s` — commit %s, %s, %s, %s, GOMAXPROCS=%d, %s UTC, %v; load average %s before, %s after.\n\n",
		r.Command, orDash(r.Commit), r.GoVersion, r.Platform, r.CPU, r.GOMAXPROCS, r.Date, r.Elapsed, orDash(r.LoadBefore), orDash(r.LoadAfter))
	w("%d interleaved rounds (each runs every cache once per cell, the order rotating), %v per cache, cell and round, %d goroutines; "+
		"Zipf 1.01 over %d keys at capacity %d; uniform over %d keys at capacity %d. "+
		"A throughput ratio is the median of the %d per-round ratios, with their min–max.\n\n",
		o.Rounds, o.Dur, o.Goroutines, 64*o.Capacity, o.Capacity, 4*o.BigCapacity, o.BigCapacity, o.Rounds)
	pass := 0
	for _, v := range r.Verdicts {
		if v.Pass {
			pass++
		}
	}
	w("**%d of %d targets pass.**\n\n", pass, len(r.Verdicts))
	// The other basis, shown beside the one judged.
	alt := r.Result
	alt.Options.ByCPU = !alt.Options.ByCPU
	other := benchmarks.JudgeEngine(&alt, benchmarks.EngineTargets())
	basis, otherBasis := "wall clock", "CPU time"
	if o.ByCPU {
		basis, otherBasis = otherBasis, basis
	}
	w("Throughput targets are judged by %s (`-cputime` switches); the %s column is the same ratio by %s.\n\n", basis, otherBasis, otherBasis)
	w("| target | measured | min–max | by %s | goal | |\n|---|--:|--:|--:|--:|---|\n", otherBasis)
	for i, v := range r.Verdicts {
		alt := ""
		if i < len(other) && v.Target.Cell != "" && other[i].Err == "" {
			alt = verdictValue(other[i]) + " " + verdictRange(other[i])
		}
		w("| %s | %s | %s | %s | %s | %s |\n", v.Target.Name, verdictValue(v), verdictRange(v), alt, verdictGoal(v.Target), verdictWord(v))
	}
	w("\n## Throughput, medians\n\nns/op is wall time per operation of all goroutines together (1e9 / ops/s), as `go test -bench` reports for RunParallel; " +
		"ops/CPU-s is operations per second of CPU time the whole process used meanwhile (its goroutines, GC, background work).\n\n")
	w("| cell | cache | ops/s (M) | min–max | ns/op | ops/CPU-s (M) | min–max |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Result.Throughput {
		for _, name := range c.Caches {
			s := c.Samples[name]
			m := benchmarks.Median(s)
			lo, hi := minMax(s)
			cs := c.CPUSamples[name]
			cm := benchmarks.Median(cs)
			clo, chi := minMax(cs)
			w("| %s | %s | %.1f | %.1f–%.1f | %s | %.1f | %.1f–%.1f |\n", c.Name, name, m/1e6, lo/1e6, hi/1e6, nsPerOp(m), cm/1e6, clo/1e6, chi/1e6)
		}
	}
	if len(r.Result.Memory) > 0 {
		w("\n## Memory\n\nLive heap after GC per entry, uint64 keys and values, capacity = entries: filled (what the targets judge), " +
			"and after as many new keys again, each evicting or refused (the cache running: what it sizes or keeps only once it evicts, " +
			"such as a frequency sketch, is counted; the unbounded xsync.Map has no such row).\n\n" +
			"| cache | entries | B/entry filled | B/entry after turnover | entries then |\n|---|--:|--:|--:|--:|\n")
		for _, m := range r.Result.Memory {
			turned, then := "", ""
			if m.TurnoverEntries > 0 {
				turned, then = fmt.Sprintf("%.1f", m.AfterTurnover), fmt.Sprint(m.TurnoverEntries)
			}
			w("| %s | %d | %.1f | %s | %s |\n", m.Cache, m.Entries, m.BytesPerEntry, turned, then)
		}
	}
	if len(r.Result.Allocs) > 0 {
		w("\n## Allocations per operation\n\nHeap allocations per operation over %d operations (the least of 3 tries), as a fraction. "+
			"Insert stores a new key into a full cache (it evicts, or admission refuses it), counted after a full turnover of such inserts.\n\n", o.AllocOps)
		w("| cache | keys | Get hit | update | insert |\n|---|---|--:|--:|--:|\n")
		for _, a := range r.Result.Allocs {
			w("| %s | %s | %.3f | %.3f | %.3f |\n", a.Cache, a.Keys, a.GetHit, a.SetExisting, a.SetNew)
		}
	}
	w("\nNot measured here: the hit-ratio target (`go run ./cmd/compare -matrix`).\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func nsPerOp(opsPerSec float64) string {
	if opsPerSec <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", 1e9/opsPerSec)
}

func verdictValue(v benchmarks.EngineVerdict) string {
	switch {
	case v.Err != "":
		return "—"
	case v.Target.Cell != "" || (v.Target.Mem && v.Target.Den != ""):
		if s := fmt.Sprintf("%.2f", v.Value); s == fmt.Sprintf("%.2f", v.Target.Goal) && v.Value != v.Target.Goal {
			return fmt.Sprintf("%.3f×", v.Value) // 0.969× fails 0.97×: show why
		}
		return fmt.Sprintf("%.2f×", v.Value)
	case v.Target.Mem:
		return fmt.Sprintf("%.1f B", v.Value)
	default:
		return fmt.Sprintf("%.3f", v.Value)
	}
}

func verdictRange(v benchmarks.EngineVerdict) string {
	if v.Err != "" || v.Target.Cell == "" {
		return ""
	}
	return fmt.Sprintf("%.2f–%.2f", v.Lo, v.Hi)
}

func verdictGoal(t benchmarks.EngineTarget) string {
	op := "≥"
	if t.AtMost {
		op = "≤"
	}
	switch {
	case t.Cell != "" || (t.Mem && t.Den != ""):
		return fmt.Sprintf("%s %.2f×", op, t.Goal)
	case t.Mem:
		return fmt.Sprintf("%s %.0f B", op, t.Goal)
	default:
		return fmt.Sprintf("%s %.0f", op, t.Goal)
	}
}

func verdictWord(v benchmarks.EngineVerdict) string {
	switch {
	case v.Err != "":
		return "FAIL (" + v.Err + ")"
	case v.Pass:
		return "PASS"
	default:
		return "FAIL"
	}
}
