package benchmarks_test

import (
	"fmt"

	"github.com/hotcache/hotcache/benchmarks"
)

// A trace that is not shipped: where cmd/fetchtraces writes it, where it
// downloads it from, and what its source says about its use.
func ExampleFetchSourceByName() {
	s, err := benchmarks.FetchSourceByName("lirs-loop")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.File)
	fmt.Println(s.URL("https://raw.githubusercontent.com"))
	fmt.Println(s.Licence)
	// Output:
	// keys/lirs-loop.keys.gz
	// https://raw.githubusercontent.com/ben-manes/caffeine/ccef95542a9181182a60f5c6c33d2a0642c73574/simulator/src/main/resources/com/github/benmanes/caffeine/cache/simulator/parser/lirs/loop.trace.gz
	// none stated
}
