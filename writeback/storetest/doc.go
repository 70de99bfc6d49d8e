// Package storetest is a test suite for [writeback.Buffer] over any
// [writeback.KV][string, []byte]. It is meant for tests only: a backend
// calls [Run] from its own test with a function that returns an empty store.
//
// Run runs every case once per capability the store has: "bulk" (its
// [writeback.BulkStore]), "tx" (its [writeback.TxStore], bulk hidden) and
// "single" (both hidden), then checks that all of them leave the same rows.
// The cases: flush by size and by time (on a *clock.Manual), coalescing,
// read-your-writes, drain on Close, 10,000 operations against a store that
// fails one write call in three and panics in one in fifty (zero silently
// lost writes; a transaction whose body panics must roll back), many
// concurrent writers (run it with -race), and a read-through
// [writeback.Cache] over the buffer that must never serve a stale value.
package storetest
