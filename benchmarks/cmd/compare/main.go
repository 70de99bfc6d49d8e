package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotcache/hotcache/benchmarks"
)

const capacity = 1 << 16

// plan is what one run measures.
type plan struct {
	zipfs      []float64
	reads      []int
	goroutines []int
	variants   []variant
	dur        time.Duration
	reps       int

	hrZipfs     []float64
	hrRequests  int
	hrFractions []float64
	hrTraces    []string // trace names to run; nil means all
	hrMax       int      // requests per trace, 0 = all
	hrRounds    int      // replays per cache and capacity, each with a new cache (new hash seeds)

	memEntries int
	allocRuns  int
	rywSets    int
}

// variant is a key type and whether entries have a TTL.
type variant struct {
	Keys string `json:"keys"`
	TTL  bool   `json:"ttl"`
}

func (v variant) String() string {
	if v.TTL {
		return v.Keys + " keys, TTL"
	}
	return v.Keys + " keys"
}

func fullPlan() plan {
	p := plan{
		zipfs:       []float64{0.99, 1.01},
		reads:       []int{100, 90, 75, 50},
		variants:    []variant{{"uint64", false}, {"string", false}, {"uint64", true}, {"string", true}},
		dur:         100 * time.Millisecond,
		reps:        3,
		hrZipfs:     []float64{0.9, 0.99, 1.2},
		hrRequests:  2_000_000,
		hrFractions: []float64{0.01, 0.1, 0.5},
		memEntries:  1_000_000,
		allocRuns:   1000,
		rywSets:     100_000,
	}
	g := runtime.GOMAXPROCS(0)
	p.goroutines = []int{g, 8 * g}
	return p
}

func quickPlan() plan {
	p := fullPlan()
	p.zipfs = []float64{0.99}
	p.reads = []int{100, 75, 50}
	p.goroutines = p.goroutines[:1]
	p.variants = []variant{{"uint64", false}, {"string", false}, {"uint64", true}}
	p.dur = 50 * time.Millisecond
	p.hrZipfs = []float64{0.99}
	p.hrRequests = 200_000
	p.hrFractions = []float64{0.05, 0.2, 0.5}
	p.hrTraces = []string{"OLTP", "P3", "lirs-loop", "lirs-2_pools", "cache2k-web12", "cache2k-orm-busy"}
	p.hrMax = 200_000
	p.memEntries = 200_000
	return p
}

