package benchmarks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLRUHits_Hand(t *testing.T) {
	// Capacity 2: 1 2 1(hit) 3(evicts 2) 2(evicts 1) 1(evicts 3) 3: one hit.
	// Capacity 3: 1 2 1(hit) 3, then 2 1 3 all hit.
	keys := []uint64{1, 2, 1, 3, 2, 1, 3}
	assert.Equal(t, 1, LRUHits(keys, 2))
	assert.Equal(t, 4, LRUHits(keys, 3))
	assert.Equal(t, 0, LRUHits(keys, 0))
}

func TestOPTHits_Hand(t *testing.T) {
	// Capacity 2: 1 2 1(hit) 3 misses; next uses are 2@4, 1@5, 3@6, so 3 is
	// not kept (admission); then 2 and 1 hit, 3 misses: three hits.
	keys := []uint64{1, 2, 1, 3, 2, 1, 3}
	assert.Equal(t, 3, OPTHits(keys, 2))
	assert.Equal(t, 4, OPTHits(keys, 3))
	assert.Equal(t, 0, OPTHits(keys, 0))
}

func TestOPTHits_AtLeastLRU(t *testing.T) {
	ranks, err := Zipf(0.9, 5000, 50_000, 7)
	require.NoError(t, err)
	for _, c := range []int{1, 10, 100, 1000, 5000} {
		lru, opt := LRUHits(ranks, c), OPTHits(ranks, c)
		assert.GreaterOrEqual(t, opt, lru, "capacity %d", c)
		assert.LessOrEqual(t, opt, len(ranks)-Unique(ranks), "capacity %d: more hits than repeats", c)
	}
}

// TestLRUCachesAreExactLRU is why the hit-ratio tables show one LRU row for
// golang-lru, its expirable variant and ttlcache.
func TestLRUCachesAreExactLRU(t *testing.T) {
	ranks, err := Zipf(0.99, 10_000, 30_000, 8)
	require.NoError(t, err)
	for _, f := range []Factory[uint64]{LRU[uint64](), ExpirableLRU[uint64](), TTLCache[uint64]()} {
		for _, c := range []int{10, 300, 3000} {
			cache := f.New(Config{Capacity: c, Sync: true})
			assert.Equal(t, LRUHits(ranks, c), Replay(cache, ranks), "%s capacity %d", f.Name, c)
			cache.Close()
		}
	}
}

// TestReplay_Hotcache runs the harness end to end: a SIEVE cache on a Zipf
// stream lands between LRU − 5 pp and OPT.
func TestReplay_Hotcache(t *testing.T) {
	ranks, err := Zipf(0.99, 100_000, 200_000, 9)
	require.NoError(t, err)
	c := Caches[uint64]()[0].New(Config{Capacity: 2000, Sync: true})
	defer c.Close()
	hits := Replay(c, ranks)
	n := float64(len(ranks))
	assert.Greater(t, float64(hits)/n, float64(LRUHits(ranks, 2000))/n-0.05)
	assert.LessOrEqual(t, hits, OPTHits(ranks, 2000))
}

// On a loop larger than the cache LRU never hits and OPT keeps what fits:
// the loop trace at half its footprint.
func TestLoopTrace_LRUAndOPT(t *testing.T) {
	tr := loadTrace(t, "keys/lirs-loop.keys.gz")
	require.Len(t, tr.Keys, 505_500)
	u := Unique(tr.Keys)
	require.Equal(t, 1011, u)
	assert.Equal(t, 0, LRUHits(tr.Keys, u/2))
	opt := float64(OPTHits(tr.Keys, u/2)) / float64(len(tr.Keys))
	assert.InDelta(t, 0.49, opt, 0.02)
}

func TestARCTrace_Counts(t *testing.T) {
	tr := loadTrace(t, "arc/OLTP.lis.gz")
	assert.Len(t, tr.Keys, 914_145)
	assert.Equal(t, 186_880, Unique(tr.Keys))
}
