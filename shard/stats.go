package shard

import "github.com/hotcache/hotcache/evict"

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
	Refreshes     uint64 // reloads started by RefreshAhead or by Refresh
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
