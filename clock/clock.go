package clock

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/internal/testhook"
	"github.com/hotcache/hotcache/internal/tick"
)

// Clock is a time source: Now returns the current time as nanoseconds since
// the Unix epoch. Implementations must be safe for concurrent use and cheap
// (Now runs on every cache read that meets an expiring entry), and Now must
// never go backwards and never be negative: a cache stores deadlines as
// Now() + TTL and reads a deadline of 0 as "never expires", so times before
// 1970 are not supported.
type Clock interface {
	Now() int64
}

// DefaultResolution is the resolution of the clock returned by [Default]:
// the coarse time is republished this often (see [Coarse.Now] for the lag).
const DefaultResolution = 5 * time.Millisecond

// Coarse is a clock that a single goroutine advances every resolution.
// Now is one atomic load. The goroutine runs only while the clock has users
// (see [Coarse.Acquire]); without users, Now reads the system clock directly,
// so a Coarse is correct, just slower, when nobody holds it.
//
// The goroutine does nothing but keep the time: no cache's maintenance or
// callback runs on it, so no cache can delay another's expiry.
//
// Time is pessimistic and keeps moving: Now is the monotonic reading plus
// the largest wall-minus-monotonic offset seen so far. A wall clock that
// jumps forward, or that ran on through a system suspend while the
// monotonic clock stopped, raises the offset, so deadlines pass as soon as
// they have passed on the wall clock (early, never late). A wall clock that
// jumps back, including the correction of an earlier jump forward, is
// ignored: time goes on at the monotonic rate from where it was, never
// backwards and never standing still. So an entry written at any point lives
// its TTL of real (monotonic) time, or less if the wall clock jumps forward
// meanwhile, never more. The price of never going back: once a jump forward
// (or a wall clock that was ahead when the process started) is corrected,
// the coarse time stays ahead of the wall clock by the correction until the
// process restarts, so deadlines taken from the wall clock (a token's own
// expiry, through Options.Expiry) pass early by that much.
//
// Coarse is safe for concurrent use: now and off are atomics that Now reads
// without a lock; mu guards users and cur, and the goroutine publishes each
// tick under mu, so a goroutine that Release has stopped cannot publish
// after it. Use [NewCoarse] or [Default]; the zero value is not usable. A
// Coarse whose goroutine was started inside a testing/synctest bubble must
// be used in that bubble only.
type Coarse struct {
	now atomic.Int64 // the last tick's time; 0 while the goroutine is stopped
	off atomic.Int64 // the largest wall − monotonic offset seen (see reading)
	res time.Duration

	mu    sync.Mutex
	users int
	cur   *ticker // the running goroutine's; nil while stopped
}

// ticker is the state of one run of a Coarse clock's goroutine.
type ticker struct {
	stop    chan struct{} // closed by Release to end the goroutine at once
	bubbled bool          // started inside a synctest bubble: see Release
}

var defaultClock = NewCoarse(DefaultResolution)

// Default returns the process-wide coarse clock, with [DefaultResolution].
// A cache built without an explicit clock uses it, except inside a
// testing/synctest bubble, where it reads the bubble's time instead.
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

// Now returns the coarse time in nanoseconds since the Unix epoch (see
// [Coarse] for how wall and monotonic readings combine). While the goroutine
// runs, Now is the time of its last tick: behind the true time by at most
// one resolution plus the delay with which the Go scheduler runs the
// goroutine once its ticker fires (microseconds on an idle machine; a
// scheduler time slice, 10 ms, or more when every processor is busy). While
// it is stopped, Now reads the system clock.
func (c *Coarse) Now() int64 {
	if n := c.now.Load(); n != 0 {
		return n
	}
	return c.exact()
}

// exact is Now's slow path, taken while the goroutine is not running.
func (c *Coarse) exact() int64 { return c.read(time.Now()) }

// read returns the clock's time for the reading t (see reading). A t
// without a monotonic reading (inside a synctest bubble) counts as monotonic
// time equal to its wall time.
func (c *Coarse) read(t time.Time) int64 {
	return c.reading(t.UnixNano(), processStartWall+int64(t.Sub(processStart)))
}

// reading returns the clock's time for a wall reading and a monotonic
// reading anchored at the wall time of process start: the monotonic reading
// plus the largest wall-minus-monotonic offset seen, which it raises if this
// reading's is larger.
func (c *Coarse) reading(wall, mono int64) int64 {
	for {
		off := c.off.Load()
		now, raised := pessimistic(wall, mono, off)
		if raised == off || c.off.CompareAndSwap(off, raised) {
			return now
		}
	}
}

// pessimistic combines a wall reading and a monotonic reading (anchored at
// the wall time of process start) with off, the largest wall − monotonic
// offset seen before. It returns the time, monotonic + the new largest
// offset, and that offset. The offset only grows: when the wall clock runs
// ahead of the monotonic one (a jump forward, or a suspend that stopped the
// monotonic clock), time catches up with the wall clock at once; when it
// falls behind (a jump back, or the correction of a jump forward), time goes
// on at the monotonic rate.
func pessimistic(wall, mono, off int64) (now, maxOff int64) {
	maxOff = max(off, wall-mono)
	return mono + maxOff, maxOff
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
		r := &ticker{stop: make(chan struct{}), bubbled: tick.InBubble()}
		c.cur = r
		go c.run(r)
	}
}

