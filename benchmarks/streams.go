package benchmarks

import "math/rand/v2"

// Key ranges of the synthetic streams: each kind of request draws from its
// own range, so that phases never share keys by accident.
const (
	hotBase    = 1 << 40
	scanBase   = 2 << 40
	loopBase   = 3 << 40
	recentBase = 4 << 40
)

// ScanLoop returns a deterministic stream of n requests in blocks of 1000:
// 60% of the blocks draw from a Zipf(0.8) hot set of 5000 keys, 20% are
// scans (1000 keys never requested again) and 20% walk on through a loop of
// 5000 keys. The hot set rewards frequency, the scans punish recency, and
// the loop is LRU's worst case at any capacity below 5000.
func ScanLoop(n int, seed uint64) []uint64 {
	const block, loopLen = 1000, 5000
	r := rand.New(rand.NewPCG(seed, seed^0x5ca1ab1e))
	hot, err := Zipf(0.8, 5000, n, seed)
	if err != nil {
		panic(err)
	}
	out := make([]uint64, 0, n)
	scan, loop := uint64(0), uint64(0)
	for len(out) < n {
		kind := r.IntN(10)
		for i := 0; i < block && len(out) < n; i++ {
			switch {
			case kind < 6:
				out = append(out, hotBase+hot[len(out)])
			case kind < 8:
				out = append(out, scanBase+scan)
				scan++
			default:
				out = append(out, loopBase+loop%loopLen)
				loop++
			}
		}
	}
	return out
}

// PhaseShift returns a deterministic stream that cycles cycles times
// through three phases of phaseLen requests each:
//
//   - frequency: Zipf(0.9) over 100 000 keys, the same hot set every cycle;
//   - recency: a moving working set, where 30% of the requests are new keys
//     and the rest re-request one of the 500 newest, so reuse is short but
//     no key stays popular for long;
//   - loop: a cycle over 6000 keys.
//
// Exact LRU wins the recency phase and loses the loop; a frequency filter
// wins the frequency phase and the loop and, unless it adapts, loses the
// recency phase to the keys the frequency phase made popular.
func PhaseShift(cycles, phaseLen int, seed uint64) []uint64 {
	const recentSet, loopLen = 500, 6000
	r := rand.New(rand.NewPCG(seed, seed^0xfa5e))
	freq, err := Zipf(0.9, 100_000, cycles*phaseLen, seed)
	if err != nil {
		panic(err)
	}
	out := make([]uint64, 0, 3*cycles*phaseLen)
	fresh, loop, f := uint64(0), uint64(0), 0
	for range cycles {
		for range phaseLen {
			out = append(out, hotBase+freq[f])
			f++
		}
		for range phaseLen {
			if fresh < recentSet || r.IntN(10) < 3 {
				out = append(out, recentBase+fresh)
				fresh++
			} else {
				out = append(out, recentBase+fresh-1-uint64(r.IntN(recentSet)))
			}
		}
		for range phaseLen {
			out = append(out, loopBase+loop%loopLen)
			loop++
		}
	}
	return out
}
