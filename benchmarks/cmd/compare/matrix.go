package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotcache/hotcache/benchmarks"
	"github.com/hotcache/hotcache/shard"
)

// The hit-ratio matrix (-matrix) is issue 20's goal, checked cell by cell:
// hotcache's default policy against otter v2 and an exact LRU, medians over
// -seeds runs (every run builds new caches, so new hash seeds), with
// Belady's optimum for scale.

// MatrixCell is one trace at one capacity.
type MatrixCell struct {
	Trace    string    `json:"trace"`
	Requests int       `json:"requests"`
	Unique   int       `json:"unique"`
	Capacity int       `json:"capacity"`
	Hotcache []float64 `json:"hotcache"` // hit ratio in percent, one per seed
	Otter    []float64 `json:"otter"`    // likewise
	LRU      float64   `json:"lru"`      // percent; deterministic
	OPT      float64   `json:"opt"`      // percent; deterministic
}

// Matrix is what -matrix saves as matrix.json.
type Matrix struct {
	Command string       `json:"command"`
	Date    string       `json:"date"`
	Seeds   int          `json:"seeds"`
	Cells   []MatrixCell `json:"cells"`
}

// verdict is a cell judged against the goal: the median of hotcache's seeds
// at least max(otter, LRU) − margin, where the margin is the larger of
// 0.5 pp and the cell's seed spread (the widest max−min of hotcache's and
// otter's seeds).
type verdict struct {
	hot, otter, best, margin float64
	pass                     bool
}

func judge(c MatrixCell) verdict {
	v := verdict{hot: benchmarks.Median(c.Hotcache), otter: benchmarks.Median(c.Otter)}
	v.best = max(v.otter, c.LRU)
	v.margin = max(0.5, spread(c.Hotcache), spread(c.Otter))
	v.pass = v.hot >= v.best-v.margin
	return v
}

func spread(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return slices.Max(xs) - slices.Min(xs)
}

// matrixStream is a stream and the capacities it runs at.
type matrixStream struct {
	name string
	load func() []uint64
	caps func(unique int) []int
}

func footprintCaps(unique int) []int {
	return []int{max(16, unique*5/100), max(16, unique*20/100)}
}

func fixedCaps(cs ...int) func(int) []int { return func(int) []int { return cs } }

// matrixStreams lists every stream of the matrix: each trace in dir at 5%
// and 20% of its footprint (OLTP also at 500 and 2000), Zipf 0.9 and 1.2
// over 10^6 keys at 4096 and 16384, and the scan+loop and phase-shifting
// streams at 1000 and 4000.
func matrixStreams(dir string) ([]matrixStream, error) {
	var out []matrixStream
	for _, s := range []float64{0.9, 1.2} {
		out = append(out, matrixStream{fmt.Sprintf("zipf-%v", s), func() []uint64 {
			ranks, err := benchmarks.Zipf(s, 1_000_000, 2_000_000, 2)
			check(err)
			return ranks
		}, fixedCaps(4096, 16384)})
	}
	out = append(out,
		matrixStream{"scan+loop", func() []uint64 { return benchmarks.ScanLoop(500_000, 1) }, fixedCaps(1000, 4000)},
		matrixStream{"phase-shift", func() []uint64 { return benchmarks.PhaseShift(4, 50_000, 1) }, fixedCaps(1000, 4000)},
	)
	files, err := benchmarks.TraceFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".keys.gz"), ".lis.gz")
		caps := footprintCaps
		if name == "OLTP" {
			caps = func(u int) []int { return append([]int{500, 2000}, footprintCaps(u)...) }
		}
		out = append(out, matrixStream{name, func() []uint64 {
			t, err := benchmarks.LoadTrace(f)
			check(err)
			return t.Keys
		}, caps})
	}
	return out, nil
}