// Results is everything one run measured; it is saved as results.json.
type Results struct {
	Commands   []string        `json:"commands"` // more than one when sections were merged
	GoVersion  string          `json:"go_version"`
	Platform   string          `json:"platform"`
	CPU        string          `json:"cpu"`
	GOMAXPROCS int             `json:"gomaxprocs"`
	Date       string          `json:"date"`
	Quick      bool            `json:"quick"`
	Throughput []ThroughputRow `json:"throughput,omitempty"`
	HitRatio   []HitRow        `json:"hit_ratio,omitempty"`
	Memory     []MemRow        `json:"memory,omitempty"`
	Allocs     []AllocRow      `json:"allocs,omitempty"`
	RYW        []RYWRow        `json:"read_your_writes,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
}

// ThroughputRow is one cache in one cell.
type ThroughputRow struct {
	Zipf       float64   `json:"zipf"`
	Variant    variant   `json:"variant"`
	Goroutines int       `json:"goroutines"`
	ReadPct    int       `json:"reads_pct"`
	Cache      string    `json:"cache"`
	OpsPerSec  float64   `json:"ops_per_sec"` // median of Samples
	Samples    []float64 `json:"samples"`
}

// HitRow is one cache on one trace at one capacity.
type HitRow struct {
	Trace    string    `json:"trace"`
	Requests int       `json:"requests"`
	Unique   int       `json:"unique"`
	Capacity int       `json:"capacity"`
	Cache    string    `json:"cache"`
	HitRatio float64   `json:"hit_ratio"`         // median of Samples
	Samples  []float64 `json:"samples,omitempty"` // one per round (-hrrounds), when more than one
}

// MemRow is one cache's memory per entry.
type MemRow struct {
	Keys          string  `json:"keys"`
	Cache         string  `json:"cache"`
	Entries       int     `json:"entries"`
	BytesPerEntry float64 `json:"bytes_per_entry"`
}

// AllocRow is one cache's allocations per operation.
type AllocRow struct {
	Cache string `json:"cache"`
	benchmarks.AllocReport
}

// RYWRow is one cache's read-your-writes failures.
type RYWRow struct {
	Cache        string `json:"cache"`
	Sets         int    `json:"sets"`
	Failures     int    `json:"failures"`      // Set, then Get at once
	FailuresSync int    `json:"failures_sync"` // the same with Config.Sync (Wait after Set)
	Dropped      uint64 `json:"dropped_sets"`  // Sets the cache reported refused
}

func main() {
	var (
		quick  = flag.Bool("quick", false, "run a subset that finishes in under two minutes")
		out    = flag.String("out", "", "folder for results.md, results.json and the PNG plots (default results, or results-quick with -quick, so a quick run never overwrites the committed results)")
		traces = flag.String("traces", benchmarks.DefaultTraceDirs, "trace folders (keys/*.keys.gz, arc/*.lis.gz), searched in order, separated by "+string(os.PathListSeparator)+"; traces/ holds the shipped ones, traces/fetched what go run ./cmd/fetchtraces downloads")
		reps   = flag.Int("reps", 0, "throughput repetitions per cell (0: 3)")
		dur    = flag.Duration("dur", 0, "throughput run per cache, cell and repetition (0: 100ms; -quick: 50ms)")
		maxReq = flag.Int("maxreq", 0, "replay at most this many requests of each trace (0: whole traces; -quick: 200000)")
		rounds = flag.Int("hrrounds", 1, "hit-ratio replays per cache and capacity, each with a new cache (new hash seeds); with more than one, the tables show the min–max")
		prof   = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
		merge  = flag.Bool("merge", false, "keep the sections not run (see -only) from the results.json already in -out")
		only   = flag.String("only", "throughput,hitratio,memory,allocs,ryw", "comma-separated sections to run")

		matrix  = flag.Bool("matrix", false, "run only the hit-ratio matrix of issue 20 (hotcache vs otter vs LRU, with OPT, pass/fail per cell) and write matrix.md and matrix.json to -out")
		seeds   = flag.Int("seeds", 5, "-matrix: runs per cell of hotcache and otter, each with new caches (new hash seeds)")
		cells   = flag.String("cells", "", "-matrix: run only the streams whose name matches this regular expression")
		reuse   = flag.String("reuse", "", "-matrix: take otter's, LRU's and OPT's results from this matrix.json where it has the same cell and seed count")
		combine = flag.String("combine", "", "-matrix: replay nothing; render the cells of these matrix.json files (comma-separated) as one matrix")

		engine = flag.Bool("engine", false, "run only issue 22's engine targets (hotcache and its generated cache vs otter and xsync.Map, interleaved rounds, PASS/FAIL per target) and write engine.md and engine.json to -out; -reps sets the rounds (0: 7), -dur the run per cache, cell and round (0: 200ms)")
		procs  = flag.Int("procs", 2, "-engine: GOMAXPROCS for the run (the issue's condition is 2; 0 leaves it)")
		byCPU  = flag.Bool("cputime", false, "-engine: judge throughput by operations per CPU-second of the process rather than per wall-clock second (for a machine whose other load takes cores from the run; both are reported)")
		render = flag.String("render", "", "-engine: measure nothing; judge the samples of this engine.json again and write engine.md and engine.json to -out")
		srcDir = flag.String("checkout", "..", "-engine: the hotcache checkout measured, whose commit the report names (engine.sh sets it with the replace)")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("compare: ")
	if *engine {
		if *out == "" {
			*out = "results"
		}
		o := benchmarks.DefaultEngineOptions()
		if *reps > 0 {
			o.Rounds = *reps
		}
		if *dur > 0 {
			o.Dur = *dur
		}
		o.ByCPU = *byCPU
		if *render != "" {
			check(engineRender(*render, *out))
			return
		}
		engineMain(o, *procs, *out, *srcDir)
		return
	}
	if *matrix {
		if *out == "" {
			*out = "results"
		}
		matrixMain(*traces, *out, *seeds, *maxReq, *cells, *reuse, *combine)
		return
	}
	p := fullPlan()
	if *quick {
		p = quickPlan()
	}
	if *out == "" {
		*out = "results"
		if *quick {
			*out = "results-quick"
		}
	}
	if *reps > 0 {
		p.reps = *reps
	}
	if *dur > 0 {
		p.dur = *dur
	}
	p.hrRounds = max(1, *rounds)
	if *maxReq > 0 {
		p.hrMax = *maxReq
	}
	run := map[string]bool{}
	for s := range strings.SplitSeq(*only, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "throughput", "hitratio", "memory", "allocs", "ryw":
			run[s] = true
		default:
			log.Fatalf("-only: unknown section %q (want throughput, hitratio, memory, allocs, ryw)", s)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	r := &Results{
		Commands:   []string{strings.TrimSpace("go run ./cmd/compare " + strings.Join(os.Args[1:], " "))},
		GoVersion:  runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		CPU:        cpuName(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Date:       time.Now().UTC().Format(time.DateOnly),
		Quick:      *quick,
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if run["throughput"] {
		r.Throughput = throughput(p)
	}
	if run["hitratio"] {
		r.HitRatio, r.Notes = hitRatios(p, *traces)
	}
	if run["memory"] {
		r.Memory = memory(p)
	}
	if run["allocs"] {
		r.Allocs = allocs(p)
	}
	if run["ryw"] {
		r.RYW = readYourWrites(p)
	}
	log.Printf("measured in %v", time.Since(start).Round(time.Second))
	if *merge {
		check(mergeOld(r, filepath.Join(*out, "results.json"), run))
	}

	md := markdown(r)
	fmt.Print(md)
	check(os.WriteFile(filepath.Join(*out, "results.md"), []byte(md), 0o644))
	j, err := json.MarshalIndent(r, "", "  ")
	check(err)
	check(os.WriteFile(filepath.Join(*out, "results.json"), append(j, '\n'), 0o644))
	check(plots(r, *out))
	if *prof != "" {
		pprof.StopCPUProfile()
	}
}

// mergeOld copies into r the sections that this run skipped from the
// results saved in file, and records both commands.
func mergeOld(r *Results, file string, ran map[string]bool) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("-merge: %w", err)
	}
	var old Results
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("-merge: %s: %w", file, err)
	}
	if !ran["throughput"] {
		r.Throughput = old.Throughput
	}
	if !ran["hitratio"] {
		r.HitRatio, r.Notes = old.HitRatio, old.Notes
	}
	if !ran["memory"] {
		r.Memory = old.Memory
	}
	if !ran["allocs"] {
		r.Allocs = old.Allocs
	}
	if !ran["ryw"] {
		r.RYW = old.RYW
	}
	if len(ran) == 0 { // re-rendering only
		r.Commands = old.Commands
		r.Date = old.Date
	} else {
		r.Commands = append(old.Commands, r.Commands...)
	}
	return nil
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// cpuName reads the CPU model on Linux, or returns GOARCH.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
			}
		}
	}
	return runtime.GOARCH
}

// throughput runs every cell. Within a cell group (zipf, variant,
// goroutines) each repetition builds and prefills each cache in turn, in an
// order rotated per repetition, and runs every read mix on it.
func throughput(p plan) []ThroughputRow {
	var rows []ThroughputRow
	for _, s := range p.zipfs {
		ranks, err := benchmarks.Zipf(s, 64*capacity, 1<<21, 1)
		check(err)
		u := benchmarks.NewStream(benchmarks.Scramble(ranks))
		var str benchmarks.Stream[string]
		for _, v := range p.variants {
			if v.Keys == "string" && str.Keys == nil {
				str = benchmarks.NewStream(benchmarks.StringKeys(u.Keys))
			}
			for _, g := range p.goroutines {
				var cell []ThroughputRow
				if v.Keys == "uint64" {
					cell = runCell(p, u, benchmarks.Caches[uint64](), v, g)
				} else {
					cell = runCell(p, str, benchmarks.Caches[string](), v, g)
				}
				for i := range cell {
					cell[i].Zipf = s
				}
				rows = append(rows, cell...)
				log.Printf("throughput s=%v %v goroutines=%d done", s, v, g)
			}
		}
	}
	return rows
}

func runCell[K benchmarks.Key](p plan, s benchmarks.Stream[K], all []benchmarks.Factory[K], v variant, g int) []ThroughputRow {
	cfg := benchmarks.Config{Capacity: capacity}
	if v.TTL {
		cfg.TTL = time.Hour
	}
	var fs []benchmarks.Factory[K]
	for _, f := range all {
		if !v.TTL || f.TTL {
			fs = append(fs, f)
		}
	}
	samples := make([][][]float64, len(fs)) // [cache][read mix][rep]
	for i := range samples {
		samples[i] = make([][]float64, len(p.reads))
	}
	for rep := range p.reps {
		for j := range fs {
			i := (j + rep) % len(fs)
			runtime.GC()
			c := fs[i].New(cfg)
			benchmarks.Prefill(c, s, 2*capacity)
			for m, reads := range p.reads {
				samples[i][m] = append(samples[i][m], benchmarks.Throughput(c, s, reads, g, p.dur))
			}
			c.Close()
		}
	}
	var rows []ThroughputRow
	for m, reads := range p.reads {
		for i, f := range fs {
			rows = append(rows, ThroughputRow{Variant: v, Goroutines: g, ReadPct: reads, Cache: f.Name,
				OpsPerSec: benchmarks.Median(samples[i][m]), Samples: samples[i][m]})
		}
	}
	return rows
}

// hitRatioCaches are the caches replayed: the bounded ones, less those
// whose policy is exact LRU (golang-lru, its expirable variant, ttlcache:
// TestLRUCachesAreExactLRU shows they equal the LRU reference row).
func hitRatioCaches() []benchmarks.Factory[uint64] {
	var fs []benchmarks.Factory[uint64]
	for _, f := range benchmarks.Caches[uint64]() {
		switch f.Name {
		case "golang-lru", "golang-lru/expirable", "ttlcache":
			continue
		}
		if f.Bounded {
			fs = append(fs, f)
		}
	}
	return fs
}

// hitRatios replays the synthetic and the trace streams; jobs run on
// GOMAXPROCS workers, each replay single-threaded.
func hitRatios(p plan, dir string) ([]HitRow, []string) {
	var notes []string
	var streams []benchmarks.Trace
	for _, s := range p.hrZipfs {
		ranks, err := benchmarks.Zipf(s, 1_000_000, p.hrRequests, 2)
		check(err)
		for i := range ranks {
			ranks[i]++
		}
		streams = append(streams, benchmarks.Trace{Name: fmt.Sprintf("zipf-%v", s), Keys: ranks})
	}
	files, err := benchmarks.TraceFiles(dir)
	if err != nil {
		msg := fmt.Sprintf("trace folder %s not found: hit ratios over traces skipped, synthetic Zipf only (%v)", dir, err)
		log.Print(msg)
		notes = append(notes, msg)
	}
	notes = append(notes, missingTraceNotes(p.hrTraces, files)...)
	var rows []HitRow
	var mu sync.Mutex
	replay := func(t benchmarks.Trace) {
		rows = append(rows, hitRatio(p, t, &mu)...)
		log.Printf("hit ratio %s (%d requests) done", t.Name, len(t.Keys))
	}
	for _, t := range streams {
		replay(t)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".keys.gz"), ".lis.gz")
		if p.hrTraces != nil && !slices.Contains(p.hrTraces, name) {
			continue
		}
		t, err := benchmarks.LoadTrace(f)
		check(err)
		if p.hrMax > 0 && len(t.Keys) > p.hrMax {
			t.Keys = t.Keys[:p.hrMax]
		}
		replay(t)
	}
	return rows, notes
}

func hitRatio(p plan, t benchmarks.Trace, mu *sync.Mutex) []HitRow {
	unique := benchmarks.Unique(t.Keys)
	var caps []int
	for _, f := range p.hrFractions {
		caps = append(caps, max(16, int(f*float64(unique))))
	}
	var rows []HitRow
	add := func(capacity int, cache string, hits ...int) {
		mu.Lock()
		rows = append(rows, hitRow(HitRow{Trace: t.Name, Requests: len(t.Keys), Unique: unique, Capacity: capacity,
			Cache: cache}, hits))
		mu.Unlock()
	}
	jobs := make(chan func())
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j()
			}
		}()
	}
	for _, c := range caps {
		jobs <- func() { add(c, "LRU", benchmarks.LRUHits(t.Keys, c)) }
		jobs <- func() { add(c, "OPT", benchmarks.OPTHits(t.Keys, c)) }
		for _, f := range hitRatioCaches() {
			jobs <- func() {
				add(c, f.Name, replayRounds(f, t.Keys, c, p.hrRounds)...)
			}
		}
	}
	close(jobs)
	wg.Wait()
	order := []string{"OPT"}
	for _, f := range hitRatioCaches() {
		order = append(order, f.Name)
	}
	order = append(order, "LRU")
	slices.SortFunc(rows, func(a, b HitRow) int {
		return cmp.Or(cmp.Compare(a.Capacity, b.Capacity),
			cmp.Compare(slices.Index(order, a.Cache), slices.Index(order, b.Cache)))
	})
	return rows
}

func memory(p plan) []MemRow {
	var rows []MemRow
	ukeys := make([]uint64, p.memEntries)
	for i := range ukeys {
		ukeys[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	for _, f := range benchmarks.Caches[uint64]() {
		b, n := benchmarks.BytesPerEntry(f, ukeys)
		rows = append(rows, MemRow{Keys: "uint64", Cache: f.Name, Entries: n, BytesPerEntry: b})
	}
	skeys := benchmarks.StringKeys(ukeys)
	for _, f := range benchmarks.Caches[string]() {
		b, n := benchmarks.BytesPerEntry(f, skeys)
		rows = append(rows, MemRow{Keys: "string", Cache: f.Name, Entries: n, BytesPerEntry: b})
	}
	log.Printf("memory done")
	return rows
}

func allocs(p plan) []AllocRow {
	keys := make([]uint64, 4*p.allocRuns)
	for i := range keys {
		keys[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	var rows []AllocRow
	for _, f := range benchmarks.Caches[uint64]() {
		a, err := benchmarks.Allocs(f, keys, p.allocRuns)
		check(err)
		rows = append(rows, AllocRow{Cache: f.Name, AllocReport: a})
	}
	log.Printf("allocs done")
	return rows
}

func readYourWrites(p plan) []RYWRow {
	ranks, err := benchmarks.Zipf(0.99, 64*capacity, p.rywSets, 3)
	check(err)
	keys := benchmarks.Scramble(ranks)
	var rows []RYWRow
	for _, f := range benchmarks.Caches[uint64]() {
		c := f.New(benchmarks.Config{Capacity: capacity})
		row := RYWRow{Cache: f.Name, Sets: len(keys), Failures: benchmarks.ReadYourWrites(c, keys)}
		if d, ok := c.(benchmarks.Dropper); ok {
			row.Dropped = d.Dropped()
		}
		c.Close()
		c = f.New(benchmarks.Config{Capacity: capacity, Sync: true})
		row.FailuresSync = benchmarks.ReadYourWrites(c, keys)
		c.Close()
		rows = append(rows, row)
	}
	log.Printf("read-your-writes done")
	return rows
}
