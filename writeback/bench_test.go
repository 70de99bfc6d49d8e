package writeback_test

import (
	"strconv"
	"testing"

	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// BenchmarkBuffer_Store writes distinct keys (new ones, each a flush's
// worth of bookkeeping) and one hot key (coalescing) through a buffer with
// default options over a memstore, background flushes included.
func BenchmarkBuffer_Store(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	for _, name := range []string{"distinct", "hot"} {
		b.Run(name, func(b *testing.B) {
			buf, err := writeback.New[string, string](memstore.New[string, string](), writeback.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			i := 0
			for b.Loop() {
				k := "hot"
				if name == "distinct" {
					k = keys[i&(len(keys)-1)]
				}
				if err := buf.Store(ctx, k, "v"); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.StopTimer()
			if err := buf.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
