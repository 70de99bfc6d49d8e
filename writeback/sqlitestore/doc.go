// Package sqlitestore is a [writeback.KV] in a SQLite database file, on
// modernc.org/sqlite (pure Go, no cgo). It lives in its own module so that
// hotcache's root module does not depend on SQLite.
//
// Keys are strings and values byte slices, stored in one table:
//
//	CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID
//
// Encode other types yourself (e.g. JSON or a token's own binary form), or
// wrap the Store in one that does. A nil value is stored as an empty one.
//
// [Open] sets journal_mode=WAL and synchronous=NORMAL (a commit writes the
// WAL but does not fsync it; a power loss may lose the last commits, never
// corrupt the file), busy_timeout=10s, and starts write transactions
// IMMEDIATE so that concurrent writers wait instead of failing.
//
// Besides Load, Store and Delete, a Store is a [writeback.BulkStore]
// (StoreMany: one transaction executing one prepared upsert per entry;
// DeleteMany: one transaction of DELETE ... WHERE key IN (...) in chunks of
// 500 keys, under SQLite's variable limit) and a [writeback.TxStore]. Put a
// [writeback.Buffer] in front of it to turn single writes, each its own
// transaction, into batches:
//
//	db, err := sqlitestore.Open("tokens.db")
//	buf, err := writeback.New[string, []byte](db, writeback.Options{})
//	...
//	err = buf.Close(ctx) // drains; then db.Close()
package sqlitestore
