package tick

import (
	"sync"
	"time"
)

// Every calls f about every d, each call on a goroutine of its own (a
// timer's), starting d after the previous call returned, until f returns
// false or stop is called. Between calls nothing runs: no goroutine waits. A
// slow f delays only its own next call. A cache runs its maintenance with
// Every when its clock is not a [Scheduler].
//
// stop may be called any number of times, from any goroutine. After it
// returns, f is not started again; a call already running finishes. Every
// panics if d is not positive.
//
// Called inside a testing/synctest bubble, Every's timer belongs to the
// bubble and follows its fake time. stop called inside the bubble (as a
// test's Close is) removes the timer at once; called from outside it (as a
// cleanup is: cleanups run outside every bubble, and a bubble's timer cannot
// be stopped from outside it), stop leaves the timer to fire once more and
// do nothing.
//
// Every's state holds f and nothing else: f decides what it keeps alive
// (a cache's maintenance holds its cache weakly).
func Every(d time.Duration, f func() bool) (stop func()) {
	if d <= 0 {
		panic("tick: Every interval must be > 0, got " + d.String())
	}
	r := &repeat{d: d, f: f, bubbled: InBubble()}
	r.mu.Lock()
	r.t = time.AfterFunc(d, r.fire)
	r.mu.Unlock()
	return r.stop
}

// repeat is the state of one Every.
//
// Locking: mu guards t's Reset and Stop and stopped; f runs with no lock
// held.
type repeat struct {
	d       time.Duration
	f       func() bool
	bubbled bool // started inside a synctest bubble

	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

// fire is the timer's function: it calls f and schedules the next call.
func (r *repeat) fire() {
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped || !r.f() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped {
		r.t.Reset(r.d)
	}
}

func (r *repeat) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.stopped = true
	if !r.bubbled || InBubble() {
		r.t.Stop()
	}
}
