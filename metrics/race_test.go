//go:build race

package metrics_test

// raceEnabled: the race detector slows filling a cache tenfold, and makes
// benchmark numbers meaningless anyway; the benchmarks use smaller caches.
const raceEnabled = true
