//go:build 386 || amd64 || arm64 || ppc64 || ppc64le || s390x || wasm

package core

import "unsafe"

// load64 and load32 read 8 and 4 bytes at p in the machine's byte order; p
// need not be aligned: these targets load unaligned words in one
// instruction. (The hash differs between byte orders, which is harmless:
// hashes never leave the process.)
//
// Safety: the bytes at p are readable.
func load64(p unsafe.Pointer) uint64 { return *(*uint64)(p) }

func load32(p unsafe.Pointer) uint32 { return *(*uint32)(p) }
