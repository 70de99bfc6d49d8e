// Package clock provides the time sources hotcache reads: a shared coarse
// clock that one goroutine advances, and a manual clock for tests.
//
// Times are int64 nanoseconds since the Unix epoch, never negative and never
// decreasing. A cache stores absolute deadlines in that unit and compares
// them with [Clock.Now] on every read, so reading the clock must cost one
// atomic load.
//
// # The coarse clock
//
// [Coarse] is pessimistic and keeps moving: its time is the monotonic
// reading plus the largest wall-minus-monotonic offset seen so far. A
// deadline therefore counts as passed as soon as it has passed on the wall
// clock (a jump forward, or a suspend during which the monotonic clock
// stopped), a jump back is ignored, and after a jump forward is corrected
// time goes on at the monotonic rate instead of standing still.
//
// Its goroutine only keeps time. Each cache sweeps its expired entries on a
// goroutine of its own (a timer's, about once a second), so a slow
// eviction callback delays only that cache's sweep. The goroutine runs while some cache uses the
// clock and stops when the last one is closed or garbage-collected.
//
// How late can an entry be served? Now lags the true time by the time since
// the goroutine last ran: at most one resolution plus the delay with which
// the Go scheduler runs it once its ticker fires. That delay is microseconds
// on an idle machine, and grows with contention: with every processor busy
// it is about a scheduler time slice (10 ms), and more on an overloaded
// host. BenchmarkDefaultClockLag measures it.
//
// # Testing code that uses a cache
//
// Two patterns give tests exact control of time, without sleeps.
//
// A [Manual] clock, passed as the cache's Clock option: entries expire
// exactly when the test moves the clock past their deadlines with
// [Manual.Advance] or [Manual.Set], and the cache's sweep of expired entries
// (with its eviction callbacks) runs inside that call, on the test's
// goroutine. Start it at a real date (it refuses times before 1970) and move
// it forward only.
//
//	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
//	c := shard.Must(shard.Options[string, int]{Capacity: 100, TTL: time.Minute, Clock: clk})
//	defer c.Close()
//	c.Set("k", 1)
//	clk.Advance(time.Minute) // "k" has expired, and is reclaimed
//
// testing/synctest, for code that builds its own caches with the default
// clock (a controller under test): a cache built inside a bubble without a
// Clock option gets a clock of its own that reads the bubble's fake time,
// even while the shared clock runs outside the bubble for
// other caches, and its sweep runs on a timer of the bubble. Close the cache
// before the bubble's function returns, and nothing of it is left in the
// bubble (a cache left open leaves only its timer, no goroutine). Do not
// pass [Default] explicitly inside a bubble: it keeps real time.
//
//	synctest.Test(t, func(t *testing.T) {
//		c := shard.Must(shard.Options[string, int]{Capacity: 100, TTL: time.Minute})
//		defer c.Close()
//		c.Set("k", 1)
//		time.Sleep(61 * time.Second) // fake time: returns at once
//		_, ok := c.Get("k")          // false
//	})
package clock
