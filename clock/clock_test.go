package clock

import (
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/testhook"
)

const sec = int64(time.Second)

func TestPessimistic(t *testing.T) {
	for _, c := range []struct {
		name                     string
		wall, mono, off, now, to int64
	}{
		{"readings agree", 10 * sec, 10 * sec, 0, 10 * sec, 0},
		{"wall jumped back: monotonic time goes on", 4 * sec, 10 * sec, 0, 10 * sec, 0},
		{"wall jumped forward: deadlines pass early, never late", 70 * sec, 10 * sec, 0, 70 * sec, 60 * sec},
		{"suspend: the wall clock kept running, the monotonic one did not", 3610 * sec, 11 * sec, 0, 3610 * sec, 3599 * sec},
		{"jump corrected: the offset stays, time goes on from where it was", 12 * sec, 12 * sec, 60 * sec, 72 * sec, 60 * sec},
	} {
		now, off := pessimistic(c.wall, c.mono, c.off)
		assert.Equal(t, c.now, now, c.name)
		assert.Equal(t, c.to, off, c.name)
	}
}

// TestCoarse_WallStepForwardThenBack is issue 10 item 3: a wall clock
// stepped forward by an hour and corrected a little later. Time must keep
// moving at the monotonic rate through the correction (it used to stand
// still for the hour), and what holds for entries is:
//   - written before the step (deadline D): gone once the coarse time passes
//     D, which the step brings forward (early, never late);
//   - written during the step or after the correction, with a TTL: gone
//     exactly TTL of monotonic time after the write, not an hour + TTL.
func TestCoarse_WallStepForwardThenBack(t *testing.T) {
	const ttl = 5 * 60 * sec
	const hour = 3600 * sec
	c := NewCoarse(time.Millisecond)
	base := int64(1_800_000_000) * sec
	mono := base
	wall := func(step int64) int64 { return mono + step } // the wall clock, off by step
	last := c.reading(wall(0), mono)
	require.Equal(t, base, last)
	before := last + ttl // an entry written before the step

	advance := func(d int64, step int64) int64 {
		mono += d
		now := c.reading(wall(step), mono)
		require.Greater(t, now, last, "time never stands still or goes back")
		last = now
		return now
	}
	advance(10*sec, 0)
	during := advance(10*sec, hour) + ttl // step: written during it
	assert.GreaterOrEqual(t, last, before, "the step forward makes earlier deadlines pass at once")
	corrected := advance(sec, 0) // correction: the wall clock is back to true time
	after := corrected + ttl     // written after the correction
	for i := range 100 {
		now := advance(sec, 0)
		assert.Equal(t, corrected+int64(i+1)*sec, now, "after the correction time goes on at the monotonic rate")
	}
	// The entry written during the step, 102 s ago: alive until 5 min after
	// its write, then gone.
	mono = base + 20*sec + ttl - 1
	assert.Less(t, c.reading(wall(0), mono), during, "the entry written during the step lives its TTL...")
	mono++
	assert.GreaterOrEqual(t, c.reading(wall(0), mono), during, "...and no longer (not an hour more)")
	mono = base + 21*sec + ttl - 1
	assert.Less(t, c.reading(wall(0), mono), after)
	mono++
	assert.GreaterOrEqual(t, c.reading(wall(0), mono), after, "written after the correction: lives its TTL")
}

// TestCoarse_SuspendAndJumpBack: a suspend (monotonic clock stopped, wall
// clock ran on) makes deadlines pass; a jump back is ignored.
func TestCoarse_SuspendAndJumpBack(t *testing.T) {
	c := NewCoarse(time.Millisecond)
	base := int64(1_800_000_000) * sec
	now := c.reading(base, base)
	d := now + 60*sec
	assert.GreaterOrEqual(t, c.reading(base+3600*sec, base+sec), d, "after an hour of suspend the deadline has passed")
	now = c.reading(base+3600*sec-7200*sec, base+2*sec)
	assert.Equal(t, base+3600*sec+sec, now, "wall clock set back two hours: ignored, time goes on")
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
		assert.False(t, c.running())
		assert.Equal(t, time.Now().UnixNano(), c.Now(), "stopped: exact time again")
		assert.Panics(t, c.Release, "Release without Acquire")
		// No sleep: the goroutine exits when released, not at its next
		// tick. synctest.Test panics if it is still blocked when f returns.
	})
}

