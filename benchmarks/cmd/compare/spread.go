package main

import (
	"fmt"
	"slices"
)

// minMax returns the smallest and largest of xs (0, 0 for none).
func minMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

// opsRange formats the spread of throughput samples in millions of
// operations per second, "[lo–hi]", or "" when there is a single sample
// (no spread to show).
func opsRange(samples []float64) string {
	if len(samples) < 2 {
		return ""
	}
	lo, hi := minMax(samples)
	return fmt.Sprintf(" [%.1f–%.1f]", lo/1e6, hi/1e6)
}
