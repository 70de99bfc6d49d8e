package writeback

import (
	"time"

	"github.com/hotcache/hotcache/shard"
)

// BufferStats is a snapshot of a Buffer's counters, from [Buffer.Stats].
// The counters only grow. A snapshot taken while the buffer is in use is
// not atomic across fields.
//
// StoreCalls counts the calls the buffer makes to its store's write
// methods: one per StoreMany or DeleteMany, one per transaction (InTx; the
// writes inside it are not counted again), or one per Store or Delete
// when the store has neither. A call's retry is a call of its own, and so
// is each half of a failed call that the buffer split (see [Buffer]).
type BufferStats struct {
	Pending       int           // keys whose latest write is not stored yet
	OldestPending time.Duration // age of the oldest pending write (by the buffer's clock); 0 when none
	Flushes       uint64        // flush passes that wrote at least one key
	StoreCalls    uint64        // calls to the store's write methods (Store, Delete, StoreMany, DeleteMany, InTx)
	StoreErrors   uint64        // of which failed (a panic counts)
	Retries       uint64        // store calls that retried writes of an earlier failed call
	Written       uint64        // key writes (stores and deletes) the store accepted
	Splits        uint64        // failed calls of many keys whose keys were retried in two calls, one per half
	Isolated      uint64        // writes the store rejected alone while it stored the rest of their batch (with one call per key: other writes of the flush); each is then retried on its own until rewritten
}

// CacheStats is a snapshot of a Cache's counters, from [Cache.Stats]. The
// counters only grow. A snapshot taken while the cache is in use is not
// atomic across fields.
type CacheStats struct {
	// L1 is the Stats of the in-memory copies (a shard.Cache): loads from
	// the store, load errors, negative hits, evictions (hits and misses
	// with L1.CountHits), as tier.Stats.L1 is for a tier.Cache.
	L1          shard.Stats
	Len         int    // values cached
	StoreCalls  uint64 // Set and Delete calls passed to the store
	StoreErrors uint64 // of which failed

	// Cache is L1, under its former name.
	//
	// Deprecated: use L1.
	Cache shard.Stats
}