// runMatrix replays every cell matching only (all if nil) seeds times with
// hotcache and otter, once with LRU and OPT. Peers' results are taken from
// reuse, when it holds the same cell with as many seeds, so that a policy
// change is re-measured in half the time.
func runMatrix(dir string, seeds, maxReq int, only *regexp.Regexp, reuse *Matrix) Matrix {
	streams, err := matrixStreams(dir)
	check(err)
	old := map[[2]any]MatrixCell{}
	if reuse != nil {
		for _, c := range reuse.Cells {
			if len(c.Otter) == seeds {
				old[[2]any{c.Trace, c.Capacity}] = c
			}
		}
	}
	var cells []MatrixCell
	for _, s := range streams {
		if only != nil && !only.MatchString(s.name) {
			continue
		}
		keys := s.load()
		if maxReq > 0 && len(keys) > maxReq {
			keys = keys[:maxReq]
		}
		unique := benchmarks.Unique(keys)
		var mu sync.Mutex
		jobs := make(chan func())
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for j := range jobs {
					j()
				}
			})
		}
		start := len(cells)
		for _, c := range s.caps(unique) {
			cells = append(cells, MatrixCell{Trace: s.name, Requests: len(keys), Unique: unique, Capacity: c})
		}
		for i := start; i < len(cells); i++ {
			cell := &cells[i]
			c := cell.Capacity
			ratio := func(hits int) float64 { return 100 * float64(hits) / float64(len(keys)) }
			if o, ok := old[[2]any{cell.Trace, c}]; ok && o.Requests == len(keys) {
				cell.Otter, cell.LRU, cell.OPT = o.Otter, o.LRU, o.OPT
			} else {
				jobs <- func() { r := ratio(benchmarks.LRUHits(keys, c)); mu.Lock(); cell.LRU = r; mu.Unlock() }
				jobs <- func() { r := ratio(benchmarks.OPTHits(keys, c)); mu.Lock(); cell.OPT = r; mu.Unlock() }
				for range seeds {
					jobs <- func() {
						r := ratio(replayOnce(benchmarks.OtterCache[uint64](), keys, c))
						mu.Lock()
						cell.Otter = append(cell.Otter, r)
						mu.Unlock()
					}
				}
			}
			for range seeds {
				jobs <- func() {
					r := ratio(replayOnce(matrixHotcache, keys, c))
					mu.Lock()
					cell.Hotcache = append(cell.Hotcache, r)
					mu.Unlock()
				}
			}
		}
		close(jobs)
		wg.Wait()
		for _, c := range cells[start:] {
			v := judge(c)
			log.Printf("matrix %s@%d: hotcache %.2f otter %.2f LRU %.2f OPT %.2f %s", c.Trace, c.Capacity, v.hot, v.otter, c.LRU, c.OPT, passWord(v.pass))
		}
	}
	return Matrix{Seeds: seeds, Cells: cells}
}

// matrixHotcache is the cache under test: shard.Cache with default options.
var matrixHotcache = benchmarks.Hotcache("hotcache", shard.Options[uint64, uint64]{})

