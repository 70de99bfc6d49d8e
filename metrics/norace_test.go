//go:build !race

package metrics_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = false
