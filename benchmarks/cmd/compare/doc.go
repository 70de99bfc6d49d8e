// Command compare measures hotcache against the other Go caches, side by
// side in one process, and writes the results: markdown tables (printed and
// saved as results.md), results.json, and PNG plots.
//
// Usage, inside the benchmarks module:
//
//	go run ./cmd/compare [-quick] [-out results] [-traces traces:traces/fetched:../../shared/traces] [-maxreq N] [-only throughput,hitratio,memory,allocs,ryw]
//
// Throughput runs pre-generated Zipf key streams (s = 0.99 and 1.01) over a
// key space of 64× the capacity (2^16), with reads = 100/90/75/50%, from
// GOMAXPROCS and 8×GOMAXPROCS goroutines, with uint64 and string keys, with
// and without a TTL (1 h, so nothing expires: the expiry path is what is
// measured). Within each cell every cache runs in turn, the order rotating
// between repetitions, and the median is reported with the min–max of the
// repetitions, so noise can be told from a difference.
//
// Hit ratio replays each trace single-threaded (Get; on a miss Set) with
// caches that work in the background made synchronous, at several fractions
// of the trace's footprint, next to an exact LRU and Belady's optimum.
// Traces (keys/*.keys.gz, arc/*.lis.gz) are searched in the -traces folders
// in order: by default traces (shipped in the repository), traces/fetched
// (what cmd/fetchtraces downloads) and ../../shared/traces. Each trace the
// run would replay that is found in none of them is named at the top of the
// report with the command that fetches it; if no folder exists, only the
// synthetic Zipf traces run.
//
// -cpuprofile writes a CPU profile (with -only throughput, it shows where
// each cache spends its time: go tool pprof -top -focus=hotcache FILE).
//
// -hrrounds N replays each cache N times per trace and capacity, each time
// on a new cache (with new hash seeds), and shows the median hit ratio with
// the min–max of the rounds; LRU and OPT are exact and run once.
//
// -merge keeps, from the results.json already in -out, the sections that
// -only leaves out, so one section can be re-run alone; -merge -only= only
// renders the saved results again.
//
// -maxreq truncates every trace, to trade fidelity for time.
//
// -matrix runs only issue 20's hit-ratio matrix and writes matrix.md and
// matrix.json to -out: every trace at 5% and 20% of its footprint (OLTP
// also at 500 and 2000), Zipf 0.9 and 1.2 over 10^6 keys at 4096 and 16384,
// and the scan+loop and phase-shifting streams (benchmarks.ScanLoop,
// benchmarks.PhaseShift) at 1000 and 4000, each cell replayed -seeds times
// (default 5) by hotcache's default policy and otter with new caches (new
// hash seeds), once by an exact LRU and by OPT. Each row says pass or FAIL
// against the goal: hotcache's median at least max(otter's median, LRU)
// minus the cell's margin, the larger of 0.5 points and the seed spread;
// the summary gives the cells that pass and the mean against otter's.
// -cells restricts it to streams whose name matches a regular expression,
// -reuse takes otter's, LRU's and OPT's numbers from an earlier
// matrix.json (to re-measure a policy change in half the time), and
// -combine renders several matrix.json files as one table:
//
//	go run ./cmd/compare -matrix -out results
//	go run ./cmd/compare -matrix -cells '^lirs-' -reuse results/matrix.json -out /tmp/m
//
// -engine runs only issue 22's engine targets and writes engine.md and
// engine.json to -out: hotcache's shard.Cache and its generated cache
// against otter v2 and xsync.Map, at GOMAXPROCS -procs (default 2) from 2
// goroutines, in -reps interleaved rounds (default 7; each round runs every
// cache once per cell, the order rotating) of -dur per cache and cell
// (default 200ms): uint64 and string keys, Zipf 1.01 at capacity 2^16,
// reads = 100 % and 50 %, and uint64 keys uniform over 4M at capacity 10^6,
// reads = 50 %; then bytes per entry at 10^6 uint64 entries and
// allocations per Get hit, update and insert. Each target is printed with
// its median pair ratio (hotcache over otter in the same round), the
// min–max of those ratios, its goal and PASS or FAIL, followed by the raw
// medians. -cputime judges throughput by operations per CPU-second of the
// process instead of per wall-clock second (both are shown); -checkout
// names the hotcache checkout whose commit the report records (engine.sh
// sets it when it points the module at another checkout); -render FILE
// measures nothing and judges the samples of a saved engine.json again:
//
//	go run ./cmd/compare -engine
//	./engine.sh ../../other-checkout -reps 9
//
// -quick runs a subset (s = 0.99, GOMAXPROCS goroutines, fewer traces,
// truncated) in under two minutes on two cores.
package main
