//go:build race

package main

// raceEnabled: the race detector slows gzip about tenfold, so tests that
// read every reference trace read only the small ones.
const raceEnabled = true
