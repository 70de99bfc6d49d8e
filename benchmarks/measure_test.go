package benchmarks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewStream_PowerOfTwo(t *testing.T) {
	s := NewStream(make([]uint64, 1000))
	assert.Len(t, s.Keys, 512)
	assert.Len(t, s.Ops, 512)
	reads := 0
	for _, o := range s.Ops {
		require.Less(t, o, uint8(100))
		if o < 90 {
			reads++
		}
	}
	assert.InDelta(t, 0.9, float64(reads)/512, 0.06)
}

func TestThroughput_CountsOps(t *testing.T) {
	ranks, err := Zipf(0.99, 1<<12, 1<<14, 1)
	require.NoError(t, err)
	s := NewStream(Scramble(ranks))
	c := RWMutexMap[uint64]().New(Config{})
	Prefill(c, s, 1<<10)
	ops := Throughput(c, s, 90, 4, 20*time.Millisecond)
	assert.Greater(t, ops, 1000.0)
}

func TestReadYourWrites_Counts(t *testing.T) {
	keys := Scramble([]uint64{1, 2, 3, 1})
	assert.Equal(t, 0, ReadYourWrites(RWMutexMap[uint64]().New(Config{}), keys))
	assert.Equal(t, 4, ReadYourWrites[uint64](lossy{}, keys))
}

// lossy is a cache that never keeps anything.
type lossy struct{}

func (lossy) Get(uint64) (uint64, bool) { return 0, false }
func (lossy) Set(uint64, uint64)        {}
func (lossy) Close()                    {}

func TestAllocs_Map(t *testing.T) {
	keys := Scramble(make([]uint64, 0))
	for i := range 1000 {
		keys = append(keys, mix(uint64(i)))
	}
	r, err := Allocs(RWMutexMap[uint64](), keys, 100)
	require.NoError(t, err)
	assert.Zero(t, r.GetHit)
	assert.Zero(t, r.SetExisting)
	_, err = Allocs(RWMutexMap[uint64](), keys[:10], 100)
	assert.ErrorContains(t, err, "benchmarks: Allocs needs more than")
}

func TestBytesPerEntry_Map(t *testing.T) {
	keys := make([]uint64, 100_000)
	for i := range keys {
		keys[i] = mix(uint64(i))
	}
	b, n := BytesPerEntry(RWMutexMap[uint64](), keys)
	assert.Equal(t, len(keys), n)
	// A Go map of uint64 pairs costs 16 bytes of slots plus control bytes
	// and load-factor slack: between 16 and 64 bytes an entry.
	assert.Greater(t, b, 16.0)
	assert.Less(t, b, 64.0)
}

// After turnover a bounded cache holds at most its capacity (half the
// keys), and the per-entry figure counts what it kept: an exact LRU of
// uint64 pairs costs a list element and a map slot an entry.
func TestBytesPerEntryAfterTurnover_LRU(t *testing.T) {
	keys := make([]uint64, 200_000)
	for i := range keys {
		keys[i] = mix(uint64(i))
	}
	b, n := BytesPerEntryAfterTurnover(LRU[uint64](), keys)
	assert.Equal(t, len(keys)/2, n, "an exact LRU keeps exactly its capacity")
	assert.Greater(t, b, 48.0)
	assert.Less(t, b, 200.0)
	_, n = BytesPerEntryAfterTurnover(RWMutexMap[uint64](), keys)
	assert.Equal(t, len(keys), n, "an unbounded map keeps every key")
}
