package tick_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/internal/tick"
)

// TestForCaller is issue 10 item 2 at the clock's level: outside a bubble,
// caches share Default; inside one, a cache gets a clock that follows the
// bubble's time even while Default runs outside for other caches.
func TestForCaller(t *testing.T) {
	assert.False(t, tick.InBubble())
	assert.Same(t, clock.Default(), tick.ForCaller(clock.Default()))
	clock.Default().Acquire() // as if another cache were alive outside the bubble
	defer clock.Default().Release()
	synctest.Test(t, func(t *testing.T) {
		assert.True(t, tick.InBubble())
		c := tick.ForCaller(clock.Default())
		_, shared := c.(*clock.Coarse)
		assert.False(t, shared, "not Default, nor any clock ticking outside the bubble")
		assert.Equal(t, time.Now().UnixNano(), c.Now())
		time.Sleep(time.Hour)
		assert.Equal(t, time.Date(2000, 1, 1, 1, 0, 0, 0, time.UTC).UnixNano(), c.Now(), "bubble time")
		go func() { assert.True(t, tick.InBubble(), "goroutines started in the bubble are in it") }()
		synctest.Wait()
	})
}

// TestEvery_SlowCallDelaysOnlyItself is issue 10 item 1 at the clock's
// level: two repeated functions, one blocked; the other keeps its schedule,
// and so does a coarse clock.
func TestEvery_SlowCallDelaysOnlyItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.NewCoarse(time.Millisecond)
		c.Acquire()
		defer c.Release()
		unblock := make(chan struct{})
		var slow, fast atomic.Int32
		stopSlow := tick.Every(time.Second, func() bool { slow.Add(1); <-unblock; return true })
		stopFast := tick.Every(time.Second, func() bool { fast.Add(1); return true })
		time.Sleep(10*time.Second + time.Millisecond)
		assert.Equal(t, int32(1), slow.Load(), "blocked in its first call")
		assert.Equal(t, int32(10), fast.Load(), "on time")
		assert.InDelta(t, time.Now().UnixNano(), c.Now(), float64(time.Millisecond), "the clock keeps time")
		close(unblock)
		time.Sleep(time.Second + time.Millisecond)
		assert.Equal(t, int32(2), slow.Load(), "next call a period after the slow one returned")
		stopSlow()
		stopFast()
		stopFast()
		time.Sleep(5 * time.Second)
		assert.Equal(t, int32(2), slow.Load(), "stopped")
		assert.Equal(t, int32(11), fast.Load(), "stopped")
	})
}

func TestEvery_StopsWhenFReturnsFalse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		stop := tick.Every(time.Minute, func() bool { return n.Add(1) < 3 })
		defer stop()
		time.Sleep(time.Hour)
		assert.Equal(t, int32(3), n.Load())
		assert.Panics(t, func() { tick.Every(0, func() bool { return true }) })
	})
}

// TestEvery_StopFromOutsideTheBubble: stop called from outside the bubble
// that started Every (as a cleanup is) must not touch the bubble's timer
// (that is a fatal error), and f is not called again.
func TestEvery_StopFromOutsideTheBubble(t *testing.T) {
	calls := make(chan func()) // not a bubble's: usable from both sides
	done := make(chan struct{})
	go func() { // outside any bubble
		for f := range calls {
			f()
			done <- struct{}{}
		}
	}()
	defer close(calls)
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		stop := tick.Every(time.Second, func() bool { n.Add(1); return true })
		time.Sleep(1500 * time.Millisecond)
		require.Equal(t, int32(1), n.Load())
		calls <- stop
		<-done
		time.Sleep(5 * time.Second)
		assert.Equal(t, int32(1), n.Load(), "not called after stop")
	})
}
