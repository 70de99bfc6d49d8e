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
// until w+leaseFor (plus the delay with which the lease timer runs: the
// scheduling delay of the process, microseconds unless it is starved of
// CPU), however the network behaves: a stalled link, a paused server, or a lost
// invalidation that no PONG can overtake.
//
// On a Redis Cluster the lease is still one for all masters (a hit does not
// hash its key to a slot): a round renews it when every master marked up
// answered its PING, and a master that fails one is first marked down,
// its keys removed from L1 and kept out, so the round renews the lease for
// the others (pingMasters in nodes.go). A master that hangs silently
// stops the renewals until its PING times out (pingTimeout), then is
// marked down.
//
// The hit path reads one atomic bool, leaseOK. The monitor sets it when it
// renews the lease and arms a timer for the lease's end, which clears it;
// renewals, the timer and endLease hold leaseMu, so a timer that fires
// while a renewal happens cannot clear a renewed lease, and no late timer
// can set an ended one.
const (
	// heartbeatEvery is how often the monitor PINGs each node.
	heartbeatEvery = 20 * time.Millisecond
	// leaseFor is how long after a PING was sent its answer lets L1 hits
	// be served: heartbeatEvery plus room for two late heartbeats.
	leaseFor = 60 * time.Millisecond
	// CoherenceBound is the longest a replica serves a value from L1 after
	// a Set, Delete or InvalidatePrefix that replaces it has returned on
	// any replica: leaseFor plus room for the lease timer's delay on a busy
	// machine, whatever the network does. Measured on loopback: see
	// TestStalledLinkBound and BenchmarkInvalidation3Replicas.
	CoherenceBound = 100 * time.Millisecond
)

// mono is the time since the cache was built, on the monotonic clock.
func (c *Cache[V]) mono() int64 { return int64(time.Since(c.born)) }

// leased reports whether L1 hits may be served now.
func (c *Cache[V]) leased() bool { return c.leaseOK.Load() }

// renewLease extends the lease to sent+leaseFor, sent being the mono time
// at which an answered PING was sent (never shortening it).
func (c *Cache[V]) renewLease(sent int64) {
	c.leaseMu.Lock()
	defer c.leaseMu.Unlock()
	c.leaseTo = max(c.leaseTo, sent+int64(leaseFor))
	left := time.Duration(c.leaseTo - c.mono())
	if left <= 0 {
		return // answered too late to prove anything
	}
	if c.leaseT == nil {
		c.leaseT = time.AfterFunc(left, c.leaseCheck)
	} else {
		c.leaseT.Reset(left)
	}
	c.leaseOK.Store(true)
}

// leaseCheck runs when the lease may have ended: it clears leaseOK if so,
// and otherwise waits for the rest.
func (c *Cache[V]) leaseCheck() {
	c.leaseMu.Lock()
	defer c.leaseMu.Unlock()
	if left := time.Duration(c.leaseTo - c.mono()); left > 0 {
		c.leaseT.Reset(left)
		return
	}
	c.leaseOK.Store(false)
	for late := c.mono() - c.leaseTo; ; {
		if old := c.leaseLate.Load(); old >= late || c.leaseLate.CompareAndSwap(old, late) {
			break
		}
	}
}

// endLease makes every later hit go to Redis until the next renewal.
func (c *Cache[V]) endLease() {
	c.leaseMu.Lock()
	defer c.leaseMu.Unlock()
	c.leaseTo = 0
	c.leaseOK.Store(false)
	if c.leaseT != nil {
		c.leaseT.Stop()
	}
}
