package sqlitestore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/storetest"
	"github.com/stretchr/testify/require"
)

func open(t testing.TB, name string) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), name))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStore_Suite runs the writeback suite on SQLite with bulk, with only
// transactions (bulk hidden), and with single calls.
func TestStore_Suite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, "kv.db") })
}

func TestOpen_Errors(t *testing.T) {
	_, err := Open("")
	require.EqualError(t, err, `sqlitestore: path must be a file name without '?' or '#', got ""`)
	_, err = Open(filepath.Join(t.TempDir(), "no-such-dir", "kv.db"))
	require.ErrorContains(t, err, "sqlitestore: open ")
}

func TestOpen_SetsWALAndSynchronousNormal(t *testing.T) {
	s := open(t, "kv.db")
	var mode string
	var sync int
	require.NoError(t, s.db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, s.db.QueryRow("PRAGMA synchronous").Scan(&sync))
	require.Equal(t, "wal", mode)
	require.Equal(t, 1, sync, "synchronous=NORMAL")
}

func TestStore_BulkAndTx(t *testing.T) {
	ctx := t.Context()
	s := open(t, "kv.db")
	var entries []writeback.Entry[string, []byte]
	var keys []string
	for i := range 1234 { // more than two DELETE chunks
		k := fmt.Sprint("k", i)
		entries = append(entries, writeback.Entry[string, []byte]{Key: k, Value: []byte(k)})
		keys = append(keys, k)
	}
	require.NoError(t, s.StoreMany(ctx, entries))
	require.Len(t, rows(t, s), 1234)
	require.NoError(t, s.DeleteMany(ctx, keys[1:]))
	require.Equal(t, map[string]string{"k0": "k0"}, rows(t, s))

	boom := fmt.Errorf("boom")
	err := s.InTx(ctx, func(tx writeback.KV[string, []byte]) error {
		require.NoError(t, tx.Store(ctx, "a", nil))
		require.NoError(t, tx.Delete(ctx, "k0"))
		_, err := tx.Load(ctx, "k0")
		require.ErrorIs(t, err, shard.ErrNotFound)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, map[string]string{"k0": "k0"}, rows(t, s), "a failed transaction rolls back")
	require.NoError(t, s.InTx(ctx, func(tx writeback.KV[string, []byte]) error { return tx.Store(ctx, "a", nil) }))
	v, err := s.Load(ctx, "a")
	require.NoError(t, err)
	require.Empty(t, v, "a nil value is stored as an empty one")
}

// rows returns the whole table.
func rows(t testing.TB, s *Store) map[string]string {
	t.Helper()
	r, err := s.db.Query("SELECT key, value FROM kv")
	require.NoError(t, err)
	defer r.Close()
	m := map[string]string{}
	for r.Next() {
		var k string
		var v []byte
		require.NoError(t, r.Scan(&k, &v))
		m[k] = string(v)
	}
	require.NoError(t, r.Err())
	return m
}

// writeAll makes n single writes (and some deletes) to s, as the benchmark
// does.
func writeAll(ctx context.Context, s writeback.KV[string, []byte], n int) error {
	for i := range n {
		k := fmt.Sprint("token-", i%(n/2+1))
		var err error
		if i%7 == 6 {
			err = s.Delete(ctx, fmt.Sprint("token-", i/2))
		} else {
			err = s.Store(ctx, k, []byte(fmt.Sprint("session-", i)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// The same writes, straight or through a buffer, leave the same rows, also
// after reopening the file.
func TestBuffer_SameRowsAsDirect(t *testing.T) {
	ctx := t.Context()
	const n = 2000
	direct := open(t, "direct.db")
	require.NoError(t, writeAll(ctx, direct, n))

	path := filepath.Join(t.TempDir(), "buffered.db")
	s, err := Open(path)
	require.NoError(t, err)
	b, err := writeback.New[string, []byte](s, writeback.Options{})
	require.NoError(t, err)
	require.NoError(t, writeAll(ctx, b, n))
	require.NoError(t, b.Close(ctx))
	require.NoError(t, s.Close())

	reopened, err := Open(path)
	require.NoError(t, err)
	defer reopened.Close()
	want := rows(t, direct)
	require.Greater(t, len(want), n/3)
	require.Equal(t, want, rows(t, reopened))
}
