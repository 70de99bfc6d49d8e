package benchmarks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanLoop_Shape(t *testing.T) {
	keys := ScanLoop(100_000, 1)
	require.Len(t, keys, 100_000)
	assert.Equal(t, keys, ScanLoop(100_000, 1), "deterministic for a seed")
	assert.NotEqual(t, keys, ScanLoop(100_000, 2))
	seen := map[uint64]int{}
	var hot, scan, loop int
	for _, k := range keys {
		seen[k]++
		switch k >> 40 {
		case hotBase >> 40:
			hot++
		case scanBase >> 40:
			scan++
		case loopBase >> 40:
			loop++
		default:
			t.Fatalf("key %#x outside the stream's ranges", k)
		}
	}
	for k, n := range seen {
		if k>>40 == scanBase>>40 {
			require.Equal(t, 1, n, "a scan key is requested once")
		}
	}
	assert.InDelta(t, 0.6, float64(hot)/float64(len(keys)), 0.1)
	assert.InDelta(t, 0.2, float64(scan)/float64(len(keys)), 0.1)
	assert.InDelta(t, 0.2, float64(loop)/float64(len(keys)), 0.1)
}

// TestPhaseShift_Phases checks what the stream is for: LRU wins its
// recency phases and loses its loops, where even a cache of the loop's
// size minus one hits nothing with LRU but OPT keeps most.
func TestPhaseShift_Phases(t *testing.T) {
	const phaseLen = 20_000
	keys := PhaseShift(2, phaseLen, 1)
	require.Len(t, keys, 6*phaseLen)
	assert.Equal(t, keys, PhaseShift(2, phaseLen, 1), "deterministic for a seed")
	for c := range 2 {
		base := 3 * phaseLen * c
		freq, rec, loop := keys[base:base+phaseLen], keys[base+phaseLen:base+2*phaseLen], keys[base+2*phaseLen:base+3*phaseLen]
		for _, k := range freq {
			require.Equal(t, uint64(hotBase>>40), k>>40)
		}
		for _, k := range rec {
			require.Equal(t, uint64(recentBase>>40), k>>40)
		}
		for _, k := range loop {
			require.Equal(t, uint64(loopBase>>40), k>>40)
		}
		assert.Greater(t, LRUHits(rec, 1000), phaseLen/2, "recency: LRU of 1000 hits most re-uses")
		assert.Zero(t, LRUHits(loop, 5999), "loop of 6000: LRU never hits")
		assert.Greater(t, OPTHits(loop, 5999), phaseLen/2)
	}
}
