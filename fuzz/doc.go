// Package fuzz holds hotcache's fuzz targets. It has no non-test code.
//
//	go test ./fuzz -run '^$' -fuzz FuzzCache -fuzztime 1m
//
// Seeds live under testdata/fuzz/<Target>/; every input the fuzzer finds to
// fail is kept there so that `go test ./fuzz` replays it forever.
package fuzz
