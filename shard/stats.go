package shard

import (
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/hotcache/hotcache/evict"
)

// Stats is a snapshot of a cache's counters. Counters only grow (Clear does
// not reset them); Weight is a gauge. A snapshot taken while other goroutines use the cache is
// not atomic across fields.
type Stats struct {
	Hits   uint64 // Get calls that found a live entry (only with Options.CountHits)
	Misses uint64 // Get calls that did not (only with Options.CountHits)
	Sets   uint64 // entries stored by Set, SetTTL, SetIfAbsent and loads

	// Weight is the total weight of the entries stored now (a gauge, not a
	// counter: it goes down as entries leave), as Options.Weigher weighed
	// them; 0 without a Weigher.
	Weight uint64

	// Loading (GetOrLoad). Hits and Misses count GetOrLoad calls too: a
	// miss is a call that found no live entry.
	Loads         uint64 // loads started for missing keys
	LoadErrors    uint64 // loads (not refreshes) that failed: an error other than not-found, or a panic
	NotFound      uint64 // loads and refreshes that returned an error wrapping ErrNotFound
	NegativeHits  uint64 // GetOrLoad calls answered by a remembered not-found
	Refreshes     uint64 // background reloads started by RefreshAhead
	RefreshErrors uint64 // reloads that failed (not-found aside); the old value was kept

	// Evictions counts entries that left the cache, indexed by
	// evict.Reason: Evictions[evict.Capacity], Evictions[evict.Expired],
	// and so on. Reasons start at 1, so Evictions[0] is unused and always
	// 0. An overwrite of a present key counts as evict.Replaced (the old
	// value left), and so does a reload that found the key gone.
	Evictions [evict.NumReasons]uint64

	// HitsCounted reports whether the cache counts Hits and Misses
	// (Options.CountHits): without it both stay 0, which a dashboard must
	// not show as a 0% hit ratio.
	HitsCounted bool
}

// HitRatio returns Hits / (Hits + Misses), or 0 before the first Get.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// stripe is one cache line of read-path counters.
type stripe struct {
	hits   atomic.Uint64
	misses atomic.Uint64
	_      [48]byte // 64-byte cache line: no false sharing between stripes
}

// readCounters counts hits and misses without a shared hot counter: each
// increment goes to the stripe picked by the address of the calling
// goroutine's stack, so goroutines running on different cores write
// different cache lines while one goroutine keeps hitting the same (already
// owned) line. Picking a stripe costs a multiply. A random stripe per call
// (math/rand/v2) cost 27% of a Get hit in a profile, and xsync.Counter
// takes a sync.Pool round trip per increment.
type readCounters struct {
	stripes []stripe
	mask    uint32
}

// stripesPerProc: stripes are picked by stack address, not by processor, so
// two running goroutines share a stripe with probability 1/stripes; 16 per
// processor keeps that under 1/32 for 2 processors, for 1 KiB per processor.
const stripesPerProc = 16

func newReadCounters() readCounters {
	n := 1
	for n < stripesPerProc*runtime.GOMAXPROCS(0) && n < 1024 {
		n <<= 1
	}
	return readCounters{stripes: make([]stripe, n), mask: uint32(n - 1)}
}

func (r *readCounters) hit()  { r.stripe().hits.Add(1) }
func (r *readCounters) miss() { r.stripe().misses.Add(1) }

// stripe returns the calling goroutine's stripe.
func (r *readCounters) stripe() *stripe {
	var onStack byte
	// Safety: the address is only hashed, never dereferenced; a stack that
	// moves merely changes the stripe used from then on.
	sp := uint64(uintptr(unsafe.Pointer(&onStack)))
	return &r.stripes[uint32((sp>>11)*0x9e3779b97f4a7c15>>32)&r.mask]
}

func (r *readCounters) sum() (hits, misses uint64) {
	for i := range r.stripes {
		hits += r.stripes[i].hits.Load()
		misses += r.stripes[i].misses.Load()
	}
	return hits, misses
}
