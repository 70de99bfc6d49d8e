package sqlitestore

import (
	"context"
	"fmt"
	"testing"
	"time"

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
			var store writeback.KV[string, []byte] = s
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

// hiding is a codec written as a plain decorator: it embeds the store and
// converts values, and so hides StoreMany and InTx.
type hiding struct {
	writeback.KV[string, []byte]
}

func (h hiding) Load(ctx context.Context, k string) (string, error) {
	v, err := h.KV.Load(ctx, k)
	return string(v), err
}

func (h hiding) Store(ctx context.Context, k, v string) error { return h.KV.Store(ctx, k, []byte(v)) }

// BenchmarkCodecDrain drains 2,000 buffered writes of string values into
// SQLite, per op, through writeback.WithCodec (which keeps the bulk path)
// and through a decorator that hides it (one transaction per key).
func BenchmarkCodecDrain(b *testing.B) {
	const writes = 2000
	value := "a session record of about sixty-four bytes, as a token store has"
	for _, name := range []string{"WithCodec", "hiding"} {
		b.Run(name, func(b *testing.B) {
			s := open(b, "kv.db")
			var store writeback.KV[string, string] = hiding{s}
			if name == "WithCodec" {
				store = writeback.WithCodec(writeback.KV[string, []byte](s),
					func(v string) ([]byte, error) { return []byte(v), nil },
					func(v []byte) (string, error) { return string(v), nil })
			}
			ctx := b.Context()
			round := 0
			for b.Loop() {
				buf, err := writeback.New(store, writeback.Options{MaxDelay: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				for i := range writes {
					if err := buf.Store(ctx, fmt.Sprint("token-", round, "-", i), value); err != nil {
						b.Fatal(err)
					}
				}
				if err := buf.Close(ctx); err != nil {
					b.Fatal(err)
				}
				round++
			}
			b.ReportMetric(float64(writes*b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
