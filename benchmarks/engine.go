package benchmarks

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// Issue 22's targets ("Engine v2"), measured side by side in one process:
// hotcache's generic shard.Cache, the generated cache, otter v2 and
// xsync.Map, in interleaved rounds. RunEngine measures, JudgeEngine compares
// the medians with EngineTargets.

// Names of the caches the engine targets compare (the Factory names).
const (
	EngineHotcache  = "hotcache"
	EngineGenerated = "hotcache/generated"
	EngineXsync     = "xsync.Map"
)

// EngineOptions are the conditions of an engine run. The zero value is not
// usable; start from DefaultEngineOptions.
type EngineOptions struct {
	// Rounds is the number of interleaved rounds: each runs every cache once
	// per cell, in an order that rotates from round to round.
	Rounds int `json:"rounds"`
	// Dur is how long each cache runs each cell in each round.
	Dur time.Duration `json:"dur_ns"`
	// Goroutines run every cell at once.
	Goroutines int `json:"goroutines"`
	// Capacity of the Zipf cells (2^16); the key space is 64× larger.
	Capacity int `json:"capacity"`
	// BigCapacity of the uniform cell (1M); keys uniform over 4× as many.
	BigCapacity int `json:"big_capacity"`
	// MemEntries are stored to measure bytes per entry (1M uint64 keys).
	MemEntries int `json:"mem_entries"`
	// AllocOps is the number of operations allocations are counted over.
	AllocOps int `json:"alloc_ops"`
	// ByCPU judges throughput by operations per CPU-second of the process
	// (CPUSamples) instead of per wall-clock second (Samples): on a
	// machine whose other load takes cores from the run, wall time
	// measures the scheduler, CPU time still the cache.
	ByCPU bool `json:"by_cpu"`
}

// DefaultEngineOptions are the conditions: 7 rounds, 2 goroutines,
// capacity 2^16, 1M entries; 200 ms per cache, cell and round.
func DefaultEngineOptions() EngineOptions {
	return EngineOptions{Rounds: 7, Dur: 200 * time.Millisecond, Goroutines: 2,
		Capacity: 1 << 16, BigCapacity: 1_000_000, MemEntries: 1_000_000, AllocOps: 10_000}
}

func (o EngineOptions) validate() error {
	if o.Rounds < 1 || o.Dur <= 0 || o.Goroutines < 1 || o.Capacity < 1 || o.BigCapacity < 1 || o.MemEntries < 0 || o.AllocOps < 0 {
		return fmt.Errorf("benchmarks: engine options need Rounds, Dur, Goroutines, Capacity, BigCapacity >= 1 and MemEntries, AllocOps >= 0; got %+v", o)
	}
	return nil
}

// EngineCell is one throughput cell: Samples holds, per cache name, the
// operations per second of each round, in round order, so that
// Samples[a][i]/Samples[b][i] is the ratio of a pair measured in the same
// round; CPUSamples likewise the operations per CPU-second the whole
// process used during the run (its goroutines, GC and background work),
// absent where the CPU time cannot be read.
type EngineCell struct {
	Name       string               `json:"name"` // e.g. "uint64 zipf reads=100%"
	Keys       string               `json:"keys"` // uint64 or string
	Dist       string               `json:"dist"` // "zipf 1.01" or "uniform"
	KeySpace   int                  `json:"key_space"`
	Capacity   int                  `json:"capacity"`
	ReadPct    int                  `json:"reads_pct"`
	Caches     []string             `json:"caches"` // in table order
	Samples    map[string][]float64 `json:"samples"`
	CPUSamples map[string][]float64 `json:"cpu_samples,omitempty"`
}

// Series returns Samples, or CPUSamples if byCPU.
func (c *EngineCell) Series(byCPU bool) map[string][]float64 {
	if byCPU {
		return c.CPUSamples
	}
	return c.Samples
}

// EngineMem is one cache's live heap per entry.
type EngineMem struct {
	Cache         string  `json:"cache"`
	Keys          string  `json:"keys"`
	Entries       int     `json:"entries"`
	BytesPerEntry float64 `json:"bytes_per_entry"`
	// AfterTurnover is BytesPerEntryAfterTurnover with as many keys again
	// (the cache full and running; the targets judge BytesPerEntry), and
	// TurnoverEntries the entries it then held.
	AfterTurnover   float64 `json:"bytes_per_entry_after_turnover,omitempty"`
	TurnoverEntries int     `json:"entries_after_turnover,omitempty"`
}

// EngineAllocs is one cache's heap allocations per operation, exact
// fractions (not truncated as testing.AllocsPerRun does).
type EngineAllocs struct {
	Cache       string  `json:"cache"`
	Keys        string  `json:"keys"`
	GetHit      float64 `json:"get_hit"`
	SetExisting float64 `json:"set_existing"` // an update of a present key
	SetNew      float64 `json:"set_new"`      // an insert into a full cache (it evicts)
}

// EngineResult is everything one engine run measured.
type EngineResult struct {
	Options    EngineOptions  `json:"options"`
	Throughput []EngineCell   `json:"throughput"`
	Memory     []EngineMem    `json:"memory,omitempty"`
	Allocs     []EngineAllocs `json:"allocs,omitempty"`
}

