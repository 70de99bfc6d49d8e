package evictq

import "unsafe"

// Sketch estimates how often keys were used: a count-min sketch of 4-bit
// counters that halves every counter once it has counted sketchPeriod
// times as many uses as it is sized for, so old popularity fades (the
// TinyLFU scheme of Einziger, Friedman and Manes, "TinyLFU: A Highly
// Efficient Cache Admission Policy", 2017).
//
// In a sketch of more than flatWords words, a key's four counters all sit
// in one block of eight words (64 bytes, one cache line, aligned as one),
// one counter in each pair of words: counting or estimating a key costs
// one cache miss rather than four. At a million entries the sketch is
// megabytes, far beyond the CPU's caches, and the admission of one insert
// reads three keys' counters (the candidate's and the victim's estimates,
// the candidate's increment), so four lines per key made the sketch the
// largest cost of a write after the index (issue 22; Caffeine's frequency
// sketch made the same change). Blocks share no counters, so the keys of
// a block collide more often than in a sketch spread over the whole
// table: on small caches, whose sketch stays in the CPU's caches anyway,
// that cost up to 0.65 points of hit ratio (lirs-gli at 126 entries), so
// a sketch of up to flatWords words spreads a key's counters over all of
// it, as before.
//
// The zero value counts nothing until Resize gives it room. Not safe for
// concurrent use.
type Sketch struct {
	table   []uint64 // table[0] is 64-byte aligned
	mask    uint64   // blocked: blocks-1; flat: words-1
	blocked bool     // counters in blocks of blockWords words
	adds    int
	resetAt int
}

// blockWords is how many words make a block: 64 bytes.
const blockWords = 8

// flatWords is the size of the largest sketch that is not blocked: 16 KiB.
const flatWords = 1 << 11

// sketchPeriod is how many uses per key the sketch counts between two
// halvings. TinyLFU uses 10 for a sketch that sees every access; a Queue's
// sketch sees fewer (writes, and at most one read per node per pass of the
// hand), and 15 kept popular keys long enough on the small-capacity replays
// of the P3 and P6 disk traces and lirs-loop (up to 1 point better) without
// costing elsewhere; 30 and more lost up to 18 points on P6 at 10% of its
// footprint.
const sketchPeriod = 15

// Resize makes room for about n keys (at least 16) and forgets all counts:
// eight counters per key, in the smallest power of two of words that holds
// them, and at least MinSketchWords (see there) for n of MinSketchWords/8
// keys or more.
func (s *Sketch) Resize(n int) {
	words := blockWords
	for words*2 < n || (n >= MinSketchWords/8 && words < MinSketchWords) {
		words <<= 1
	}
	// One block more than needed, so the table can start on a 64-byte
	// boundary wherever the allocator puts it.
	buf := make([]uint64, words+blockWords)
	off := 0
	for uintptr(unsafe.Pointer(&buf[off]))%(blockWords*8) != 0 {
		off++
	}
	s.table = buf[off : off+words : off+words]
	s.blocked = words > flatWords
	s.mask = uint64(words - 1)
	if s.blocked {
		s.mask = uint64(words/blockWords - 1)
	}
	s.adds = 0
	s.resetAt = sketchPeriod * n
}

// Size returns how many keys the sketch is sized for (0 before Resize).
func (s *Sketch) Size() int { return s.resetAt / sketchPeriod }

