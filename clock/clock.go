package clock

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a time source: Now returns the current time as nanoseconds since
// the Unix epoch. Implementations must be safe for concurrent use, must not go
// backwards while a cache uses them, and should be cheap (Now runs on every
// cache read that meets an expiring entry).
type Clock interface {
	Now() int64
}

// User is implemented by clocks that run background work only while someone
// uses them. A cache calls Acquire when it starts using the clock and Release
// exactly once when it is closed or garbage-collected.
type User interface {
	Acquire()
	Release()
}

// Scheduler is implemented by clocks that run maintenance functions: a cache
// registers its sweep of expired entries with its clock when the clock is a
// Scheduler, and with [Default] otherwise. [Coarse] runs them periodically;
// [Manual] runs them whenever it is moved, so tests see reclamation happen
// at the moment they choose.
type Scheduler interface {
	// Subscribe registers f and returns a function that unregisters it.
	// f may still run once after cancel returns, and must tolerate it.
	Subscribe(f func()) (cancel func())
}

// DefaultResolution is the resolution of the clock returned by [Default]:
// Now lags the true time by at most about this much.
const DefaultResolution = 5 * time.Millisecond

// Coarse is a clock that a single goroutine advances every resolution.
// Now is one atomic load. The goroutine runs only while the clock has users
// (see [Coarse.Acquire]); without users, Now reads the system clock directly,
// so a Coarse is correct, just slower, when nobody holds it.
//
// A Coarse also runs registered maintenance functions (see
// [Coarse.Subscribe]) about once per [MaintenanceInterval] on its goroutine.
//
// Coarse is safe for concurrent use. Use [NewCoarse] or [Default]; the zero
// value is not usable.
type Coarse struct {
	now atomic.Int64 // 0 while stopped
	res time.Duration

	mu    sync.Mutex
	users int
	stop  *atomic.Bool // tells the running goroutine to exit
	subs  subscribers
}

// MaintenanceInterval is how often a Coarse clock runs the functions
// registered with [Coarse.Subscribe].
const MaintenanceInterval = time.Second

var defaultClock = NewCoarse(DefaultResolution)

// Default returns the process-wide coarse clock, with [DefaultResolution].
// Caches built without an explicit clock share it.
func Default() *Coarse { return defaultClock }

// NewCoarse returns a coarse clock that ticks every resolution. It panics if
// resolution is not positive.
func NewCoarse(resolution time.Duration) *Coarse {
	if resolution <= 0 {
		panic("clock: NewCoarse resolution must be > 0, got " + resolution.String())
	}
	return &Coarse{res: resolution}
}

// Resolution reports how often the clock ticks.
func (c *Coarse) Resolution() time.Duration { return c.res }

// Now returns the coarse time in nanoseconds since the Unix epoch: at most
// one resolution (plus scheduling delay) behind the larger of the wall and
// monotonic readings.
func (c *Coarse) Now() int64 {
	if n := c.now.Load(); n != 0 {
		return n
	}
	return c.exact()
}

// exact is Now's slow path, taken while the goroutine is not running.
func (c *Coarse) exact() int64 { return c.read(time.Now()) }

// read computes the pessimistic time for reading t (see pessimistic), never
// less than the last published tick.
func (c *Coarse) read(t time.Time) int64 {
	return pessimistic(t.UnixNano(), processStartWall+int64(t.Sub(processStart)), c.now.Load())
}

// pessimistic combines a wall reading, a monotonic reading (anchored at the
// wall time of process start) and the last value returned: the larger of the
// two readings, so that a deadline counts as passed as soon as it has passed
// on either (the wall clock jumped forward, or ran on through a suspend that
// stopped the monotonic clock), and never less than last (the wall clock
// jumped back).
func pessimistic(wall, mono, last int64) int64 {
	return max(wall, mono, last)
}

var (
	processStart     = time.Now()
	processStartWall = processStart.UnixNano()
)

