package evictq

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sketchSizes are key counts whose sketches are flat (64, 4096) and
// blocked (4097 and up: more than flatWords words).
var sketchSizes = []int{64, 4096, 4097, 1 << 16}

// newSketch returns a sketch sized for n keys and a generator seeded
// from n and seed.
func newSketch(n int, seed uint64) (*Sketch, *rand.Rand) {
	s := new(Sketch)
	s.Resize(n)
	return s, rand.New(rand.NewPCG(uint64(n), seed))
}

// A count-min sketch may overestimate but never underestimates: every
// key's estimate is at least the number of times it was counted (up to
// 15), until the sketch halves its counters.
func TestSketch_NeverUnderestimates(t *testing.T) {
	for _, n := range sketchSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, r := newSketch(n, 7)
			counts := map[uint64]int{}
			// Fewer uses than the halving period (sketchPeriod × n).
			for range n {
				h := r.Uint64N(uint64(n)) & HashMask
				s.Increment(h)
				counts[h]++
			}
			require.Zero(t, s.adds/s.resetAt, "the sketch halved: the test counts too much")
			for h, c := range counts {
				assert.GreaterOrEqual(t, s.Frequency(h), min(c, 15), "hash %#x counted %d times", h, c)
			}
		})
	}
}

// The estimates must tell frequent keys from rare ones, or admission is a
// coin toss: in a sketch sized for n keys holding n keys, a key counted
// eight times is estimated above a key counted once, in nearly every case.
func TestSketch_SeparatesFrequentFromRare(t *testing.T) {
	for _, n := range sketchSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, r := newSketch(n, 9)
			hashes := make([]uint64, n)
			for i := range hashes {
				hashes[i] = r.Uint64() & HashMask
			}
			hot, cold := hashes[:n/8], hashes[n/8:]
			for range 8 {
				for _, h := range hot {
					s.Increment(h)
				}
			}
			for _, h := range cold {
				s.Increment(h)
			}
			wrong := 0
			for i, h := range hot {
				if s.Frequency(h) <= s.Frequency(cold[i]) {
					wrong++
				}
			}
			assert.LessOrEqual(t, wrong, len(hot)/50, "hot keys not estimated above cold ones")
		})
	}
}

// A blocked sketch keeps a key's four counters in one aligned 64-byte
// block (one cache line), in four different words; a flat one spreads
// them over the table. What the layout is for, so it is asserted.
func TestSketch_BlockedCountersShareALine(t *testing.T) {
	for _, n := range sketchSizes {
		var s Sketch
		s.Resize(n)
		words := len(s.table)
		require.Equal(t, words > flatWords, s.blocked, "n=%d: %d words", n, words)
		require.Zero(t, uintptr(unsafe.Pointer(&s.table[0]))%64, "n=%d: the table is not 64-byte aligned", n)
		r := rand.New(rand.NewPCG(uint64(n), 11))
		lines := map[uint64]bool{}
		for range 1000 {
			w, sh := counters(&s, r.Uint64()&HashMask)
			seen := map[uint64]bool{}
			for i := range 4 {
				require.Less(t, w[i], uint64(words))
				require.Less(t, sh[i], uint(64))
				require.Zero(t, sh[i]%4)
				seen[w[i]] = true
				lines[w[i]/blockWords] = true
			}
			if s.blocked {
				assert.Len(t, seen, 4, "n=%d: a key's counters share a word", n)
				for i := range 4 {
					assert.Equal(t, w[0]/blockWords, w[i]/blockWords, "n=%d: a key's counters on two lines", n)
				}
			}
		}
		// Keys are spread over the whole table either way.
		assert.Greater(t, len(lines), min(words/blockWords, 1000)/2, "n=%d: keys use few of the table's lines", n)
	}
}

// Halving divides every count by two, so old popularity fades.
func TestSketch_Halves(t *testing.T) {
	for _, n := range sketchSizes {
		var s Sketch
		s.Resize(n)
		h := uint64(12345)
		for range 12 {
			s.Increment(h)
		}
		before := s.Frequency(h)
		require.GreaterOrEqual(t, before, 12)
		s.halve()
		assert.Equal(t, before/2, s.Frequency(h), "n=%d", n)
	}
}

// counters returns the words and shifts of the four counters of the key
// with hash h, as Increment and Frequency find them.
func counters(s *Sketch, h uint64) (w [4]uint64, sh [4]uint) {
	if s.blocked {
		b, p := s.block(h)
		for i := range uint64(4) {
			wi, shi := blockAt(i, p)
			w[i], sh[i] = b+wi, shi
		}
		return w, sh
	}
	x := h * sketchMult
	for i := range 4 {
		w[i], sh[i] = s.locate(x)
		x += sketchStep
	}
	return w, sh
}

// counters must be where Increment counts: after one Increment of a key
// in a fresh sketch, exactly its four counters hold 1.
func TestSketch_CountersAreWhereIncrementCounts(t *testing.T) {
	for _, n := range sketchSizes {
		var s Sketch
		s.Resize(n)
		h := uint64(0x1234567) & HashMask
		s.Increment(h)
		w, sh := counters(&s, h)
		want := make([]uint64, len(s.table))
		for i := range 4 {
			want[w[i]] |= 1 << sh[i]
		}
		assert.Equal(t, want, s.table, "n=%d", n)
	}
}