func replayOnce(f benchmarks.Factory[uint64], keys []uint64, capacity int) int {
	c := f.New(benchmarks.Config{Capacity: capacity, Sync: true})
	defer c.Close()
	return benchmarks.Replay(c, keys)
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// matrixMarkdown renders the matrix: one row per cell with its verdict,
// then the summary against the goal.
func matrixMarkdown(m Matrix) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Hit-ratio matrix (issue 20)\n\n")
	fmt.Fprintf(&b, "`%s`, %s; hit ratios in %%, medians over %d seeds (new caches, new hash seeds, each run). "+
		"Goal per cell: hotcache ≥ max(otter, LRU) − margin, margin = max(0.5, seed spread of hotcache or otter). "+
		"Δ columns are hotcache's median minus the other's.\n\n", m.Command, m.Date, m.Seeds)
	b.WriteString("| trace | requests | capacity | hotcache | spread | otter | spread | LRU | OPT | Δ otter | Δ best | margin | goal |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var sumHot, sumOtter float64
	pass := 0
	type miss struct {
		name       string
		short, dOt float64
	}
	var misses []miss
	for _, c := range m.Cells {
		v := judge(c)
		sumHot += v.hot
		sumOtter += v.otter
		if v.pass {
			pass++
		} else {
			misses = append(misses, miss{fmt.Sprintf("%s@%d", c.Trace, c.Capacity), v.best - v.margin - v.hot, v.hot - v.otter})
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %+.2f | %+.2f | %.2f | %s |\n",
			c.Trace, c.Requests, c.Capacity, v.hot, spread(c.Hotcache), v.otter, spread(c.Otter), c.LRU, c.OPT,
			v.hot-v.otter, v.hot-v.best, v.margin, passWord(v.pass))
	}
	n := float64(max(len(m.Cells), 1))
	fmt.Fprintf(&b, "\n**%d of %d cells pass.** Mean over all cells: hotcache %.2f, otter %.2f (%+.2f pp; goal ≥ +1.00).\n",
		pass, len(m.Cells), sumHot/n, sumOtter/n, (sumHot-sumOtter)/n)
	if len(misses) > 0 {
		slices.SortFunc(misses, func(a, b miss) int { return cmp.Compare(b.short, a.short) })
		b.WriteString("\nCells that miss, worst first (pp short of the goal; Δ otter):\n\n")
		for _, x := range misses {
			fmt.Fprintf(&b, "- %s: %.2f short (%+.2f vs otter)\n", x.name, x.short, x.dOt)
		}
	}
	return b.String()
}

// combineMatrices reads the matrix.json files listed in files (comma
// separated) and returns their cells in order, for -combine: the parts of
// a matrix run separately (e.g. the long traces truncated with -maxreq)
// rendered as one table.
func combineMatrices(files string) Matrix {
	var m Matrix
	var cmds []string
	for f := range strings.SplitSeq(files, ",") {
		b, err := os.ReadFile(f)
		check(err)
		var part Matrix
		if err := json.Unmarshal(b, &part); err != nil {
			log.Fatalf("-combine: %s: %v", f, err)
		}
		if m.Seeds != 0 && part.Seeds != m.Seeds {
			log.Fatalf("-combine: %s has %d seeds, the others %d", f, part.Seeds, m.Seeds)
		}
		m.Seeds, m.Date = part.Seeds, part.Date
		m.Cells = append(m.Cells, part.Cells...)
		cmds = append(cmds, part.Command)
	}
	m.Command = strings.Join(cmds, "`; `")
	return m
}

// matrixMain runs -matrix and writes matrix.md and matrix.json to out.
func matrixMain(dir, out string, seeds, maxReq int, only, reuseFile, combine string) {
	var re *regexp.Regexp
	if only != "" {
		var err error
		re, err = regexp.Compile(only)
		if err != nil {
			log.Fatalf("-cells: %v", err)
		}
	}
	var reuse *Matrix
	if reuseFile != "" {
		b, err := os.ReadFile(reuseFile)
		check(err)
		reuse = new(Matrix)
		if err := json.Unmarshal(b, reuse); err != nil {
			log.Fatalf("-reuse: %s: %v", reuseFile, err)
		}
	}
	if seeds < 1 {
		log.Fatalf("-seeds must be at least 1, got %d", seeds)
	}
	var m Matrix
	if combine != "" {
		m = combineMatrices(combine)
	} else {
		m = runMatrix(dir, seeds, maxReq, re, reuse)
		m.Command = strings.TrimSpace("go run ./cmd/compare " + strings.Join(os.Args[1:], " "))
		m.Date = time.Now().UTC().Format(time.DateOnly)
	}
	md := matrixMarkdown(m)
	fmt.Print(md)
	check(os.MkdirAll(out, 0o755))
	check(os.WriteFile(filepath.Join(out, "matrix.md"), []byte(md), 0o644))
	j, err := json.MarshalIndent(m, "", " ")
	check(err)
	check(os.WriteFile(filepath.Join(out, "matrix.json"), append(j, '\n'), 0o644))
}
