package benchmarks

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestZipf_Shape(t *testing.T) {
	for _, s := range []float64{0.9, 0.99, 1.2} {
		ranks, err := Zipf(s, 1000, 100_000, 1)
		require.NoError(t, err)
		counts := make([]int, 1000)
		for _, r := range ranks {
			require.Less(t, r, uint64(1000))
			counts[r]++
		}
		// P(0)/P(1) = 2^s: the top rank leads, by about that ratio.
		assert.Greater(t, counts[0], counts[1], "s=%v", s)
		assert.Greater(t, counts[1], counts[99], "s=%v", s)
		assert.InDelta(t, 1.0, float64(counts[0])/float64(counts[1])/math.Pow(2, s), 0.1, "s=%v", s)
	}
}

func TestZipf_Deterministic(t *testing.T) {
	a, err := Zipf(0.99, 100, 1000, 5)
	require.NoError(t, err)
	b, err := Zipf(0.99, 100, 1000, 5)
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestZipf_BadArgs(t *testing.T) {
	_, err := Zipf(0, 10, 10, 1)
	assert.ErrorContains(t, err, "benchmarks: Zipf needs s > 0")
	_, err = Zipf(1, 0, 10, 1)
	assert.Error(t, err)
}

func TestScramble_OneToOne(t *testing.T) {
	in := make([]uint64, 100_000)
	for i := range in {
		in[i] = uint64(i)
	}
	seen := map[uint64]bool{}
	for _, k := range Scramble(in) {
		seen[k] = true
	}
	assert.Len(t, seen, len(in))
}

func TestStringKeys_Shared(t *testing.T) {
	s := StringKeys([]uint64{7, 8, 7})
	assert.Equal(t, []string{"key-00000000000000000007", "key-00000000000000000008", "key-00000000000000000007"}, s)
	assert.Len(t, s[0], 24)
}
