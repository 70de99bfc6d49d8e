package tier

import "time"

// The lease: L1 copies are served only while the replica holds proof of a
// recent round trip with Redis on the connection that carries its
// invalidations.
//
// Redis sends the invalidations a write causes to every tracking
// connection before it answers the writer (broadcast invalidations are
// queued before any reply of the same event-loop turn is written). So a
// PING sent on a tracking connection after a write has returned is
// answered after that write's invalidation, which rueidis hands to the
// cache on its reading goroutine before it delivers the PONG: once the
// PONG is in, the stale copy is gone. The monitor sends such a PING every
// heartbeatEvery; a PING sent at time s and answered extends the lease to
// s+leaseFor. A Get serves an L1 hit only while the lease holds, so a
// value replaced by a write that returned at time w is served at most
// until w+leaseFor (plus the lag of the coarse clock the lease is read
// with), however the network behaves: a stalled link, a paused server, or
// a lost invalidation that no PONG can overtake.
const (
	// heartbeatEvery is how often the monitor PINGs each node.
	heartbeatEvery = 20 * time.Millisecond
	// leaseFor is how long after a PING was sent its answer lets L1 hits
	// be served: heartbeatEvery plus room for two late heartbeats.
	leaseFor = 60 * time.Millisecond
	// CoherenceBound is the longest a replica serves a value from L1 after
	// a Set, Delete or InvalidatePrefix that replaces it has returned on
	// any replica: leaseFor plus the coarse clock's lag (one resolution
	// plus scheduling delay), whatever the network does. Measured on
	// loopback: see TestStalledLinkBound and TestInvalidationLatency.
	CoherenceBound = 100 * time.Millisecond
)

// leased reports whether L1 hits may be served now: one atomic load of the
// coarse clock and one of the lease.
func (c *Cache[V]) leased() bool { return c.lclk.Now() < c.lease.Load() }

// renewLease extends the lease to sent+leaseFor, sent being the coarse time
// at which an answered PING was sent (never shortening it).
func (c *Cache[V]) renewLease(sent int64) {
	until := sent + int64(leaseFor)
	for {
		cur := c.lease.Load()
		if cur >= until || c.lease.CompareAndSwap(cur, until) {
			return
		}
	}
}

// endLease makes every later hit go to Redis until the next renewal.
func (c *Cache[V]) endLease() { c.lease.Store(0) }
