package core

import (
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/internal/tick"
)

// maintenanceInterval is how often an engine sweeps expired entries when
// its clock does not schedule the sweep itself (see tick.Scheduler).
const maintenanceInterval = time.Second

// lifetime is an engine's background work: its use of the clock and its
// maintenance. It holds the engine only weakly, so that nothing global (the
// clock, a timer, the runtime's cleanup queue) keeps an engine, and the
// callbacks and values it reaches, alive. close may be called from any
// goroutine, concurrently (Close, the owner's cleanup, the maintenance that
// finds the engine collected); it acts once.
type lifetime struct {
	once sync.Once
	stop func()    // ends the maintenance
	user tick.User // the clock, released on close; nil if it has no users
}

// startLifetime acquires clk and starts the maintenance of the engine that
// wp points to: on clk's own schedule when it is a tick.Scheduler (a Manual
// clock runs it inside Advance and Set), else every maintenanceInterval on a
// timer's goroutine, never on a clock's goroutine. Either way a slow OnEvict
// delays only this engine's next pass.
func startLifetime[K comparable, V any](clk clock.Clock, wp weak.Pointer[Engine[K, V]]) *lifetime {
	l := &lifetime{}
	if u, ok := clk.(tick.User); ok {
		l.user = u
		u.Acquire()
	}
	pass := func() bool {
		e := wp.Value()
		if e == nil {
			// Collected. Its owner's cleanup closes l; an engine used
			// without one (and never closed) is released here.
			l.close()
			return false
		}
		e.maintain()
		return true
	}
	if sch, ok := clk.(tick.Scheduler); ok {
		l.stop = sch.Subscribe(func() { pass() })
	} else {
		l.stop = tick.Every(maintenanceInterval, pass)
	}
	return l
}

// close stops the maintenance and releases the clock, once.
func (l *lifetime) close() {
	l.once.Do(func() {
		l.stop()
		if l.user != nil {
			l.user.Release()
		}
	})
}

// CloseWhenUnreachable arranges for e's background work to stop when owner,
// the value that holds e, becomes unreachable, so a cache the user forgets
// to Close still releases its clock and its maintenance. The cleanup holds
// neither owner nor e, so e's callbacks may refer to owner (an OnEvict that
// calls the cache) without keeping it alive.
func CloseWhenUnreachable[T any, K comparable, V any](owner *T, e *Engine[K, V]) {
	runtime.AddCleanup(owner, (*lifetime).close, e.life)
}

// maintain is the engine's maintenance pass, run about once a second on a
// goroutine of the engine's own (or inside a Manual clock's Advance and
// Set): an incremental sweep of expired entries, shard by shard.
func (e *Engine[K, V]) maintain() {
	if e.closed.Load() {
		return
	}
	e.Sweep()
}
