//go:build !(386 || amd64 || arm64 || ppc64 || ppc64le || s390x || wasm)

package core

import "unsafe"

// load64 and load32 read 8 and 4 bytes at p, little-endian, a byte at a
// time: these targets may fault on an unaligned word load.
//
// Safety: the bytes at p are readable.
func load64(p unsafe.Pointer) uint64 {
	b := (*[8]byte)(p)
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func load32(p unsafe.Pointer) uint32 {
	b := (*[4]byte)(p)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
