package core

import (
	"sync"
	"sync/atomic"
)

// spinMutex is a sync.Mutex whose Lock, when the lock is taken, retries
// TryLock for a few microseconds before it blocks (issue 22).
//
// Why: a shard's critical sections are short (an insert that evicts is a
// few cache misses), but sync.Mutex parks a waiter after a brief spin; its
// P then has nothing to run, its thread sleeps, and the release must wake
// it. At reads=50% (1M entries, uniform keys, 2 goroutines, 8 shards) the
// two goroutines kept only 1.60-1.73 of 2 CPUs busy (getrusage over the
// timed loop; otter 1.98, the same loop with reads only 1.99), and an
// execution trace showed about 1 insert in 2,000 parked in sync.Mutex, for
// 9 µs on average. How so few short waits leave that much idle was not
// pinned down (a wake-up in this VM is slow); spinning before parking
// raised the CPUs busy to 1.85 and throughput by 1.16× (ns/op ratio 0.86,
// 5 interleaved runs), and 1M uniform reads=50% from 1.03× to 1.17× otter.
//
// Only Lock differs. spin is set by NewEngine when GOMAXPROCS is over 1:
// with one P nothing can release the lock while the waiter spins, so it
// blocks at once. (It is not read at each Lock: runtime.GOMAXPROCS takes a
// runtime-wide lock. A GOMAXPROCS changed later only makes the spinning
// useless or missing, never wrong.)
type spinMutex struct {
	sync.Mutex
	spin bool
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
	if m.spin {
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