// Cell returns the cell named name, or nil.
func (r *EngineResult) Cell(name string) *EngineCell {
	for i := range r.Throughput {
		if r.Throughput[i].Name == name {
			return &r.Throughput[i]
		}
	}
	return nil
}

// Names of the engine's throughput cells.
const (
	CellUint64Read100   = "uint64 zipf reads=100%"
	CellUint64Read50    = "uint64 zipf reads=50%"
	CellStringRead100   = "string zipf reads=100%"
	CellStringRead50    = "string zipf reads=50%"
	CellUniform1MRead50 = "uint64 uniform 1M reads=50%"
)

// engineGroup is caches that share a stream and a build: each round builds
// and prefills each cache once and runs every read mix on it.
type engineGroup struct {
	run   func(round int, o EngineOptions, cells []*EngineCell)
	cells []*EngineCell
}

// engineZipf is the stream of the Zipf cells: s = 1.01 over 64× the
// capacity, scrambled; at capacity 2^16, 2^21 draws, the stream of the
// compare command's throughput section.
func engineZipf(capacity int) (Stream[uint64], error) {
	ranks, err := Zipf(1.01, 64*capacity, min(1<<21, max(1<<16, 32*capacity)), 1)
	if err != nil {
		return Stream[uint64]{}, err
	}
	return NewStream(Scramble(ranks)), nil
}

// engineUniform is the stream of the uniform cell: keys uniform over 4×
// the capacity, so a quarter of the accesses hit and most writes insert and
// evict; and a stream of the same distribution, drawn apart, to prefill the
// cache with (a run that started by reading the keys just written would hit
// more than a quarter of the time).
func engineUniform(capacity int) (run, prefill Stream[uint64]) {
	space := uint64(4 * capacity)
	draw := func(seed uint64, n int) Stream[uint64] {
		r := rand.New(rand.NewPCG(seed, seed^0x5eed))
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = r.Uint64N(space)
		}
		return NewStream(Scramble(keys))
	}
	// NewStream keeps a power of two: draw the next one up.
	return draw(3, 1<<bits.Len(uint(4*capacity))), draw(4, 1<<bits.Len(uint(2*capacity)))
}

func pick[K Key](names ...string) []Factory[K] {
	var fs []Factory[K]
	for _, f := range Caches[K]() {
		if slices.Contains(names, f.Name) {
			fs = append(fs, f)
		}
	}
	return fs
}

// engineRun returns a group's round: every cache in turn, the order
// rotated by the round, each built, prefilled with the first n positions of
// pre and run on s with each cell's read mix for o.Dur.
func engineRun[K Key](s, pre Stream[K], n int, fs []Factory[K], capacity int) func(int, EngineOptions, []*EngineCell) {
	return func(round int, o EngineOptions, cells []*EngineCell) {
		for j := range fs {
			f := fs[(j+round)%len(fs)]
			runtime.GC()
			c := f.New(Config{Capacity: capacity})
			Prefill(c, pre, n)
			for _, cell := range cells {
				cpu0, ok0 := processCPU()
				ops, elapsed := Run(c, s, cell.ReadPct, o.Goroutines, o.Dur)
				cpu1, ok1 := processCPU()
				cell.Samples[f.Name] = append(cell.Samples[f.Name], float64(ops)/elapsed.Seconds())
				if ok0 && ok1 && cpu1 > cpu0 {
					cell.CPUSamples[f.Name] = append(cell.CPUSamples[f.Name], float64(ops)/(cpu1-cpu0).Seconds())
				}
			}
			c.Close()
		}
	}
}

func newCell(name, keys, dist string, space, capacity, reads int, caches []string) *EngineCell {
	return &EngineCell{Name: name, Keys: keys, Dist: dist, KeySpace: space, Capacity: capacity, ReadPct: reads,
		Caches: caches, Samples: map[string][]float64{}, CPUSamples: map[string][]float64{}}
}

