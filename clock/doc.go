// Package clock provides the time sources hotcache reads: a shared coarse
// clock that one goroutine advances, and a manual clock for tests.
//
// Times are int64 nanoseconds since the Unix epoch. A cache stores absolute
// deadlines in that unit and compares them with [Clock.Now] on every read, so
// reading the clock must cost one atomic load.
//
// The coarse clock is pessimistic: each tick takes the larger of the wall
// reading and the monotonic reading (anchored at the wall time of the first
// tick), and never goes backwards. A deadline therefore counts as passed as
// soon as it has passed on either reading, across wall-clock jumps and system
// suspend.
package clock
