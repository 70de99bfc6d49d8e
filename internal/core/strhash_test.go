package core

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xxh64 is a one-shot XXH64 of b under seed, the candidate the design
// named for routing (cespare/xxhash/v2 takes a seed only through its
// streaming Digest). Written from the algorithm's description; the test
// below checks it against cespare/xxhash/v2's NewWithSeed.
func xxh64(seed uint64, b []byte) uint64 {
	const (
		p1 uint64 = 0x9e3779b185ebca87
		p2 uint64 = 0xc2b2ae3d27d4eb4f
		p3 uint64 = 0x165667b19e3779f9
		p4 uint64 = 0x85ebca77c2b2ae63
		p5 uint64 = 0x27d4eb2f165667c5
	)
	round := func(acc, lane uint64) uint64 { return bits.RotateLeft64(acc+lane*p2, 31) * p1 }
	n := len(b)
	var h uint64
	if n >= 32 {
		v1, v2, v3, v4 := seed+p1+p2, seed+p2, seed, seed-p1
		for ; len(b) >= 32; b = b[32:] {
			v1 = round(v1, binary.LittleEndian.Uint64(b))
			v2 = round(v2, binary.LittleEndian.Uint64(b[8:]))
			v3 = round(v3, binary.LittleEndian.Uint64(b[16:]))
			v4 = round(v4, binary.LittleEndian.Uint64(b[24:]))
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		for _, v := range [...]uint64{v1, v2, v3, v4} {
			h = (h^round(0, v))*p1 + p4
		}
	} else {
		h = seed + p5
	}
	h += uint64(n)
	for ; len(b) >= 8; b = b[8:] {
		h = bits.RotateLeft64(h^round(0, binary.LittleEndian.Uint64(b)), 27)*p1 + p4
	}
	if len(b) >= 4 {
		h = bits.RotateLeft64(h^uint64(binary.LittleEndian.Uint32(b))*p1, 23)*p2 + p3
		b = b[4:]
	}
	for _, c := range b {
		h = bits.RotateLeft64(h^uint64(c)*p5, 11) * p1
	}
	h ^= h >> 33
	h *= p2
	h ^= h >> 29
	h *= p3
	h ^= h >> 32
	return h
}

// TestXXH64_MatchesCespare: the benchmark's XXH64 is XXH64.
func TestXXH64_MatchesCespare(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		seed := r.Uint64()
		d := xxhash.NewWithSeed(seed)
		_, _ = d.Write(b)
		require.Equal(t, d.Sum64(), xxh64(seed, b), "length %d", n)
	}
	require.Equal(t, xxhash.Sum64([]byte("hotcache")), xxh64(0, []byte("hotcache")))
}

// TestHashString_Bytes: a string and its bytes hash alike, at every
// length and offset (the loads are unaligned), through every entry point.
func TestHashString_Bytes(t *testing.T) {
	seed := MakeSeed()
	buf := []byte(strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 8))
	for off := range 8 {
		for n := 0; off+n <= 200; n++ {
			b := buf[off : off+n]
			h := HashBytes(seed, b)
			assert.Equal(t, h, HashString(seed, string(b)), "length %d offset %d", n, off)
			if n >= 8 && n <= 16 {
				assert.Equal(t, h, HashString8to16(seed, string(b)), "length %d offset %d", n, off)
			}
			assert.Equal(t, h, HashString(seed, string(b)), "length %d offset %d", n, off)
		}
	}
}

// TestHashString_Seeded: two seeds hash the same strings differently, at
// every length from 0 to 100 (the empty string too: its hash is the
// seed's).
func TestHashString_Seeded(t *testing.T) {
	a, b := MakeSeed(), MakeSeed()
	s := strings.Repeat("x", 100)
	for n := range 101 {
		assert.NotEqual(t, HashString(a, s[:n]), HashString(b, s[:n]), "length %d", n)
	}
}

// TestHashString_EveryByteCounts: changing any one bit of a key of any
// length up to 100 changes its hash, and flips about half the hash's bits
// on average (avalanche); the length counts too ("a" and "a\x00" differ).
func TestHashString_EveryByteCounts(t *testing.T) {
	seed := MakeSeed()
	r := rand.New(rand.NewPCG(3, 4))
	var flips, pairs int
	for n := 1; n <= 100; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		h := HashBytes(seed, b)
		for i := range n {
			for bit := range 8 {
				b[i] ^= 1 << bit
				h2 := HashBytes(seed, b)
				b[i] ^= 1 << bit
				require.NotEqual(t, h, h2, "length %d: flipping bit %d of byte %d changes nothing", n, bit, i)
				flips += bits.OnesCount64(h ^ h2)
				pairs++
			}
		}
		require.NotEqual(t, h, HashBytes(seed, append(b[:n:n], 0)), "length %d and %d", n, n+1)
	}
	avg := float64(flips) / float64(pairs)
	assert.InDelta(t, 32, avg, 1, "bits flipped on average by a one-bit change")
}

