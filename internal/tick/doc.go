// Package tick holds what the cache engine needs of time beyond reading a
// clock, and no user chooses: the interfaces by which the engine asks a
// clock to run while it is used ([User]) and to schedule its maintenance
// ([Scheduler]), the clock a cache built without one gets ([ForCaller]),
// the repeated timer the engine's maintenance runs on ([Every]), and the
// test of a testing/synctest bubble ([InBubble]). Package clock keeps what a
// user chooses: the shared coarse clock, a clock of another resolution, and
// the manual clock for tests. clock imports this package, never the
// reverse.
//
// Files and their rules:
//
//   - tick.go: a cache's clock (ForCaller), the interfaces the engine asks
//     a clock for (User, Scheduler), and InBubble.
//   - every.go: Every, a function called again and again, each time on a
//     timer's goroutine of its own, with nothing waiting between calls.
//
// Locking: Every's state has one mutex, held only to reset or stop its
// timer; f runs with no lock held, on the timer's goroutine.
package tick