// TestCoarse_RestartAfterRelease: a clock released and acquired again
// before its old goroutine noticed runs one goroutine, which keeps time.
func TestCoarse_RestartAfterRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCoarse(time.Millisecond)
		for range 10 {
			c.Acquire()
			c.Release()
		}
		c.Acquire()
		time.Sleep(10*time.Millisecond + 500*time.Microsecond) // between two ticks
		assert.Equal(t, time.Now().Add(-500*time.Microsecond).UnixNano(), c.Now(), "the 10 ms tick")
		c.Release()
	})
}

func TestDefault(t *testing.T) {
	assert.Same(t, Default(), Default())
	assert.Equal(t, DefaultResolution, Default().Resolution())
	assert.LessOrEqual(t, DefaultResolution, 10*time.Millisecond)
	assert.Panics(t, func() { NewCoarse(0) })
}

// TestCoarse_ReleaseFromOutsideTheBubble: the last Release of a clock
// started in a bubble, called from outside it, stops the clock at once and
// its goroutine at its next tick.
func TestCoarse_ReleaseFromOutsideTheBubble(t *testing.T) {
	calls := make(chan func())
	done := make(chan struct{})
	go func() {
		for f := range calls {
			f()
			done <- struct{}{}
		}
	}()
	defer close(calls)
	synctest.Test(t, func(t *testing.T) {
		c := NewCoarse(time.Millisecond)
		c.Acquire()
		time.Sleep(10 * time.Millisecond)
		calls <- c.Release
		<-done
		assert.False(t, c.running())
		assert.Equal(t, time.Now().UnixNano(), c.Now())
		time.Sleep(2 * time.Millisecond) // the goroutine's next tick: it exits
	})
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
	m.Set(start.Add(time.Hour))
	assert.Equal(t, start.Add(time.Hour).UnixNano(), m.Now())
	m.Advance(0)
	m.Set(m.Time())
	assert.Equal(t, 4, ran, "maintenance runs on every move")
	cancel()
	m.Advance(time.Second)
	assert.Equal(t, 4, ran)
}

// TestManual_KeepsTheClockContract is issue 10 item 4: a manual clock
// neither reads before the epoch (deadline arithmetic and "0 means never"
// would make entries live for ever) nor goes backwards.
func TestManual_KeepsTheClockContract(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.PanicsWithValue(t, "clock: NewManual(0001-01-01 00:00:00 +0000 UTC): a clock cannot read before 1970-01-01 UTC "+
		"(times are nanoseconds since the Unix epoch, and a cache reads deadline 0 as \"never\"); "+
		"start a manual clock at a real date, e.g. time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)",
		func() { NewManual(time.Time{}) })
	assert.Panics(t, func() { NewManual(time.Unix(-1, 0)) })
	assert.Panics(t, func() { NewManual(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)) })
	assert.Equal(t, int64(0), NewManual(time.Unix(0, 0)).Now(), "the epoch itself is a time")
	assert.Equal(t, int64(math.MaxInt64), NewManual(time.Unix(0, math.MaxInt64)).Now())

	m := NewManual(start)
	assert.PanicsWithValue(t, "clock: Manual.Advance(-1ns): a clock never goes backwards", func() { m.Advance(-1) })
	assert.Panics(t, func() { m.Set(start.Add(-time.Second)) })
	assert.Panics(t, func() { m.Set(time.Time{}) })
	assert.Panics(t, func() { m.Advance(math.MaxInt64) }, "overflow")
	assert.Equal(t, start.UnixNano(), m.Now(), "unchanged by the refused moves")
}

func TestManual_ConcurrentMovesNeverGoBack(t *testing.T) {
	m := NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			last := m.Now()
			for i := range 1000 {
				if g%2 == 0 {
					m.Advance(time.Millisecond)
				} else {
					func() {
						defer func() { recover() }() // another goroutine may have moved past t
						m.Set(m.Time().Add(time.Duration(i)))
					}()
				}
				now := m.Now()
				if now < last {
					t.Errorf("went back from %d to %d", last, now)
					return
				}
				last = now
			}
		})
	}
	wg.Wait()
}

// TestCoarseRunning_Hook checks that the internal hook reports whether the
// clock's goroutine runs, with and without users.
func TestCoarseRunning_Hook(t *testing.T) {
	c := NewCoarse(time.Millisecond)
	assert.False(t, testhook.CoarseRunning(c))
	c.Acquire()
	assert.True(t, testhook.CoarseRunning(c))
	c.Release()
	assert.False(t, testhook.CoarseRunning(c))
}
