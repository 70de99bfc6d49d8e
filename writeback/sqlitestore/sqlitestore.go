package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is a key-value table in a SQLite file. It is safe for concurrent
// use; close it with Close.
type Store struct {
	db *sql.DB
}

const (
	pragmas = "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	schema  = "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
	upsert  = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
	// deleteChunk keys per DELETE statement: under the 999 variables of
	// old SQLite builds (32766 since 3.32).
	deleteChunk = 500
)

// Open opens (creating if needed) the database file at path and its table.
func Open(path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlitestore: path must be a file name without '?' or '#', got %q", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+pragmas)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// conn is what a *sql.DB and a *sql.Tx have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Load returns key's value, or an error wrapping shard.ErrNotFound.
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) { return load(ctx, s.db, key) }

// Store upserts key's value in its own transaction.
func (s *Store) Store(ctx context.Context, key string, value []byte) error {
	return store(ctx, s.db, key, value)
}

// Delete deletes key in its own transaction.
func (s *Store) Delete(ctx context.Context, key string) error { return del(ctx, s.db, key) }

func load(ctx context.Context, c conn, key string) ([]byte, error) {
	var v []byte
	err := c.QueryRowContext(ctx, "SELECT value FROM kv WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlitestore: key %q: %w", key, shard.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: load %q: %w", key, err)
	}
	return v, nil
}

func store(ctx context.Context, c conn, key string, value []byte) error {
	if _, err := c.ExecContext(ctx, upsert, key, nonNil(value)); err != nil {
		return fmt.Errorf("sqlitestore: store %q: %w", key, err)
	}
	return nil
}

func del(ctx context.Context, c conn, key string) error {
	if _, err := c.ExecContext(ctx, "DELETE FROM kv WHERE key = ?", key); err != nil {
		return fmt.Errorf("sqlitestore: delete %q: %w", key, err)
	}
	return nil
}

func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// StoreMany upserts every entry in one transaction, executing one prepared
// statement per entry.
func (s *Store) StoreMany(ctx context.Context, entries []writeback.Entry[string, []byte]) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, upsert)
		if err != nil {
			return fmt.Errorf("sqlitestore: prepare: %w", err)
		}
		defer stmt.Close()
		// Each row runs without ctx's cancellation (the driver starts a
		// goroutine per statement to watch a cancellable ctx, which costs
		// as much as the insert); ctx is checked between rows instead.
		rowCtx := context.WithoutCancel(ctx)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sqlitestore: store: %w", err)
			}
			if _, err := stmt.ExecContext(rowCtx, e.Key, nonNil(e.Value)); err != nil {
				return fmt.Errorf("sqlitestore: store %q: %w", e.Key, err)
			}
		}
		return nil
	})
}

// DeleteMany deletes every key in one transaction, 500 keys per
// DELETE ... WHERE key IN (...).
func (s *Store) DeleteMany(ctx context.Context, keys []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for len(keys) > 0 {
			chunk := keys[:min(len(keys), deleteChunk)]
			keys = keys[len(chunk):]
			args := make([]any, len(chunk))
			for i, k := range chunk {
				args[i] = k
			}
			q := "DELETE FROM kv WHERE key IN (?" + strings.Repeat(", ?", len(chunk)-1) + ")"
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("sqlitestore: delete %d keys: %w", len(chunk), err)
			}
		}
		return nil
	})
}

// InTx runs fn with a Store on one transaction, committed if fn returns nil
// and rolled back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(tx writeback.KV[string, []byte]) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(txStore{tx}) })
}

// inTx runs fn in a transaction, committed if fn returns nil and rolled
// back if it returns an error or panics (the panic then goes on: a
// transaction left open would hold SQLite's write lock for ever).
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	// After Commit, Rollback is a no-op (sql.ErrTxDone).
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", err)
	}
	return nil
}

// txStore is the Store InTx passes to fn.
type txStore struct{ tx *sql.Tx }

func (t txStore) Load(ctx context.Context, key string) ([]byte, error) { return load(ctx, t.tx, key) }
func (t txStore) Store(ctx context.Context, key string, value []byte) error {
	return store(ctx, t.tx, key, value)
}
func (t txStore) Delete(ctx context.Context, key string) error { return del(ctx, t.tx, key) }
