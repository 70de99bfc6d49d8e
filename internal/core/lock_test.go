package core

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// spinMutex excludes as sync.Mutex does, whether its Lock gets the lock at
// once, after spinning, or after blocking: goroutines that increment a
// plain counter under it lose no increment (and -race sees no race), with
// several Ps and with one (where Lock blocks without spinning).
func TestSpinMutex_Excludes(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			m := spinMutex{spin: procs > 1}
			n := 0
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for i := range 2000 {
						m.Lock()
						n++
						if i%500 == 0 {
							time.Sleep(50 * time.Microsecond) // longer than the spin: waiters block
						}
						m.Unlock()
					}
				})
			}
			wg.Wait()
			assert.Equal(t, 8*2000, n, "GOMAXPROCS %d", procs)
		}()
	}
}

// A Lock that waits longer than its spin still gets the lock once it is
// released: it blocks in sync.Mutex rather than giving up.
func TestSpinMutex_WaitsPastTheSpin(t *testing.T) {
	m := spinMutex{spin: true}
	m.Lock()
	got := make(chan struct{})
	go func() {
		m.Lock()
		close(got)
		m.Unlock()
	}()
	select {
	case <-got:
		t.Fatal("Lock returned while the lock was held")
	case <-time.After(20 * time.Millisecond): // far past the spin
	}
	m.Unlock()
	<-got
}
