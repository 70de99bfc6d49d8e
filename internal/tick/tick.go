package tick

import "time"

// Clock is clock.Clock (a time source read as nanoseconds since the Unix
// epoch), restated so that this package imports nothing of hotcache's.
type Clock interface {
	Now() int64
}

// User is implemented by clocks that run background work only while someone
// uses them (clock.Coarse). A cache calls Acquire when it starts using the
// clock and Release exactly once when it is closed or garbage-collected.
type User interface {
	Acquire()
	Release()
}

// Scheduler is implemented by clocks that decide when a cache's maintenance
// (the sweep of expired entries) runs. clock.Manual is one: it runs the
// maintenance synchronously inside Advance and Set, so tests see reclamation
// happen at the moment they choose. A cache whose clock is not a Scheduler
// runs its maintenance about once a second with [Every], on a goroutine of
// its own: never on a clock's goroutine.
type Scheduler interface {
	// Subscribe registers f and returns a function that unregisters it.
	// f may still run once after cancel returns, and must tolerate it.
	Subscribe(f func()) (cancel func())
}

// ForCaller returns the clock for a cache that the calling goroutine builds
// without an explicit clock: shared (clock.Default, passed in by the
// caller), except inside a testing/synctest bubble. There it returns a
// clock of the caller's own that reads the bubble's fake time on every Now,
// and starts no goroutine: a cache built in the bubble then expires entries
// by the bubble's time (even while the shared clock runs outside the bubble
// for other caches), and leaves nothing running in the bubble once closed.
func ForCaller(shared Clock) Clock {
	if InBubble() {
		return bubbleClock{}
	}
	return shared
}

// bubbleClock reads the time of the synctest bubble it is called from.
type bubbleClock struct{}

func (bubbleClock) Now() int64 { return time.Now().UnixNano() }

// InBubble reports whether the calling goroutine runs inside a
// testing/synctest bubble: there, and only there, time.Now has no monotonic
// reading (so says the runtime's source, go1.25 and go1.26; the package
// testing/synctest offers no such query), and == on time.Time compares
// monotonic readings. TestForCaller fails if a Go release changes this
// (and after 2157, when readings outside a bubble lose their monotonic
// part, ForCaller's clock reads time.Now on every call: correct, only
// slower).
func InBubble() bool {
	t := time.Now()
	return t == t.Round(0)
}
