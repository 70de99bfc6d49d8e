// Package flood builds hash-flooding key sets: keys computed so that they all
// collide under the hashes hotcache used before its hashes were seeded
// (generated code version 1), by inverting those hashes. Tests show that
// such a set, which put every key in one shard and one bucket chain, spreads
// under a seeded cache.
package flood

import (
	"encoding/binary"
	"math/bits"
)

// Mix is the unseeded integer hash of old: the SplitMix64 finalizer
// (Stafford's variant 13), which shardimpl.HashUint64 (then shard.HashUint64) applied to the key alone.
// It is a bijection; [Unmix] inverts it.
func Mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Unmix returns the x with Mix(x) == h.
func Unmix(h uint64) uint64 {
	x := unshift(h, 31)
	x *= inverse(0x94d049bb133111eb)
	x = unshift(x, 27)
	x *= inverse(0xbf58476d1ce4e5b9)
	return unshift(x, 30)
}

// unshift inverts x ^= x >> s.
func unshift(y uint64, s uint) uint64 {
	x := y
	for i := s; i < 64; i += s {
		x = y ^ x>>s
	}
	return x
}

// inverse returns the multiplicative inverse of the odd a modulo 2^64
// (Newton's iteration: each step doubles the number of correct low bits).
func inverse(a uint64) uint64 {
	x := a // correct to 3 bits for odd a
	for range 5 {
		x *= 2 - a*x
	}
	return x
}

// collidingHash returns the i-th of the hashes that the key sets below aim
// at: the same low 32 bits (bucket index of any table under 2^32 buckets,
// and the 7-bit tag) and the same top 16 bits (shard index for up to 2^16
// shards); only bits 32..47 differ, so up to 2^16 keys collide completely.
func collidingHash(i int) uint64 { return uint64(i+1)<<32 | 0x5eed_c0de }

// Uint64Keys returns n distinct keys (n <= 65535) whose unseeded hashes,
// Mix(key), all fall in one shard and one bucket and carry one tag.
func Uint64Keys(n int) []uint64 {
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = Unmix(collidingHash(i))
	}
	return keys
}

// XXH64 constants.
const (
	prime1 uint64 = 11400714785074694791
	prime2 uint64 = 14029467366897019727
	prime3 uint64 = 1609587929392839161
	prime4 uint64 = 9650029242287828579
	prime5 uint64 = 2870177450012600261
)

// StringKeys returns n distinct 8-byte keys (n <= 65535) whose unseeded
// string hash of old (XXH64 with seed 0, as shard.HashString, now shardimpl.HashString, was) all fall
// in one shard and one bucket and carry one tag. For an 8-byte input XXH64
// is a bijection of the input word, which is inverted here step by step.
func StringKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], unxxh64(collidingHash(i)))
		keys[i] = string(b[:])
	}
	return keys
}

// unxxh64 returns the little-endian word w whose 8 bytes XXH64 (seed 0)
// hashes to h. Forward, for one 8-byte lane with seed 0:
//
//	acc := prime5 + 8
//	acc ^= bits.RotateLeft64(w*prime2, 31) * prime1
//	acc = bits.RotateLeft64(acc, 27)*prime1 + prime4
//	acc ^= acc >> 33; acc *= prime2; acc ^= acc >> 29; acc *= prime3; acc ^= acc >> 32
func unxxh64(h uint64) uint64 {
	acc := unshift(h, 32)
	acc *= inverse(prime3)
	acc = unshift(acc, 29)
	acc *= inverse(prime2)
	acc = unshift(acc, 33)
	acc = bits.RotateLeft64((acc-prime4)*inverse(prime1), -27)
	k := acc ^ (prime5 + 8)
	return bits.RotateLeft64(k*inverse(prime1), -31) * inverse(prime2)
}

// ZeroProductKeys returns n distinct keys of the given length (16, 32, 48
// or 64; n <= 65535) built against the string hash of issue 22
// (wyhash-style: each 16-byte block contributes the product of its two
// words, each XORed with a secret): the first word of every block is zero
// and only the second varies, so if the secrets XORed into first words
// were zero or known (wyhash's are public constants), every product, and
// so the hash, would be the same for all the keys. The cache's secrets
// are random per cache, so the keys spread.
func ZeroProductKeys(n, length int) []string {
	keys := make([]string, n)
	for i := range keys {
		b := make([]byte, length)
		for off := 8; off < length; off += 16 {
			binary.LittleEndian.PutUint64(b[off:], uint64(i+1)*0x9e3779b97f4a7c15)
		}
		keys[i] = string(b)
	}
	return keys
}
