// Package testhook reaches the test hooks of this module's packages from
// the tests (and test suites, such as writeback/storetest) of other
// packages, so that the hooks are not part of any package's API. Each
// package that has a hook sets its variable in an init function; the
// arguments are typed any so that this package imports none of them.
package testhook

// CoarseRunning reports whether a *clock.Coarse's goroutine is running,
// that is, whether the clock has users. Set by package clock.
var CoarseRunning func(coarse any) bool

// BufferTick makes a *writeback.Buffer's background goroutine check now
// whether a flush is due and waits until it has checked and finished the
// flush it started (for clocks that drive no timers, such as
// *clock.Manual). Set by package writeback.
var BufferTick func(buffer any)
