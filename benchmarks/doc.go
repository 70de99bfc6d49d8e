// Package benchmarks compares hotcache with the caches Go programs use
// instead: one small adapter per cache behind a common [Cache] interface,
// and the measurements the compare command (cmd/compare) runs over them —
// throughput on pre-generated Zipf streams, hit ratio by single-threaded
// replay of synthetic and real traces against an exact LRU and Belady's
// optimum, memory per entry, allocations per operation, and read-your-writes
// failures.
//
// It is a module of its own, so that the competitors never enter hotcache's
// go.mod. Run, inside this folder:
//
//	go run ./cmd/compare           # full run, writes results/
//	go run ./cmd/compare -quick    # under two minutes
//	go test -bench . ./...         # the same workloads as go benchmarks
package benchmarks