// Acquire registers a user of the clock and starts its goroutine if it is the
// first. Each Acquire must be paired with one Release.
func (c *Coarse) Acquire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users++
	if c.users == 1 {
		c.now.Store(c.read(time.Now()))
		c.stop = new(atomic.Bool)
		go c.run(c.stop)
	}
}

// Release unregisters a user. When the last user is released the goroutine
// is told to stop and exits at its next tick. Release does not wait for it,
// so it is safe to call from a maintenance function or a cleanup.
func (c *Coarse) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == 0 {
		panic("clock: Release without Acquire")
	}
	c.users--
	if c.users == 0 {
		c.stop.Store(true)
	}
}

// Running reports whether the clock's goroutine is running.
func (c *Coarse) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.users > 0
}

// Subscribe registers f to run on the clock's goroutine about once per
// [MaintenanceInterval] while the clock has users. f should bound its own
// work; it runs with no lock held, so it may call any method of c. The
// returned cancel removes f; a pass that had already started may still run
// it once, so f must tolerate being called after cancel.
func (c *Coarse) Subscribe(f func()) (cancel func()) { return c.subs.add(f) }

func (c *Coarse) run(stop *atomic.Bool) {
	t := time.NewTicker(c.res)
	defer t.Stop()
	every := int(MaintenanceInterval / c.res)
	if every < 1 {
		every = 1
	}
	for tick := 1; ; tick++ {
		now := <-t.C
		if stop.Load() {
			c.mu.Lock()
			if c.users == 0 { // not restarted by an Acquire since
				c.now.Store(0)
			}
			c.mu.Unlock()
			return
		}
		c.now.Store(c.read(now))
		if tick%every != 0 {
			continue
		}
		c.subs.run()
	}
}

// Manual is a clock that moves only when told to. It is meant for tests: a
// cache built with a Manual clock expires entries exactly when the test moves
// time past their deadlines, and runs its maintenance (the sweep of expired
// entries) synchronously inside Advance and Set. Manual is safe for
// concurrent use.
type Manual struct {
	now  atomic.Int64
	subs subscribers
}

// NewManual returns a manual clock set to start.
func NewManual(start time.Time) *Manual {
	m := &Manual{}
	m.now.Store(start.UnixNano())
	return m
}

// Now returns the clock's current time in nanoseconds since the Unix epoch.
func (m *Manual) Now() int64 { return m.now.Load() }

// Time returns the clock's current time as a time.Time.
func (m *Manual) Time() time.Time { return time.Unix(0, m.now.Load()) }

// Advance moves the clock forward by d (backward if d is negative), then runs
// the registered maintenance functions.
func (m *Manual) Advance(d time.Duration) {
	m.now.Add(int64(d))
	m.subs.run()
}

// Set sets the clock to t, then runs the registered maintenance functions.
func (m *Manual) Set(t time.Time) {
	m.now.Store(t.UnixNano())
	m.subs.run()
}

// Subscribe registers f to run, on the caller's goroutine, after every
// Advance and Set.
func (m *Manual) Subscribe(f func()) (cancel func()) { return m.subs.add(f) }

// subscribers is the set of maintenance functions of a clock.
type subscribers struct {
	mu   sync.Mutex
	fs   map[uint64]func()
	next uint64
}

// add registers f and returns the function that removes it.
func (s *subscribers) add(f func()) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fs == nil {
		s.fs = map[uint64]func(){}
	}
	id := s.next
	s.next++
	s.fs[id] = f
	return func() {
		s.mu.Lock()
		delete(s.fs, id)
		s.mu.Unlock()
	}
}

// run calls every registered function, in registration order, with no lock
// held, so a function may add or cancel subscriptions.
func (s *subscribers) run() {
	s.mu.Lock()
	ids := slices.Sorted(maps.Keys(s.fs))
	fs := make([]func(), len(ids))
	for i, id := range ids {
		fs[i] = s.fs[id]
	}
	s.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
