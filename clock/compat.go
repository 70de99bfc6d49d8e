package clock

import (
	"time"

	"github.com/hotcache/hotcache/internal/tick"
)

// The engine-only parts of this package moved to an internal package in
// Engine v2 (issue 22). The names below keep code written against earlier
// versions building; they are what the engine uses, unchanged.

// User is implemented by clocks that run background work only while someone
// uses them (Coarse): Acquire when a cache starts using the clock, Release
// once when it stops.
//
// Deprecated: an engine-internal interface; kept so that older code builds.
type User = tick.User

// Scheduler is implemented by clocks that decide when a cache's maintenance
// runs (Manual).
//
// Deprecated: an engine-internal interface; kept so that older code builds.
type Scheduler = tick.Scheduler

// Every calls f about every d, each call on a goroutine of its own, until f
// returns false or stop is called.
//
// Deprecated: an engine-internal helper; kept so that older code builds.
func Every(d time.Duration, f func() bool) (stop func()) { return tick.Every(d, f) }

// ForCaller returns the clock a cache built by the calling goroutine uses
// without an explicit clock: Default, or inside a testing/synctest bubble a
// clock reading the bubble's time.
//
// Deprecated: an engine-internal helper; kept so that older code builds.
func ForCaller() Clock { return tick.ForCaller(Default()) }

// Running reports whether the clock's goroutine is running, that is,
// whether the clock has users.
//
// Deprecated: Running is a test hook, not part of the API; this module's
// tests reach it through an internal package.
func (c *Coarse) Running() bool { return c.running() }
