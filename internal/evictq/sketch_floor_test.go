package evictq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/internal/evictq"
)

// TestSketch_SmallQueueFewCollisions feeds a sketch sized for a queue of
// 186 entries (a shard of lirs-multi3 at 372 entries) once with each of
// the 930 keys such a queue sees between two halvings, and checks that few
// of them are estimated used more than once. With a word per two keys
// (128 words) collisions raised 457 of them (49%); the table's floor of
// MinSketchWords words keeps that to 130 (14%).
func TestSketch_SmallQueueFewCollisions(t *testing.T) {
	var s evictq.Sketch
	s.Resize(186)
	const keys = 930
	for i := range uint64(keys) {
		s.Increment(mix(i) & evictq.HashMask)
	}
	over := 0
	for i := range uint64(keys) {
		f := s.Frequency(mix(i) & evictq.HashMask)
		assert.GreaterOrEqual(t, f, 1, "key %d: a count-min sketch never underestimates", i)
		if f > 1 {
			over++
		}
	}
	t.Logf("%d of %d keys estimated above their one use", over, keys)
	assert.Less(t, over, keys*25/100)
}
