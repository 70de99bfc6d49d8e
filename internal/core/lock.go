package core

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// spinMutex is a sync.Mutex whose Lock, when the lock is taken, retries
// TryLock for a few microseconds before it blocks (issue 22).
//
// Why: a shard's critical sections are short (an insert that evicts is a
// few cache misses), but sync.Mutex parks a waiter after a brief spin, and
// a parked waiter rarely gets the lock back soon: the goroutine that
// released it runs on and takes it again for a later write to the same
// shard while the waiter is still being woken, so the waiter parks again,
// until sync.Mutex's starvation mode hands the lock over after 1 ms. In an
// execution trace of the 1M-entry uniform benchmark at reads=50% (2
// goroutines, 8 shards), 1 insert in 2,000 waited so, 1.17 ms on average:
// the two goroutines kept 1.65 of 2 CPUs busy, against 1.98 for otter,
// whose writes go through a lock-free buffer. Retrying for longer than a
// critical section before parking keeps the waiter running.
//
// Only Lock differs; with one P (GOMAXPROCS 1) nothing can release the
// lock while the waiter spins, so it blocks at once.
type spinMutex struct {
	sync.Mutex
}

// lockSpins and lockSpinWork bound the retries: about 20 µs of spinning in
// all (the delay between tries doubles up to lockSpinWork loads).
const (
	lockSpins    = 24
	lockSpinWork = 1024
)

// Lock takes the lock, spinning on TryLock for a while before it blocks.
func (m *spinMutex) Lock() {
	if m.TryLock() {
		return
	}
	m.lockSlow()
}

func (m *spinMutex) lockSlow() {
	if runtime.GOMAXPROCS(0) > 1 {
		work := 16
		for range lockSpins {
			for range work {
				spinWait.Load() // an atomic load, which the compiler keeps, of a word no one writes
			}
			if m.TryLock() {
				return
			}
			work = min(2*work, lockSpinWork)
		}
	}
	m.Mutex.Lock()
}

// spinWait is what a spinning Lock loads between tries: never written, so
// its cache line stays shared by every core.
var spinWait atomic.Uint64