// RunEngineThroughput runs the throughput cells in o.Rounds interleaved
// rounds: every round runs each group (uint64 Zipf, string Zipf, uint64
// uniform 1M) with each of its caches once, the caches' order rotating.
// progress, if not nil, is called after each round.
func RunEngineThroughput(o EngineOptions, progress func(round int)) ([]EngineCell, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	u, err := engineZipf(o.Capacity)
	if err != nil {
		return nil, err
	}
	str := NewStream(StringKeys(u.Keys))
	big, bigPre := engineUniform(o.BigCapacity)
	all := []string{EngineHotcache, EngineGenerated, Otter, EngineXsync}
	bounded := []string{EngineHotcache, EngineGenerated, Otter}
	const zipf = "zipf 1.01"
	groups := []engineGroup{
		{engineRun(u, u, 2*o.Capacity, pick[uint64](all...), o.Capacity), []*EngineCell{
			newCell(CellUint64Read100, "uint64", zipf, 64*o.Capacity, o.Capacity, 100, all),
			newCell(CellUint64Read50, "uint64", zipf, 64*o.Capacity, o.Capacity, 50, all)}},
		{engineRun(str, str, 2*o.Capacity, pick[string](all...), o.Capacity), []*EngineCell{
			newCell(CellStringRead100, "string", zipf, 64*o.Capacity, o.Capacity, 100, all),
			newCell(CellStringRead50, "string", zipf, 64*o.Capacity, o.Capacity, 50, all)}},
		// xsync.Map is unbounded: at 1M entries and uniform keys it would
		// grow to the whole key space, so it is not a row here.
		// 1.25M uniform draws over 4M keys are 1.07M distinct keys: the
		// cache starts full, in less time than 2× would take.
		{engineRun(big, bigPre, o.BigCapacity+o.BigCapacity/4, pick[uint64](bounded...), o.BigCapacity), []*EngineCell{
			newCell(CellUniform1MRead50, "uint64", "uniform", 4*o.BigCapacity, o.BigCapacity, 50, bounded)}},
	}
	for round := range o.Rounds {
		for _, g := range groups {
			g.run(round, o, g.cells)
		}
		if progress != nil {
			progress(round)
		}
	}
	var cells []EngineCell
	for _, g := range groups {
		for _, c := range g.cells {
			cells = append(cells, *c)
		}
	}
	return cells, nil
}

// RunEngineMemory measures the live heap per entry of each cache holding
// o.MemEntries distinct uint64 keys (capacity = o.MemEntries), and of the
// bounded ones after as many new keys again (after turnover).
func RunEngineMemory(o EngineOptions) []EngineMem {
	keys := make([]uint64, 2*o.MemEntries)
	for i := range keys {
		keys[i] = mix(uint64(i))
	}
	var rows []EngineMem
	for _, f := range pick[uint64](EngineHotcache, EngineGenerated, Otter, EngineXsync) {
		b, n := BytesPerEntry(f, keys[:o.MemEntries])
		m := EngineMem{Cache: f.Name, Keys: "uint64", Entries: n, BytesPerEntry: b}
		if f.Bounded {
			m.AfterTurnover, m.TurnoverEntries = BytesPerEntryAfterTurnover(f, keys)
		}
		rows = append(rows, m)
	}
	return rows
}

// RunEngineAllocs counts allocations per Get hit, update and insert of
// hotcache's generic and generated caches, with uint64 and string keys.
func RunEngineAllocs(o EngineOptions) []EngineAllocs {
	ukeys := make([]uint64, 7*o.AllocOps+2)
	for i := range ukeys {
		ukeys[i] = mix(uint64(i))
	}
	skeys := StringKeys(ukeys)
	var rows []EngineAllocs
	for _, f := range pick[uint64](EngineHotcache, EngineGenerated, Otter) {
		rows = append(rows, engineAllocs(f, "uint64", ukeys, o.AllocOps))
	}
	for _, f := range pick[string](EngineHotcache, EngineGenerated, Otter) {
		rows = append(rows, engineAllocs(f, "string", skeys, o.AllocOps))
	}
	return rows
}

// engineAllocs fills a cache of capacity 2×ops with the first keys of ks,
// then counts allocations over ops Gets of one present key, ops updates of
// it, and ops inserts of keys not yet stored (the cache is full, so each
// evicts or is refused by admission), after 2×ops such inserts uncounted:
// a full turnover, so that what a cache sets up once, at its first
// evictions (a frequency sketch; overflow buckets for chains longer than
// any they had while filling), is not counted per insert of a running
// cache; ks needs 7×ops+2 keys. Each count is the least of three tries, as
// allocations by other goroutines only add.
func engineAllocs[K Key](f Factory[K], keys string, ks []K, ops int) EngineAllocs {
	capacity := 2 * ops
	c := f.New(Config{Capacity: capacity, Sync: true})
	defer c.Close()
	for i, k := range ks[:capacity] {
		c.Set(k, uint64(i))
	}
	hit := ks[0]
	for _, k := range ks[:capacity] {
		if _, ok := c.Get(k); ok {
			hit = k
			break
		}
	}
	v := uint64(0)
	next := capacity
	r := EngineAllocs{Cache: f.Name, Keys: keys}
	r.GetHit = allocsPerOp(ops, func() { c.Get(hit) })
	r.SetExisting = allocsPerOp(ops, func() { v++; c.Set(hit, v) })
	for range capacity { // the turnover
		c.Set(ks[next], 0)
		next++
	}
	r.SetNew = allocsPerOp(ops, func() { c.Set(ks[next], 0); next++ })
	return r
}

// allocsPerOp returns the fewest heap allocations per call of op over
// three runs of ops calls (after one call to warm up), with GOMAXPROCS 1 as
// testing.AllocsPerRun does, as a fraction rather than truncated.
func allocsPerOp(ops int, op func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	op()
	best := -1.0
	var m runtime.MemStats
	for range 3 {
		runtime.ReadMemStats(&m)
		before := m.Mallocs
		for range ops {
			op()
		}
		runtime.ReadMemStats(&m)
		if a := float64(m.Mallocs-before) / float64(ops); best < 0 || a < best {
			best = a
		}
	}
	return best
}
