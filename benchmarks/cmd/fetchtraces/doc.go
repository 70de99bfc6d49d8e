// Command fetchtraces downloads the cache traces that the repository does
// not ship (ARC, LIRS, CloudPhysics, Scarab and Corda: their sources state no
// licence that allows redistribution) from their public sources, converts
// each to the keys or arc format that cmd/compare reads, checks the SHA-256
// of both the download and the converted trace against the table in
// benchmarks.FetchSources, and writes it gzip-compressed under -dir.
//
// Usage, inside the benchmarks module:
//
//	go run ./cmd/fetchtraces [-dir traces/fetched] [-only OLTP,lirs-loop]
//
// The ARC traces are zstd-compressed at their source and the CloudPhysics
// and Scarab traces xz-compressed; decompressing them needs the zstd and xz
// commands (Debian/Ubuntu: apt-get install zstd xz-utils; macOS: brew
// install zstd xz). A trace whose tool is missing fails with an error that
// names the tool; the others are still fetched. The LIRS and Corda traces are
// gzip and need nothing.
//
// A trace already present under -dir with the right checksum is not
// downloaded again. A trace whose checksum does not match is not written.
package main
