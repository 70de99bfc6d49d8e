package tier

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// snap is what a reader saw of the coherence state before it sent a Redis
// read: an L1 store of the value read is valid only if nothing changed.
type snap struct {
	epoch  uint64
	gen    uint64
	stripe uint32
}

// stripe is the coherence state of the keys whose hash selects it: gen
// counts their invalidations; mu makes "check gen, then write L1" and
// "bump gen, then remove from L1" atomic with respect to each other.
type stripe struct {
	mu  sync.Mutex
	gen atomic.Uint64
}

// stripeSeed seeds stripeOf for the life of the process: stripes are local
// to a process, and a random seed keeps a chosen key set from piling onto one.
var stripeSeed = maphash.MakeSeed()

func stripeOf(key string) uint32 { return uint32(maphash.String(stripeSeed, key) % numStripes) }

// snapshot returns the coherence state for key; take it before the read.
func (c *Cache[V]) snapshot(key string) snap {
	i := stripeOf(key)
	// Whether Redis was up need not be recorded: up turns false before the
	// flush that bumps the epoch (a loss, Close) and true only after one (a
	// recovery), so store, which requires up and this epoch, keeps a value
	// only if no loss came since and the read followed the last recovery.
	return snap{epoch: c.epoch.Load(), gen: c.stripes[i].gen.Load(), stripe: i}
}

// store puts v in L1 for ttl if no invalidation of key's stripe, no flush
// and no loss of the connection happened since s was taken, and otherwise
// removes key from L1. It holds the stripe's lock, as every invalidation
// does while it bumps the counter and removes the key, and a flush holds
// every stripe's: so either store sees the change and keeps nothing, or
// the change comes after the store and removes what it stored. A value
// invalidated meanwhile is never visible in L1, not even briefly.
func (c *Cache[V]) store(key string, v V, ttl time.Duration, s snap) {
	st := &c.stripes[s.stripe]
	st.mu.Lock()
	defer st.mu.Unlock()
	if ttl > 0 && c.keyUp(key) && !c.closed.Load() && c.epoch.Load() == s.epoch && st.gen.Load() == s.gen {
		c.l1.SetTTL(key, v, ttl)
		return
	}
	c.dropL1(key)
}

// dropL1 removes key from L1. shard's Delete skips the shard lock when the
// key is absent and no load of the shard is pending (the tier makes none:
// its GetOrLoad attempts are its own), the common case of an invalidation
// of a key this replica does not hold.
func (c *Cache[V]) dropL1(key string) { c.l1.Delete(key) }

// invalidate records a change of key in Redis and removes its L1 copy.
func (c *Cache[V]) invalidate(key string) {
	st := &c.stripes[stripeOf(key)]
	st.mu.Lock()
	st.gen.Add(1)
	c.dropL1(key)
	st.mu.Unlock()
}

// flushLocal invalidates every in-flight read and removes the L1 entries
// for which f returns true (all of them if f is nil), holding every
// stripe's lock so that no store interleaves.
func (c *Cache[V]) flushLocal(f func(string, V) bool) {
	for i := range c.stripes {
		c.stripes[i].mu.Lock()
	}
	defer func() {
		for i := range c.stripes {
			c.stripes[i].mu.Unlock()
		}
	}()
	c.epoch.Add(1)
	if f == nil {
		c.l1.Clear()
		return
	}
	c.l1.DeleteFunc(f)
}

// invalidated is the invalidation callback: Redis names the keys written
// under our prefix, or nil for "everything" (FLUSHALL, or rueidis closing a
// connection, after which the tracking session is gone).
func (c *Cache[V]) invalidated(msgs []rueidis.RedisMessage) {
	if len(msgs) == 0 {
		c.st.flushes.Add(1)
		c.flushLocal(nil)
		return
	}
	for i := range msgs {
		k, err := msgs[i].ToString()
		if err != nil {
			continue
		}
		key, ok := c.keyOf(k)
		if !ok {
			continue
		}
		c.st.invalidations.Add(1)
		c.invalidate(key)
		c.waiters.wake(key)
	}
}