// TestHashString_LaneSwap: keys longer than 16 bytes whose 16-byte blocks
// are the same but in another order hash differently (blocks are summed
// by XOR, so each position needs a secret of its own).
func TestHashString_LaneSwap(t *testing.T) {
	seed := MakeSeed()
	x, y, z, w := strings.Repeat("x", 16), strings.Repeat("y", 16), strings.Repeat("z", 16), strings.Repeat("w", 16)
	seen := map[uint64]string{}
	for _, s := range []string{x + y, y + x, x + y + z, z + y + x, y + x + z, x + y + z + w, w + z + y + x, y + x + z + w,
		x + y + z + w + x, y + x + z + w + x, x + y + z + w + x + y, x + y + z + w + y + x} {
		h := HashString(seed, s)
		require.NotContains(t, seen, h, "%q and %q", s, seen[h])
		seen[h] = s
	}
}

// hashKeys: n keys of the given length, as a cache's keys often are (a
// common prefix, a decimal counter at the end).
func hashKeys(length, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		s := fmt.Sprintf("k%d", i)
		keys[i] = strings.Repeat("registry.example.com/team/image:", 4)[:length-len(s)] + s
	}
	return keys
}

// BenchmarkStringHash compares, on keys of 8 to 100 bytes, the candidate
// hashes for string keys under a per-cache seed: this package's
// wyhash-style hash (as Cache.Get calls it: HashString8to16, inlined, for
// 8–16 bytes, else HashString), hash/maphash.String, XXH64 seeded
// one-shot (xxh64 above), and cespare/xxhash/v2's Digest (NewWithSeed and
// ResetWithSeed, the only way that package takes a seed). The candidates
// run in turn, in blocks of 1024 hashes whose order rotates, so that a
// busy machine slows all alike; each one's median ns per hash over the
// blocks is reported as <candidate>-ns/op, and its ratio to wyhash's as
// <candidate>/wyhash.
func BenchmarkStringHash(b *testing.B) {
	seed := MakeSeed()
	const nkeys = 1024
	// Each candidate hashes the keys in turn, or (latency) the key that
	// the previous hash picks, as a Get's lookup waits for its hash.
	type candidate struct {
		name string
		run  func(keys []string) uint64
	}
	candidates := []candidate{
		{"wyhash", func(keys []string) (sum uint64) {
			for _, s := range keys {
				if n := len(s); n >= 8 && n <= 16 {
					sum += HashString8to16(seed, s)
				} else {
					sum += HashString(seed, s)
				}
			}
			return sum
		}},
		{"maphash", func(keys []string) (sum uint64) {
			for _, s := range keys {
				sum += maphash.String(seed.more.rt, s)
			}
			return sum
		}},
		{"xxh64", func(keys []string) (sum uint64) {
			for _, s := range keys {
				sum += xxh64(seed.word, unsafe.Slice(unsafe.StringData(s), len(s)))
			}
			return sum
		}},
		{"xxhash-digest", func(keys []string) (sum uint64) {
			d := xxhash.NewWithSeed(seed.word)
			for _, s := range keys {
				d.ResetWithSeed(seed.word)
				_, _ = d.WriteString(s)
				sum += d.Sum64()
			}
			return sum
		}},
	}
	latency := func(name string, hash func(string) uint64) candidate {
		return candidate{name + "-latency", func(keys []string) (h uint64) {
			for range keys {
				h = hash(keys[h&(nkeys-1)])
			}
			return h
		}}
	}
	candidates = append(candidates,
		latency("wyhash", func(s string) uint64 {
			if n := len(s); n >= 8 && n <= 16 {
				return HashString8to16(seed, s)
			}
			return HashString(seed, s)
		}),
		latency("maphash", func(s string) uint64 { return maphash.String(seed.more.rt, s) }),
		latency("xxh64", func(s string) uint64 { return xxh64(seed.word, unsafe.Slice(unsafe.StringData(s), len(s))) }))
	for _, n := range []int{8, 16, 24, 32, 48, 64, 100} {
		keys := hashKeys(n, nkeys)
		b.Run(fmt.Sprintf("len=%d", n), func(b *testing.B) {
			times := make([][]float64, len(candidates))
			var sink uint64
			b.ResetTimer()
			for done, round := 0, 0; done < b.N; round++ {
				for j := range candidates {
					c := (j + round) % len(candidates)
					start := time.Now()
					sink += candidates[c].run(keys)
					times[c] = append(times[c], float64(time.Since(start).Nanoseconds())/nkeys)
				}
				done += nkeys
			}
			benchSink = sink
			base := median(times[0])
			for c, ts := range times {
				m := median(ts)
				b.ReportMetric(m, candidates[c].name+"-ns/op")
				if c > 0 {
					b.ReportMetric(m/base, candidates[c].name+"/wyhash")
				}
			}
		})
	}
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

var benchSink uint64
