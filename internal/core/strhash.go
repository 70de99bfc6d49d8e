package core

import (
	"math/bits"
	"unsafe"
)

// The string hash: a wyhash-style hash (after Wang Yi's wyhash, whose
// primitive is the folded 64×64→128-bit product) with every constant drawn
// at random per cache. See HashString for why it, and not XXH64 or
// hash/maphash, hashes string keys.

// mum returns the 128-bit product of a and b folded to 64 bits (high XOR
// low). math/bits.Mul64 compiles to one MUL instruction on 64-bit targets.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashMid hashes the 8 <= n <= 16 bytes at p under seed, in a body small
// enough to inline (two multiplications): a and b are two 8-byte loads
// that together cover every byte (they overlap when n < 16; the length is
// mixed in before the second multiplication).
//
// Safety: p points to n readable bytes, 8 <= n <= 16.
func hashMid(seed Seed, p unsafe.Pointer, n int) uint64 {
	hi, lo := bits.Mul64(load64(p)^seed.s0, load64(unsafe.Add(p, n-8))^seed.word)
	hi, lo = bits.Mul64(hi^lo^uint64(n), seed.s1)
	return hi ^ lo
}

// hashOther hashes the n bytes at p under seed: 8 to 16 as hashMid does
// (and equal to it), fewer as hashMid does with narrower loads (for n in
// 4..7, two overlapping 4-byte loads; for n in 1..3, the first, middle and
// last byte), more as below.
//
// Safety: p points to n readable bytes (n may be 0, p then unused).
func hashOther(seed Seed, p unsafe.Pointer, n int) uint64 {
	if n > 16 {
		if n <= 32 {
			return hashPair(seed, p, n) // what follows computes for 17..32 bytes
		}
		// Each 16-byte block (the last one overlapping the one before
		// it when n is not a multiple of 16) is multiplied as in hashMid,
		// with a secret of its own for each position in a group of four
		// blocks; a group's products are summed by XOR and chained into
		// the next group's. Up to 64 bytes the four products are
		// independent, so the CPU overlaps them: the latency is about that
		// of a short key's two multiplications.
		// Offsets, not moving pointers: a pointer one past the key's end
		// is invalid (checkptr, under -race, rejects it).
		m := seed.rest()
		h, i := seed.word, 0
		for ; n-i > 64; i += 64 {
			q := unsafe.Add(p, i)
			h = mum(load64(q)^seed.s0, load64(unsafe.Add(q, 8))^h) ^
				mum(load64(unsafe.Add(q, 16))^seed.s1, load64(unsafe.Add(q, 24))^h) ^
				mum(load64(unsafe.Add(q, 32))^m.s2, load64(unsafe.Add(q, 40))^h) ^
				mum(load64(unsafe.Add(q, 48))^m.s3, load64(unsafe.Add(q, 56))^h)
		}
		// 1..64 bytes left from i, and n >= 16.
		q, left := unsafe.Add(p, i), n-i
		x := mum(load64(unsafe.Add(p, n-16))^seed.s0, load64(unsafe.Add(p, n-8))^h)
		if left > 16 {
			x ^= mum(load64(q)^seed.s1, load64(unsafe.Add(q, 8))^h)
		}
		if left > 32 {
			x ^= mum(load64(unsafe.Add(q, 16))^m.s2, load64(unsafe.Add(q, 24))^h)
		}
		if left > 48 {
			x ^= mum(load64(unsafe.Add(q, 32))^m.s3, load64(unsafe.Add(q, 40))^h)
		}
		return mum(x^uint64(n), seed.s1)
	}
	var a, b uint64
	switch {
	case n >= 8:
		a, b = load64(p), load64(unsafe.Add(p, n-8))
	case n >= 4:
		a, b = uint64(load32(p)), uint64(load32(unsafe.Add(p, n-4)))
	case n > 0:
		a = uint64(*(*byte)(p))<<16 | uint64(*(*byte)(unsafe.Add(p, n>>1)))<<8 | uint64(*(*byte)(unsafe.Add(p, n-1)))
	}
	return mum(mum(a^seed.s0, b^seed.word)^uint64(n), seed.s1)
}

// hashPair hashes the 17 <= n <= 32 bytes at p under seed as hashOther
// does (which calls it for them): the first and the last 16 bytes
// (overlapping when n < 32), each multiplied by mul16, then the length
// mixed in. It is too large to inline, but its two parts inline, so
// Engine.GetKey writes it out.
//
// Safety: p points to n readable bytes, 17 <= n <= 32.
func hashPair(seed Seed, p unsafe.Pointer, n int) uint64 {
	return mum(mul16(unsafe.Add(p, n-16), seed.s0, seed.word)^mul16(p, seed.s1, seed.word)^uint64(n), seed.s1)
}

// mul16 is the folded product of the two 8-byte words at p, XORed with a
// and b.
//
// Safety: p points to 16 readable bytes.
func mul16(p unsafe.Pointer, a, b uint64) uint64 {
	hi, lo := bits.Mul64(load64(p)^a, load64(unsafe.Add(p, 8))^b)
	return hi ^ lo
}