// MinSketchWords is the least number of words in the table of a sketch
// sized for MinSketchWords/8 keys or more: 2 KiB (at most 64 bytes per key), which a sketch sized
// by keys alone has from 512 keys on, so the floor changes only queues of
// fewer than 512 entries (shards of caches below 4096 entries on 2 CPUs)
// and adds nothing per entry to a large cache.
//
// A small queue's own table (a word per two keys) sees many more keys than
// it holds, and collisions raise most estimates: lirs-multi3 at 372 entries
// (two queues of 186, tables of 128 words) had 40.1% hits (medians of 25
// seeds) against otter's 42.0%; with 256 words 41.7%. Measured on the
// small part of the hit-ratio matrix (5 runs of 5 seeds), the floor gained
// 0.3 to 1.6 points on OLTP at 500 and 2000, cache2k-web07 at 1024,
// lirs-cpp at 61, lirs-gli at 126, lirs-multi1 at 130 and 521, lirs-multi2
// at 284 and lirs-ps at 154, moved the other cells by less, and cost 0.5
// on lirs-cs at 281 (still 0.4 above otter). 512 words gained
// more on lirs-multi3 (42.7%) but lost 1.1 points more than 256 on lirs-cs
// at 70 and 0.3 on lirs-backf at 37 (11 seeds, the queues replayed alone).
const MinSketchWords = 256

// The multiplier and step of the flat sketch, and the blocked sketch's
// multipliers. Flat, counter i (0..3) of hash h sits at the word and shift
// that locate((h+i*seed)*mult) gives. Since multiplication distributes
// over addition mod 2^64, that is locate(h*mult + i*step): one
// multiplication per key rather than one per counter.
const (
	sketchSeed = 0x9e3779b97f4a7c15
	sketchMult = 0xbf58476d1ce4e5b9
	sketchStep = sketchSeed * sketchMult & (1<<64 - 1)
)

// block returns the first word of the block of the key with hash h, in a
// blocked sketch, and 20 bits that pick its counters: for counter i
// (0..3), bit 5i picks a word of the block's i-th pair and bits 5i+1 to
// 5i+4 the counter in it (see blockAt).
func (s *Sketch) block(h uint64) (first, pick uint64) {
	x := h * sketchMult
	x ^= x >> 29
	x *= sketchSeed
	return (x & s.mask) * blockWords, x >> 40
}

// blockAt returns the word (within the block) and the shift of counter i
// that pick selects.
func blockAt(i, pick uint64) (word uint64, shift uint) {
	p := pick >> (5 * i)
	return 2*i + p&1, uint(p>>1&15) * 4
}

// locate returns the word and bit offset of the counter that x selects, in
// a flat sketch.
func (s *Sketch) locate(x uint64) (word uint64, shift uint) {
	x ^= x >> 31
	return x & s.mask, uint(x>>60) * 4
}

// Increment counts one use of the key with hash h.
func (s *Sketch) Increment(h uint64) {
	if s.table == nil {
		return
	}
	added := false
	if s.blocked {
		b, p := s.block(h)
		blk := (*[blockWords]uint64)(s.table[b : b+blockWords])
		for i := range uint64(4) {
			w, sh := blockAt(i, p)
			if (blk[w&(blockWords-1)]>>sh)&0xf < 15 {
				blk[w&(blockWords-1)] += 1 << sh
				added = true
			}
		}
	} else {
		x := h * sketchMult
		for range 4 {
			w, sh := s.locate(x)
			if (s.table[w]>>sh)&0xf < 15 {
				s.table[w] += 1 << sh
				added = true
			}
			x += sketchStep
		}
	}
	if added {
		s.adds++
		if s.adds >= s.resetAt {
			s.halve()
		}
	}
}

// Frequency returns the estimated number of recent uses of the key with
// hash h, 0 to 15. It never underestimates counts since the last halving.
func (s *Sketch) Frequency(h uint64) int {
	if s.table == nil {
		return 0
	}
	f := uint64(15)
	if s.blocked {
		b, p := s.block(h)
		blk := (*[blockWords]uint64)(s.table[b : b+blockWords])
		for i := range uint64(4) {
			w, sh := blockAt(i, p)
			f = min(f, blk[w&(blockWords-1)]>>sh&0xf)
		}
		return int(f)
	}
	x := h * sketchMult
	for range 4 {
		w, sh := s.locate(x)
		f = min(f, s.table[w]>>sh&0xf)
		x += sketchStep
	}
	return int(f)
}

// halve divides every counter by two.
func (s *Sketch) halve() {
	for i, w := range s.table {
		s.table[i] = (w >> 1) & 0x7777777777777777
	}
	s.adds /= 2
}
