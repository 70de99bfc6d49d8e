package sqlitestore

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/writeback"
	"github.com/stretchr/testify/require"
)

// Issue 17 item 3, on SQLite: a trigger rejects the value "poison" (as a
// CHECK constraint or a foreign key would), which fails and rolls back the
// whole StoreMany transaction, or the InTx one. The 1,023 good keys of a
// 1,024-key batch are stored by the same flush; the rejected one stays
// pending, is named by Flush, and lands once rewritten with a good value.
func TestStore_PoisonValueDoesNotHoldBackItsBatch(t *testing.T) {
	for _, mode := range []string{"bulk", "tx"} {
		t.Run(mode, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, "kv.db")
			for _, op := range []string{"INSERT", "UPDATE"} {
				_, err := s.db.Exec(fmt.Sprintf(`CREATE TRIGGER reject_%[1]s BEFORE %[1]s ON kv
					WHEN CAST(NEW.value AS TEXT) = 'poison' BEGIN SELECT RAISE(ABORT, 'value rejected'); END`, op))
				require.NoError(t, err)
			}
			var kv writeback.KV[string, []byte] = s
			if mode == "tx" {
				kv = txOnly{s, s}
			}
			b, err := writeback.New(kv, writeback.Options{MaxDelay: time.Hour, Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
			require.NoError(t, err)
			defer b.Close(ctx)
			const n, bad = writeback.DefaultMaxBatch, 700
			for i := range n {
				v := "good"
				if i == bad {
					v = "poison"
				}
				require.NoError(t, b.Store(ctx, fmt.Sprint("k", i), []byte(v)))
			}
			b.Tick() // MaxBatch keys pending: one background flush
			st := b.Stats()
			require.Equal(t, 1, st.Pending, "only the rejected key is pending after the first flush")
			require.EqualValues(t, 1, st.Isolated)
			require.EqualValues(t, 1+2*10, st.StoreCalls)
			got := rows(t, s)
			require.Len(t, got, n-1)
			require.NotContains(t, got, fmt.Sprint("k", bad))

			err = b.Flush(ctx)
			var fe *writeback.FlushError[string]
			require.ErrorAs(t, err, &fe)
			require.Equal(t, []string{fmt.Sprint("k", bad)}, fe.Keys)
			require.ErrorContains(t, err, "value rejected")

			require.NoError(t, b.Store(ctx, fmt.Sprint("k", bad), []byte("fixed")))
			require.NoError(t, b.Flush(ctx))
			require.Equal(t, "fixed", rows(t, s)[fmt.Sprint("k", bad)])
			require.Zero(t, b.Stats().Pending)
		})
	}
}

// txOnly shows the store's transactions and hides its bulk methods.
type txOnly struct {
	writeback.KV[string, []byte]
	writeback.TxStore[string, []byte]
}
