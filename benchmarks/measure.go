package benchmarks

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Stream is a pre-generated workload: a key and an operation draw per
// position. Its length is a power of two.
type Stream[K Key] struct {
	Keys []K
	Ops  []uint8 // uniform in [0, 100): the position is a Get when Ops < reads%
}

// Do runs the operation at position i (wrapped to the stream's length) on
// c: a Get if its draw is below readPct, else a Set of the position.
func (s Stream[K]) Do(c Cache[K], i int, readPct uint8) {
	p := i & (len(s.Keys) - 1)
	if s.Ops[p] < readPct {
		c.Get(s.Keys[p])
	} else {
		c.Set(s.Keys[p], uint64(i))
	}
}

// NewStream pairs keys (truncated to a power of two) with deterministic
// operation draws.
func NewStream[K Key](keys []K) Stream[K] {
	n := 1 << (bits.Len(uint(len(keys))) - 1)
	s := Stream[K]{Keys: keys[:n], Ops: make([]uint8, n)}
	for i := range s.Ops {
		s.Ops[i] = uint8(mix(uint64(i)) % 100)
	}
	return s
}

// Prefill writes the stream's first n positions, so that a bounded cache
// starts the run full and holding popular keys.
func Prefill[K Key](c Cache[K], s Stream[K], n int) {
	for i := range min(n, len(s.Keys)) {
		c.Set(s.Keys[i], uint64(i))
	}
}

// Throughput runs the stream on c from goroutines goroutines for about d,
// each starting at its own offset, and returns operations per second. A
// position is a Get if its draw is below readPct, else a Set.
func Throughput[K Key](c Cache[K], s Stream[K], readPct, goroutines int, d time.Duration) float64 {
	ops, elapsed := Run(c, s, readPct, goroutines, d)
	return float64(ops) / elapsed.Seconds()
}

// Run is [Throughput] returning the operations run and the wall time they
// took (from the start signal until every goroutine stopped).
func Run[K Key](c Cache[K], s Stream[K], readPct, goroutines int, d time.Duration) (ops uint64, elapsed time.Duration) {
	var (
		stop  atomic.Bool
		total atomic.Uint64
		wg    sync.WaitGroup
		begin = make(chan struct{})
		rp    = uint8(readPct)
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := g * len(s.Keys) / goroutines
			n := 0
			<-begin
			for { // at least one batch, so a run on a busy machine never counts 0
				for range 256 {
					s.Do(c, i, rp)
					i++
				}
				n += 256
				if stop.Load() {
					break
				}
			}
			total.Add(uint64(n))
		}()
	}
	start := time.Now()
	close(begin)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return total.Load(), time.Since(start)
}

// BytesPerEntry builds a cache of capacity len(keys) with f, stores every
// key (Config.Sync, so that nothing is left in buffers), and returns the
// growth of the live heap after GC divided by the number of keys the cache
// then holds, and that number. keys must be distinct and allocated before
// the call, so their own memory is not counted (string headers stored in
// the cache are).
func BytesPerEntry[K Key](f Factory[K], keys []K) (float64, int) {
	return bytesPerEntry(f, len(keys), keys)
}

// BytesPerEntryAfterTurnover is BytesPerEntry of a cache of capacity
// len(keys)/2 that was filled with the first half of keys and then given
// the second half, each a new key that evicts (or that admission refuses):
// the cache as it runs, with whatever it sizes or keeps only once it
// evicts (a frequency sketch, ghosts, spare buckets). A bounded cache
// holds at most len(keys)/2 of them; an unbounded one holds all.
func BytesPerEntryAfterTurnover[K Key](f Factory[K], keys []K) (float64, int) {
	return bytesPerEntry(f, len(keys)/2, keys)
}

func bytesPerEntry[K Key](f Factory[K], capacity int, keys []K) (float64, int) {
	before := liveHeap()
	c := f.New(Config{Capacity: capacity, Sync: true})
	for i, k := range keys {
		c.Set(k, uint64(i))
	}
	after := liveHeap()
	stored := 0
	for _, k := range keys {
		if _, ok := c.Get(k); ok {
			stored++
		}
	}
	c.Close()
	if stored == 0 {
		return 0, 0
	}
	return float64(int64(after)-int64(before)) / float64(stored), stored
}

// liveHeap collects garbage until the heap stops shrinking (cleanups that
// runtime.AddCleanup queued, e.g. a previous cache's, free more on the next
// cycle) and returns HeapAlloc.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	for range 10 {
		prev := m.HeapAlloc
		runtime.Gosched()
		runtime.GC()
		runtime.ReadMemStats(&m)
		if m.HeapAlloc >= prev {
			break
		}
	}
	return m.HeapAlloc
}

// AllocReport is heap allocations per operation.
type AllocReport struct {
	GetHit      float64 `json:"get_hit"`
	SetExisting float64 `json:"set_existing"`
	SetNew      float64 `json:"set_new"`
}

// Allocs measures allocations per Get hit, per Set of a present key, and
// per Set of a new key into a full cache (which evicts), with
// testing.AllocsPerRun. keys must be distinct; the cache holds half of them
// and the other half are the new keys, so len(keys) must exceed 2×runs+2.
func Allocs[K Key](f Factory[K], keys []K, runs int) (AllocReport, error) {
	capacity := len(keys) / 2
	if capacity < runs+1 {
		return AllocReport{}, fmt.Errorf("benchmarks: Allocs needs more than %d keys for %d runs, got %d", 2*runs+2, runs, len(keys))
	}
	// Sync: ristretto applies Sets in the background, and without Wait a
	// busy machine can leave every Get below a miss.
	c := f.New(Config{Capacity: capacity, Sync: true})
	defer c.Close()
	for i, k := range keys[:capacity] {
		c.Set(k, uint64(i))
	}
	hit := -1
	for i, k := range keys[:capacity] {
		if _, ok := c.Get(k); ok {
			hit = i
			break
		}
	}
	if hit < 0 {
		return AllocReport{}, fmt.Errorf("benchmarks: Allocs: %d keys stored, none found", capacity)
	}
	k := keys[hit]
	var r AllocReport
	r.GetHit = testing.AllocsPerRun(runs, func() { c.Get(k) })
	v := uint64(0)
	r.SetExisting = testing.AllocsPerRun(runs, func() { v++; c.Set(k, v) })
	next := capacity
	r.SetNew = testing.AllocsPerRun(runs, func() { c.Set(keys[next], 0); next++ })
	return r, nil
}

// ReadYourWrites Sets every key of keys (value: its position + 1) and Gets it
// right after from the same goroutine, and returns how many of those Gets
// missed or returned another value.
func ReadYourWrites[K Key](c Cache[K], keys []K) int {
	failures := 0
	for i, k := range keys {
		v := uint64(i) + 1
		c.Set(k, v)
		if got, ok := c.Get(k); !ok || got != v {
			failures++
		}
	}
	return failures
}
