package tier

import (
	"sync/atomic"

	"github.com/hotcache/hotcache/shard"
)

// Stats is a snapshot of a cache's counters, for this replica only.
// Counters only grow. A snapshot taken while the cache is in use is not
// atomic across fields.
type Stats struct {
	// L1 is the in-process cache's own Stats (its Hits and Misses only
	// with L1.CountHits), as writeback.CacheStats.L1 is for a
	// writeback.Cache.
	L1 shard.Stats

	L2Hits   uint64 // Redis reads that found a value (L1 misses served by Redis)
	L2Misses uint64 // Redis reads that found none

	Sets    uint64 // successful Set calls
	Deletes uint64 // successful Delete calls

	Loads      uint64 // loader calls made by this replica (fallbacks included)
	LoadErrors uint64 // loader calls that failed or panicked
	LockWaits  uint64 // shared loads that found another replica holding the key's lock and waited
	Fallbacks  uint64 // loader calls made without Redis because it was unreachable

	// LostLocks counts loads whose lock in Redis was found gone before
	// they stored (it expired while Redis was paused or out of reach, or
	// an invalidation revoked it): another replica may have loaded the key
	// meanwhile. FencedStores counts loaded values Redis refused for that
	// reason (their callers got what Redis held instead, or a new load).
	LostLocks    uint64
	FencedStores uint64

	Invalidations     uint64 // keys named by Redis invalidation messages
	FullInvalidations uint64 // "invalidate everything" messages (FLUSHALL, a closed connection)
	Disconnects       uint64 // times Redis was found unreachable (L1 emptied)
	Reconnects        uint64 // times it was found reachable again
	Unavailable       uint64 // Get calls that returned ErrUnavailable without trying Redis

	// TopologyChanges counts changes of a Redis Cluster's slot map (a slot
	// migrated, a failover, a master added or removed) seen by the health
	// check; each empties L1.
	TopologyChanges uint64

	// Connected reports whether Redis answered the last health check (on
	// a Cluster: whether some node did; Nodes says which masters are up).
	Connected bool

	// Nodes is the state of each Redis node the health check watches:
	// the server of a standalone Redis, every master of a Cluster, sorted
	// by address.
	Nodes []NodeStats

	// Flushes is FullInvalidations under its former name (a flush, in
	// writeback.BufferStats, is a write of pending values to the store).
	//
	// Deprecated: use FullInvalidations.
	Flushes uint64
}

// counters are the atomics behind Stats.
type counters struct {
	l2Hits, l2Misses, sets, deletes                 atomic.Uint64
	loads, loadErrors, lockWaits, fallbacks         atomic.Uint64
	invalidations, flushes, disconnects, reconnects atomic.Uint64
	unavailable                                     atomic.Uint64
	lostLocks, fencedStores                         atomic.Uint64
}

// Stats returns a snapshot of the cache's counters.
func (c *Cache[V]) Stats() Stats {
	return Stats{
		L1:                c.l1.Stats(),
		L2Hits:            c.st.l2Hits.Load(),
		L2Misses:          c.st.l2Misses.Load(),
		Sets:              c.st.sets.Load(),
		Deletes:           c.st.deletes.Load(),
		Loads:             c.st.loads.Load(),
		LoadErrors:        c.st.loadErrors.Load(),
		LockWaits:         c.st.lockWaits.Load(),
		Fallbacks:         c.st.fallbacks.Load(),
		Invalidations:     c.st.invalidations.Load(),
		FullInvalidations: c.st.flushes.Load(),
		Flushes:           c.st.flushes.Load(),
		Disconnects:       c.st.disconnects.Load(),
		Reconnects:        c.st.reconnects.Load(),
		Unavailable:       c.st.unavailable.Load(),
		LostLocks:         c.st.lostLocks.Load(),
		FencedStores:      c.st.fencedStores.Load(),
		Connected:         c.up.Load() && !c.closed.Load(),
		Nodes:             c.nodeStats(),
		TopologyChanges:   c.topologyChanges(),
	}
}