// monitor PINGs Redis every heartbeatEvery (every node, on the
// connections that carry invalidations). An answered PING renews the lease
// (see lease.go); a PING that fails or takes longer than pingTimeout ends
// it, marks Redis unreachable and empties L1; the first one that succeeds
// afterwards marks it reachable again (after one more flush, so nothing
// read across the gap is kept). While a PING hangs, the lease runs out on
// its own: L1 hits stop within leaseFor of the last answered PING's send.
//
// On a Cluster the PINGs go to the masters marked up, and the lease is
// renewed when each of them answered or was marked down (its keys removed
// from L1) for failing; slotsMonitor reads the slot map and marks masters
// up again (see nodes.go).
func (c *Cache[V]) monitor() {
	defer c.done.Done()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		sent := c.mono()
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		if c.cl != nil {
			c.pingMasters(ctx)
			cancel()
			if c.up.Load() {
				c.renewLease(sent)
			}
			continue
		}
		err := c.ping(ctx)
		cancel()
		c.health(err)
		if err == nil {
			c.renewLease(sent)
		}
	}
}

// health records the result of a health check of Redis as a whole: a
// failure ends the lease, marks Redis unreachable and empties L1; the
// first success after one empties L1 once more, then marks it reachable.
func (c *Cache[V]) health(err error) {
	switch {
	case err != nil && c.up.Load():
		c.endLease()
		c.up.Store(false)
		c.flushLocal(nil)
		c.st.disconnects.Add(1)
		c.logHealth(false, err)
	case err == nil && !c.up.Load():
		c.flushLocal(nil)
		c.up.Store(true)
		c.st.reconnects.Add(1)
		c.logHealth(true, nil)
	}
	if err != nil {
		c.endLease()
	}
}

// ping checks the connections that carry invalidations: the client's own,
// one per node, with New; the dedicated tracking connection with
// NewWithClient (set up again if it was lost).
func (c *Cache[V]) ping(ctx context.Context) error {
	if c.cl != nil {
		return c.pingCluster(ctx)
	}
	if c.track == nil {
		for _, n := range c.client.Nodes() {
			if err := n.Do(ctx, n.B().Ping().Build()).Error(); err != nil {
				return err
			}
		}
		return nil
	}
	return c.track.ping(ctx, c.client, c.vpre, c.trackerInvalidated)
}

// trackerInvalidated is the invalidation callback of NewWithClient's
// dedicated connection. There, values are read over other connections, so
// "everything" (nil), which rueidis also sends when the tracking connection
// closes, marks Redis unreachable until the monitor has set up a new
// tracking connection: values read before then could miss invalidations.
func (c *Cache[V]) trackerInvalidated(msgs []rueidis.RedisMessage) {
	if len(msgs) == 0 {
		c.endLease()
		c.up.Store(false)
	}
	c.invalidated(msgs)
}

// tracker is the dedicated connection NewWithClient receives invalidations
// on. mu serializes the monitor and Close.
type tracker struct {
	mu     sync.Mutex
	d      rueidis.DedicatedClient
	closed <-chan error
}

// ping PINGs the tracking connection, first setting one up if there is none
// (CLIENT TRACKING ON ... BCAST on a connection dedicated from the client).
// On failure the connection is dropped, and L1 flushed by its close.
func (t *tracker) ping(ctx context.Context, client rueidis.Client, prefix string, fn func([]rueidis.RedisMessage)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.d != nil {
		select {
		case <-t.closed:
			t.dropLocked()
		default:
		}
	}
	if t.d == nil {
		d, _ := client.Dedicate()
		t.d = d
		t.closed = d.SetOnInvalidations(fn)
		// A client with client-side caching (rueidis's default) has set
		// up tracking in its default mode on every connection: switch it
		// off first, since Redis refuses to change the mode of a tracking
		// connection. The connection is closed, never returned, after.
		for _, r := range d.DoMulti(ctx,
			d.B().Arbitrary("CLIENT", "TRACKING", "OFF").Build(),
			d.B().Arbitrary("CLIENT", "TRACKING", "ON", "PREFIX", prefix, "BCAST").Build()) {
			if err := r.Error(); err != nil {
				t.dropLocked()
				return err
			}
		}
	}
	if err := t.d.Do(ctx, t.d.B().Ping().Build()).Error(); err != nil {
		t.dropLocked()
		return err
	}
	return nil
}

func (t *tracker) drop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropLocked()
}

// dropLocked closes the dedicated connection (Close, not the release
// function: releasing would send CLIENT TRACKING OFF and wait for a reply
// from a server that may not answer).
func (t *tracker) dropLocked() {
	if t.d != nil {
		t.d.Close()
		t.d, t.closed = nil, nil
	}
}
