//go:build hotcache_widen

package core

import (
	"math/rand/v2"
	"runtime"
	"time"
)

// widen yields, and now and then sleeps a few microseconds, at the points
// where a race between a load's publication and an invalidation could lose
// (build tag hotcache_widen, for the linearizability checker of package
// internal/lincheck: it makes such races hit within seconds).
func widen() {
	switch rand.IntN(8) {
	case 0:
		time.Sleep(time.Duration(rand.IntN(20)) * time.Microsecond)
	case 1, 2, 3:
		runtime.Gosched()
	}
}

// Widened reports whether this build widens race windows (hotcache_widen).
const Widened = true
