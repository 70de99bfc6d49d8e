package writeback_test

// Tests for issue 10, item 15: the codec adapter keeps the bulk and
// transaction paths, and a decorator can embed KV.

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/hotcache/hotcache/writeback/storetest"
	"github.com/stretchr/testify/require"
)

// calls counts the write calls of each kind that reach a memstore through
// the views below.
type calls struct {
	single, many, tx atomic.Int64
}

// singleOnly is a memstore showing only KV; it embeds KV (a decorator),
// overriding Store to count.
type singleOnly struct {
	writeback.KV[string, string]
	n *calls
}

func (s singleOnly) Store(ctx context.Context, k, v string) error {
	s.n.single.Add(1)
	return s.KV.Store(ctx, k, v)
}

// bulkOnly adds the memstore's BulkStore.
type bulkOnly struct {
	singleOnly
	mem *memstore.Store[string, string]
}

func (s bulkOnly) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	s.n.many.Add(1)
	return s.mem.StoreMany(ctx, es)
}

func (s bulkOnly) DeleteMany(ctx context.Context, keys []string) error {
	s.n.many.Add(1)
	return s.mem.DeleteMany(ctx, keys)
}

// txOnly adds the memstore's TxStore.
type txOnly struct {
	singleOnly
	mem *memstore.Store[string, string]
}

func (s txOnly) InTx(ctx context.Context, fn func(writeback.KV[string, string]) error) error {
	s.n.tx.Add(1)
	return s.mem.InTx(ctx, fn)
}

// both has both.
type both struct {
	bulkOnly
}

func (s both) InTx(ctx context.Context, fn func(writeback.KV[string, string]) error) error {
	s.n.tx.Add(1)
	return s.mem.InTx(ctx, fn)
}

var (
	enc = func(v int) (string, error) {
		if v < 0 {
			return "", errors.New("negative")
		}
		return strconv.Itoa(v), nil
	}
	dec = strconv.Atoi
)

func TestWithCodec_KeepsCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name         string
		inner        func(*memstore.Store[string, string], *calls) writeback.KV[string, string]
		bulk, tx     bool
		wantSingle   bool
		wantMany     bool
		wantTxWrites bool
	}{
		{"single", func(m *memstore.Store[string, string], n *calls) writeback.KV[string, string] {
			return singleOnly{m, n}
		}, false, false, true, false, false},
		{"bulk", func(m *memstore.Store[string, string], n *calls) writeback.KV[string, string] {
			return bulkOnly{singleOnly{m, n}, m}
		}, true, false, false, true, false},
		{"tx", func(m *memstore.Store[string, string], n *calls) writeback.KV[string, string] {
			return txOnly{singleOnly{m, n}, m}
		}, false, true, false, false, true},
		{"bulk and tx", func(m *memstore.Store[string, string], n *calls) writeback.KV[string, string] {
			return both{bulkOnly{singleOnly{m, n}, m}}
		}, true, true, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			mem, n := memstore.New[string, string](), &calls{}
			s := writeback.WithCodec(tc.inner(mem, n), enc, dec)
			_, isBulk := s.(writeback.BulkStore[string, int])
			_, isTx := s.(writeback.TxStore[string, int])
			require.Equal(t, tc.bulk, isBulk, "implements BulkStore")
			require.Equal(t, tc.tx, isTx, "implements TxStore")

			b, err := writeback.New(s, writeback.Options{MaxBatch: 100, MaxDelay: time.Hour,
				Clock: clock.NewManual(time.Unix(1_700_000_000, 0))})
			require.NoError(t, err)
			for i := range 50 {
				require.NoError(t, b.Store(ctx, strconv.Itoa(i), i))
			}
			require.NoError(t, b.Close(ctx))
			require.Len(t, mem.Snapshot(), 50)
			require.Equal(t, "7", mem.Snapshot()["7"])
			require.Equal(t, tc.wantSingle, n.single.Load() == 50, "one Store per key: %d", n.single.Load())
			require.Equal(t, tc.wantMany, n.many.Load() == 1, "one StoreMany: %d", n.many.Load())
			require.Equal(t, tc.wantTxWrites, n.tx.Load() == 1, "one transaction: %d", n.tx.Load())

			v, err := s.Load(ctx, "7")
			require.NoError(t, err)
			require.Equal(t, 7, v)
			require.NoError(t, mem.Store(ctx, "bad", "x"))
			_, err = s.Load(ctx, "bad")
			require.ErrorIs(t, err, strconv.ErrSyntax)
			_, err = s.Load(ctx, "absent")
			require.ErrorIs(t, err, shard.ErrNotFound)
			require.EqualError(t, s.Store(ctx, "neg", -1), "writeback: encode the value of neg: negative")
			if tc.bulk {
				err := s.(writeback.BulkStore[string, int]).StoreMany(ctx,
					[]writeback.Entry[string, int]{{Key: "ok", Value: 1}, {Key: "neg", Value: -1}})
				require.Error(t, err)
				_, err = mem.Load(ctx, "ok")
				require.ErrorIs(t, err, shard.ErrNotFound, "an encoding error fails the bulk call whole")
			}
			if tc.tx {
				err := s.(writeback.TxStore[string, int]).InTx(ctx, func(tx writeback.KV[string, int]) error {
					require.NoError(t, tx.Store(ctx, "in-tx", 5))
					v, err := tx.Load(ctx, "in-tx")
					require.NoError(t, err)
					require.Equal(t, 5, v)
					return tx.Store(ctx, "neg", -1)
				})
				require.Error(t, err)
				_, err = mem.Load(ctx, "in-tx")
				require.ErrorIs(t, err, shard.ErrNotFound, "an encoding error rolls the transaction back")
			}
		})
	}
}

// The conformance suite, through a codec: every mode of the memstore
// stays reachable.
func TestWithCodec_Conformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store {
		return writeback.WithCodec(writeback.KV[string, string](memstore.New[string, string]()),
			func(v []byte) (string, error) { return string(v), nil },
			func(s string) ([]byte, error) { return []byte(s), nil })
	})
}
