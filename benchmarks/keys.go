package benchmarks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Zipf returns count ranks in [0, n) drawn from a Zipf distribution with
// exponent s > 0 (rank r has probability proportional to (r+1)^-s, so rank 0
// is the most popular), deterministic for a seed. Unlike math/rand's Zipf it
// accepts s <= 1: it samples by binary search in the exact cumulative
// distribution, which costs 8n bytes while it runs.
func Zipf(s float64, n, count int, seed uint64) ([]uint64, error) {
	if !(s > 0) || n <= 0 || count < 0 {
		return nil, fmt.Errorf("benchmarks: Zipf needs s > 0, n > 0, count >= 0; got s=%v n=%d count=%d", s, n, count)
	}
	cdf := make([]float64, n)
	sum := 0.0
	for i := range cdf {
		sum += math.Pow(float64(i+1), -s)
		cdf[i] = sum
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]uint64, count)
	for i := range out {
		u := r.Float64() * sum
		out[i] = uint64(sort.SearchFloat64s(cdf, u))
	}
	return out, nil
}

// Scramble maps ranks to well-spread uint64 keys, one to one, so that
// popular keys are not small consecutive integers (which would flatter
// identity-hashed caches).
func Scramble(ranks []uint64) []uint64 {
	out := make([]uint64, len(ranks))
	for i, r := range ranks {
		out[i] = mix(r)
	}
	return out
}

// mix is a bijection on uint64 (splitmix64's finalizer).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// StringKeys turns uint64 keys into 24-byte strings ("key-" and 20 digits),
// sharing one string per distinct key.
func StringKeys(keys []uint64) []string {
	seen := make(map[uint64]string)
	out := make([]string, len(keys))
	for i, k := range keys {
		s, ok := seen[k]
		if !ok {
			s = StringKey(k)
			seen[k] = s
		}
		out[i] = s
	}
	return out
}

// StringKey is the string form of one key used by [StringKeys].
func StringKey(k uint64) string { return fmt.Sprintf("key-%020d", k) }
