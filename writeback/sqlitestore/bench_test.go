package sqlitestore

import (
	"fmt"
	"testing"

	"github.com/hotcache/hotcache/writeback"
)

// BenchmarkSQLiteWrites makes b.N single writes of distinct keys to a file
// database (WAL, synchronous=NORMAL): straight, each its own transaction,
// or through a Buffer with default options, timed until Close has stored
// them all. TestBuffer_SameRowsAsDirect checks that writes made either way
// leave the same rows.
func BenchmarkSQLiteWrites(b *testing.B) {
	for _, name := range []string{"direct", "buffer"} {
		b.Run(name, func(b *testing.B) {
			s := open(b, "kv.db")
			var store writeback.Store[string, []byte] = s
			var buf *writeback.Buffer[string, []byte]
			if name == "buffer" {
				var err error
				if buf, err = writeback.New[string, []byte](s, writeback.Options{}); err != nil {
					b.Fatal(err)
				}
				store = buf
			}
			ctx := b.Context()
			value := []byte("a session record of about sixty-four bytes, as a token store has")
			// One write first, so that neither side times the creation
			// of the WAL file.
			if err := s.Store(ctx, "warm-up", value); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			// Not b.Loop: it stops the timer when the loop ends, and the
			// drain in Close below must be timed.
			for i := range b.N {
				if err := store.Store(ctx, fmt.Sprint("token-", i), value); err != nil {
					b.Fatal(err)
				}
			}
			if buf != nil {
				if err := buf.Close(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
