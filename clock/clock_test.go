package clock

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPessimistic(t *testing.T) {
	const s = int64(time.Second)
	assert.Equal(t, 10*s, pessimistic(10*s, 10*s, 9*s), "readings agree")
	assert.Equal(t, 10*s, pessimistic(4*s, 10*s, 9*s), "wall jumped back: monotonic time goes on")
	assert.Equal(t, 70*s, pessimistic(70*s, 10*s, 9*s), "wall jumped forward: deadlines pass early, never late")
	assert.Equal(t, 3610*s, pessimistic(3610*s, 11*s, 10*s), "suspend: the wall clock kept running, the monotonic one did not")
	assert.Equal(t, 12*s, pessimistic(11*s, 11*s, 12*s), "never goes backwards")
}

func TestCoarseNow_TicksAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCoarse(10 * time.Millisecond)
		assert.Equal(t, time.Now().UnixNano(), c.Now(), "without users Now reads the system clock")
		c.Acquire()
		start := c.Now()
		time.Sleep(5 * time.Millisecond)
		assert.Equal(t, start, c.Now(), "between ticks the coarse time stands still")
		time.Sleep(6 * time.Millisecond)
		assert.Equal(t, time.Now().Add(-time.Millisecond).UnixNano(), c.Now(), "a tick publishes the time of the tick")
		for range 100 {
			time.Sleep(time.Millisecond)
			lag := time.Now().UnixNano() - c.Now()
			require.GreaterOrEqual(t, lag, int64(0))
			require.LessOrEqual(t, lag, int64(10*time.Millisecond), "lag stays within one resolution")
		}
		c.Release()
		assert.False(t, c.Running())
		time.Sleep(10 * time.Millisecond) // the goroutine exits at its next tick
		synctest.Wait()
		assert.Equal(t, time.Now().UnixNano(), c.Now(), "stopped: exact time again")
		assert.Panics(t, c.Release, "Release without Acquire")
	})
}

func TestCoarseSubscribe_RunsMaintenanceWhileUsed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCoarse(100 * time.Millisecond)
		var mu sync.Mutex
		runs := 0
		cancel := c.Subscribe(func() { mu.Lock(); runs++; mu.Unlock() })
		c.Acquire()
		time.Sleep(3*MaintenanceInterval + time.Millisecond)
		mu.Lock()
		assert.Equal(t, 3, runs)
		mu.Unlock()
		cancel()
		time.Sleep(2 * MaintenanceInterval)
		mu.Lock()
		assert.Equal(t, 3, runs, "cancelled")
		mu.Unlock()
		c.Release()
		time.Sleep(100 * time.Millisecond)
	})
}

func TestDefault(t *testing.T) {
	assert.Same(t, Default(), Default())
	assert.Equal(t, DefaultResolution, Default().Resolution())
	assert.LessOrEqual(t, DefaultResolution, 10*time.Millisecond)
	assert.Panics(t, func() { NewCoarse(0) })
}

func TestManual(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := NewManual(start)
	var c Clock = m // *Manual satisfies Clock
	assert.Equal(t, start.UnixNano(), c.Now())
	ran := 0
	cancel := m.Subscribe(func() { ran++ })
	m.Advance(time.Minute)
	assert.Equal(t, start.Add(time.Minute).UnixNano(), m.Now())
	assert.True(t, m.Time().Equal(start.Add(time.Minute)))
	m.Set(start)
	assert.Equal(t, start.UnixNano(), m.Now())
	assert.Equal(t, 2, ran, "maintenance runs on every move")
	cancel()
	m.Advance(time.Second)
	assert.Equal(t, 2, ran)
}
