// Package memstore is an in-memory [writeback.KV] over a map, with the
// optional [writeback.BulkStore] and [writeback.TxStore] capabilities: a
// stand-in for a database in tests and examples.
package memstore
