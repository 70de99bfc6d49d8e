//go:build !hotcache_widen

package core

// widen marks a point where a race between a load's publication and an
// invalidation could lose. In normal builds it does nothing and costs
// nothing (it inlines to no code); with the build tag hotcache_widen it
// yields, to widen such races for the linearizability checker.
func widen() {}

// Widened reports whether this build widens race windows (hotcache_widen).
const Widened = false