// Release unregisters a user. When the last user is released the goroutine
// stops: at once (Now reads the system clock from then on), and the
// goroutine exits without waiting for its next tick, except when Release is
// called from outside the synctest bubble that started it (a cleanup, which
// runs outside every bubble); then it exits at its next tick. Release does
// not wait for the goroutine, so it is safe to call from anywhere.
func (c *Coarse) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == 0 {
		panic("clock: Release without Acquire")
	}
	c.users--
	if c.users == 0 {
		r := c.cur
		c.cur = nil
		c.now.Store(0)
		// Closing a bubble's channel from outside the bubble is fatal.
		if !r.bubbled || tick.InBubble() {
			close(r.stop)
		}
	}
}

func init() { testhook.CoarseRunning = func(c any) bool { return c.(*Coarse).running() } }

// running reports whether the clock's goroutine is running.
func (c *Coarse) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// run is the clock's goroutine: it publishes the time every resolution
// until Release stops it, and does nothing else.
func (c *Coarse) run(r *ticker) {
	t := time.NewTicker(c.res)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			// The time now, not the tick's: the tick's time is when the
			// ticker was due, and the goroutine may have run late.
			if !c.tick(r, c.read(time.Now())) {
				return
			}
		}
	}
}

// tick publishes now if r is still the running goroutine's state, and
// reports whether it is.
func (c *Coarse) tick(r *ticker, now int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != r {
		return false
	}
	if now > c.now.Load() { // read may race with a concurrent exact()
		c.now.Store(now)
	}
	return true
}

// Manual is a clock that moves only when told to. It is meant for tests: a
// cache built with a Manual clock expires entries exactly when the test moves
// time past their deadlines, and runs its maintenance (the sweep of expired
// entries) synchronously inside Advance and Set.
//
// Like every [Clock], a Manual never goes backwards and never reads before
// the Unix epoch: NewManual, Advance and Set panic rather than break that
// (a cache's deadline arithmetic relies on it). Wall-clock jumps back are
// the concern of [Coarse], which never lets a cache see them.
//
// Manual is safe for concurrent use; maintenance runs on the goroutine that
// moved the clock.
type Manual struct {
	now  atomic.Int64
	subs subscribers
}

// maxTime is the last time that nanoseconds since the Unix epoch can hold,
// in the year 2262.
var maxTime = time.Unix(0, math.MaxInt64)

// manualTime returns t in nanoseconds since the Unix epoch, or panics,
// naming op, if t is outside the range a Clock can return.
func manualTime(op string, t time.Time) int64 {
	if t.Before(time.Unix(0, 0)) {
		panic(fmt.Sprintf("clock: %s(%v): a clock cannot read before 1970-01-01 UTC "+
			"(times are nanoseconds since the Unix epoch, and a cache reads deadline 0 as \"never\"); "+
			"start a manual clock at a real date, e.g. time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)", op, t))
	}
	if t.After(maxTime) {
		panic(fmt.Sprintf("clock: %s(%v): a clock cannot read after %v (nanoseconds since the Unix epoch overflow int64)", op, t, maxTime.UTC()))
	}
	return t.UnixNano()
}

// NewManual returns a manual clock set to start. It panics if start is
// before 1970-01-01 UTC (such as the zero time.Time) or after the year 2262.
func NewManual(start time.Time) *Manual {
	m := &Manual{}
	m.now.Store(manualTime("NewManual", start))
	return m
}

// Now returns the clock's current time in nanoseconds since the Unix epoch.
func (m *Manual) Now() int64 { return m.now.Load() }

// Time returns the clock's current time as a time.Time.
func (m *Manual) Time() time.Time { return time.Unix(0, m.now.Load()) }

// Advance moves the clock forward by d, then runs the registered maintenance
// functions. It panics if d is negative (a clock never goes backwards) or if
// the time would pass the year 2262.
func (m *Manual) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("clock: Manual.Advance(%v): a clock never goes backwards", d))
	}
	for {
		old := m.now.Load()
		if int64(d) > math.MaxInt64-old {
			panic(fmt.Sprintf("clock: Manual.Advance(%v) from %v passes %v (nanoseconds since the Unix epoch overflow int64)",
				d, time.Unix(0, old).UTC(), maxTime.UTC()))
		}
		if m.now.CompareAndSwap(old, old+int64(d)) {
			break
		}
	}
	m.subs.run()
}

// Set sets the clock to t, then runs the registered maintenance functions.
// It panics if t is before the clock's current time (a clock never goes
// backwards) or outside the range NewManual accepts.
func (m *Manual) Set(t time.Time) {
	n := manualTime("Manual.Set", t)
	for {
		old := m.now.Load()
		if n < old {
			panic(fmt.Sprintf("clock: Manual.Set(%v): earlier than the clock's time %v; a clock never goes backwards",
				t, time.Unix(0, old).In(t.Location())))
		}
		if m.now.CompareAndSwap(old, n) {
			break
		}
	}
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
