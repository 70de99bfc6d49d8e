package tier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/internal/tick"
	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// Timing of the connection monitor and of every Redis call.
const (
	// pingTimeout is how long a PING may take before Redis counts as
	// unreachable: loss is detected within heartbeatEvery+pingTimeout.
	pingTimeout = 500 * time.Millisecond
	// callTimeout bounds every Redis call the cache makes (the caller's
	// ctx may end it sooner), so that a hung connection fails a call
	// instead of blocking it.
	callTimeout = time.Second
	// slotsEvery is how often, on a Redis Cluster, the slot map is read
	// from every node (see slotsMonitor): slot-map changes are followed,
	// and masters marked down marked up again, within about this.
	slotsEvery = 250 * time.Millisecond
)

// Cache is a two-tier cache: an in-process shard.Cache (L1) in front of
// Redis (L2), kept coherent across replicas by Redis's client-side-caching
// invalidations (CLIENT TRACKING in broadcast mode on Prefix).
//
// Every replica (process) builds its own Cache with the same Prefix. A
// write (Set, Delete, InvalidatePrefix, a load's result) goes to Redis;
// Redis then tells every other replica's connection which keys changed,
// and they drop their L1 copies. A Get served from L1 makes no network
// call and takes no lock.
//
// Coherence and the memory model: a value goes into L1 only if no
// invalidation of its key (and no loss of the connection) happened between
// the moment its Redis read was sent and the moment it is stored. The check
// and the store hold a lock of the key's stripe (one of 1,024 by key hash),
// which an invalidation also holds while it counts the change and removes
// the key: an invalidation racing a read's reply never leaves a stale
// copy behind, not even for an instant. Set and Delete remove the key's L1
// copy the same way once Redis has answered; the next Get reads Redis
// again. None of this is on the path of an L1 hit.
//
// L1 hits are served only under a lease that each answered PING renews
// (see CoherenceBound): a replica whose link stalls stops serving them
// within 60 ms of its last answered PING, before any error shows.
//
// When a connection closes, L1 is emptied. When a PING (sent every 20 ms)
// fails or takes over 500 ms, Redis counts as unreachable: L1 is emptied
// and stays empty, Get returns an error wrapping ErrUnavailable, and
// GetOrLoad calls its loader directly, until a PING succeeds again; then
// coherence resumes by itself.
// On a Redis Cluster the same holds per master: only the keys of a master
// that does not answer leave L1 and fall back (see the package doc).
//
// All methods are safe for concurrent use. After Close they return
// ErrClosed.
type Cache[V any] struct {
	l1      *shard.Cache[string, V]
	client  rueidis.Client
	own     bool // the client is ours to close
	codec   Codec[V]
	ttl     time.Duration
	lockTTL time.Duration
	vpre    string // Prefix + "v:": where values live in Redis
	lpre    string // Prefix + "l:": where load locks live

	closed  atomic.Bool
	up      atomic.Bool   // the last PING succeeded and no connection closed since
	epoch   atomic.Uint64 // bumped on every flush of L1 (flush-all, loss, recovery, prefix invalidation)
	stripes [numStripes]stripe

	waiters writeWaiters // replicas waiting for another's load
	flights flights[V]   // this replica's GetOrLoad attempts in flight

	clk       clock.Clock  // L1's clock: L1 lifetimes are computed with it
	born      time.Time    // origin of mono()
	leaseMu   sync.Mutex   // guards leaseTo and leaseT (the monitor, the lease timer, Close)
	leaseTo   int64        // mono() time until which L1 hits may be served (see lease.go)
	leaseT    *time.Timer  // clears leaseOK when leaseTo passes
	leaseOK   atomic.Bool  // leaseTo has not passed: what an L1 hit reads
	leaseLate atomic.Int64 // the most the lease timer cleared leaseOK late (ns), for tests

	track *tracker     // the dedicated tracking connection of NewWithClient; nil with an own client
	cl    *cluster     // per-node health on a Redis Cluster; nil on a standalone Redis
	log   *slog.Logger // Options.Logger; nil: no logging

	stop chan struct{}
	done sync.WaitGroup
	st   counters
}

// numStripes is the number of invalidation generation counters; a key's
// counter is chosen by its hash.
const numStripes = 1024

// New connects to Redis at opts.Addrs and returns a cache, or an error that
// says which option is wrong or which address could not be reached. On
// error nothing is left running (no goroutine, no connection).
func New[V any](opts Options[V]) (*Cache[V], error) {
	if err := opts.validate(true); err != nil {
		return nil, err
	}
	c, err := newCache(opts)
	if err != nil {
		return nil, err
	}
	client, err := rueidis.NewClient(c.clientOption(opts))
	if err != nil {
		c.l1.Close()
		return nil, fmt.Errorf("%scannot connect to Redis at %s: %w", errPrefix, strings.Join(opts.Addrs, ", "), err)
	}
	c.client, c.own = client, true
	if client.Mode() == rueidis.ClientModeCluster {
		c.cl = &cluster{}
	}
	if err := c.start(); err != nil {
		client.Close()
		c.l1.Close()
		return nil, fmt.Errorf("%sRedis at %s: %w", errPrefix, strings.Join(opts.Addrs, ", "), err)
	}
	return c, nil
}

// NewWithClient is New over a client the caller built and keeps owning
// (Close does not close it); opts.Addrs must be empty. Invalidations reach
// the cache through a connection it dedicates from client (client.Dedicate)
// for CLIENT TRACKING: one to a standalone Redis (or a sentinel-managed
// primary), one to each master of a Cluster (client.Nodes()), with the same
// per-master health as New. The client's own retry and timeout settings
// apply to the cache's calls. A FLUSHALL (or a lost tracking connection)
// makes such a cache count Redis (on a Cluster: that master) as
// unreachable until its next health check, up to 20 ms later (250 ms on a
// Cluster). On a Cluster, the client's ShardsRefreshInterval says how soon
// it connects to a master that gains slots; until then that master's keys
// fail as unavailable.
func NewWithClient[V any](client rueidis.Client, opts Options[V]) (*Cache[V], error) {
	if client == nil {
		return nil, errors.New(errPrefix + "NewWithClient: client is nil")
	}
	if len(opts.Addrs) != 0 {
		return nil, errors.New(errPrefix + "NewWithClient: Addrs must be empty (the client says where Redis is)")
	}
	if err := opts.validate(false); err != nil {
		return nil, err
	}
	c, err := newCache(opts)
	if err != nil {
		return nil, err
	}
	c.client = client
	if client.Mode() == rueidis.ClientModeCluster {
		c.cl = &cluster{dedicated: true}
	} else {
		c.track = &tracker{}
	}
	if err := c.start(); err != nil {
		c.dropTracking()
		c.l1.Close()
		return nil, fmt.Errorf("%sNewWithClient: %w", errPrefix, err)
	}
	return c, nil
}

// newCache builds everything but the client.
func newCache[V any](opts Options[V]) (*Cache[V], error) {
	l1opts, name := opts.l1()
	l1, err := shard.New(l1opts)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", errPrefix, name, err)
	}
	c := &Cache[V]{
		l1:      l1,
		codec:   opts.Codec,
		ttl:     opts.TTL,
		lockTTL: opts.LockTTL,
		vpre:    opts.Prefix + "v:",
		lpre:    opts.Prefix + "l:",
		stop:    make(chan struct{}),
		log:     opts.Logger,
		clk:     l1opts.Clock,
		born:    time.Now(),
	}
	if c.clk == nil {
		c.clk = tick.ForCaller(clock.Default()) // what shard.New chose for L1
	}
	if c.codec == nil {
		c.codec = jsonCodec[V]{}
	}
	if c.lockTTL == 0 {
		c.lockTTL = DefaultLockTTL
	}
	return c, nil
}

// start checks that Redis answers (and, with a dedicated tracking
// connection, sets it up), then starts the monitor.
func (c *Cache[V]) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*callTimeout)
	defer cancel()
	sent := c.mono()
	if err := c.ping(ctx); err != nil {
		return err
	}
	c.up.Store(true)
	c.renewLease(sent)
	c.done.Add(1)
	go c.monitor()
	if c.cl != nil {
		c.done.Add(1)
		go c.slotsMonitor()
	}
	return nil
}

// Get returns the value of key: from L1 if it holds it (no network call,
// no lock), else from Redis (then kept in L1 for the value's remaining
// lifetime in Redis). A key absent from Redis is a miss (false, nil). An
// error means the value is unknown: Redis could not be reached (errors.Is
// ErrUnavailable, or the ctx error), or its bytes could not be decoded.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, bool, error) {
	// The lease ends when a loss is detected (before L1 is emptied), at
	// Close, and whenever no PING has been answered lately: a hit is served
	// only while it holds.
	if v, ok := c.l1.Get(key); ok && c.leased() {
		return v, true, nil
	}
	return c.getSlow(ctx, key)
}

func (c *Cache[V]) getSlow(ctx context.Context, key string) (V, bool, error) {
	var zero V
	if c.closed.Load() {
		return zero, false, ErrClosed
	}
	if !c.keyUp(key) {
		c.st.unavailable.Add(1)
		return zero, false, fmt.Errorf("%sGet %q: %w", errPrefix, key, ErrUnavailable)
	}
	v, ok, err := c.fetch(ctx, key)
	if err != nil {
		return zero, false, fmt.Errorf("%sGet %q: %w", errPrefix, key, err)
	}
	return v, ok, nil
}

// fetch reads key from Redis with its remaining lifetime and stores it in
// L1 if no invalidation raced the read.
func (c *Cache[V]) fetch(ctx context.Context, key string) (V, bool, error) {
	var zero V
	snap := c.snapshot(key)
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	rk := c.vkey(key)
	sent := c.clk.Now()
	res := c.client.DoMulti(cctx,
		c.client.B().Get().Key(rk).Build(),
		c.client.B().Pttl().Key(rk).Build())
	b, err := res[0].AsBytes()
	if rueidis.IsRedisNil(err) {
		c.st.l2Misses.Add(1)
		return zero, false, nil
	}
	if err != nil {
		return zero, false, c.redisErr(ctx, err)
	}
	v, err := c.codec.Unmarshal(b)
	if err != nil {
		return zero, false, fmt.Errorf("decoding the value stored in Redis: %w", err)
	}
	c.st.l2Hits.Add(1)
	if ms, err := res[1].AsInt64(); err == nil && ms > 0 {
		c.store(key, v, c.l1TTL(time.Duration(ms)*time.Millisecond, sent), snap)
	} else {
		// No lifetime to give the copy (the key expired or was deleted
		// right after the GET, or was written without one): keep none,
		// and keep a shard load from storing one.
		c.dropL1(key)
	}
	return v, true, nil
}

// clockSlack is taken off every L1 lifetime: the default coarse clock
// (clock.Default) lags the true time by up to one resolution plus the delay
// before its goroutine runs, so L1 may serve an entry that long past its
// deadline. Two resolutions (10 ms) cover a lightly loaded machine.
const clockSlack = 2 * clock.DefaultResolution

// l1TTL is the L1 lifetime of a copy of a value that had ttl left in Redis
// when a command sent at sent (L1's clock) ran: what remains of it now on
// L1's clock, less clockSlack, so that L1 never serves a copy after Redis
// has dropped the original. A result <= 0 makes store keep nothing.
func (c *Cache[V]) l1TTL(ttl time.Duration, sent int64) time.Duration {
	return ttl - time.Duration(c.clk.Now()-sent) - clockSlack
}

// redisErr wraps a network error of a Redis call in ErrUnavailable, and so
// a Cluster's replies that it cannot serve the key now (CLUSTERDOWN,
// TRYAGAIN, LOADING, MASTERDOWN, an unfollowed MOVED or ASK). Another
// Redis error reply (e.g. WRONGTYPE) is returned as it is, and so is the
// error of a caller's ctx that ended: that says nothing about Redis.
func (c *Cache[V]) redisErr(ctx context.Context, err error) error {
	if clusterErr(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if _, ok := rueidis.IsRedisErr(err); ok {
		return err
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Set stores v under key in Redis for TTL, and returns once Redis has it:
// from then on, every replica's Get returns v (or a later value), after at
// most the time Redis's invalidation message takes to reach it. The local
// L1 copy of key is dropped; the next Get reads v from Redis. An error
// from the codec changes nothing; an error from Redis leaves it unknown
// whether v was stored (but L1 holds no copy of key either way).
func (c *Cache[V]) Set(ctx context.Context, key string, v V) error {
	if c.closed.Load() {
		return ErrClosed
	}
	b, err := c.codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("%sSet %q: encoding the value: %w", errPrefix, key, err)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err = c.client.Do(cctx, c.client.B().Set().Key(c.vkey(key)).Value(rueidis.BinaryString(b)).Px(c.ttl).Build()).Error()
	c.invalidate(key)
	if err != nil {
		return fmt.Errorf("%sSet %q: %w", errPrefix, key, c.redisErr(ctx, err))
	}
	c.st.sets.Add(1)
	return nil
}

// Delete removes key from Redis and so from every replica's L1, with the
// same guarantees as Set. It also revokes the key's load lock, so that a
// GetOrLoad in flight on any replica cannot store what its loader read
// before the Delete (see GetOrLoad).
func (c *Cache[V]) Delete(ctx context.Context, key string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := c.deleteFenced(cctx, key)
	c.invalidate(key)
	if err != nil {
		return fmt.Errorf("%sDelete %q: %w", errPrefix, key, c.redisErr(ctx, err))
	}
	c.st.deletes.Add(1)
	return nil
}

// InvalidatePrefix deletes from Redis, and so from every replica's L1,
// every key that begins with keyPrefix (e.g. "registry-a/" for all results
// of one registry), and returns how many Redis held. It walks the key space
// with SCAN on every node (every master of a Cluster): keys written while
// it runs by Set may survive it. It first revokes the load locks of the
// keys under keyPrefix, on every node, so that no GetOrLoad in flight
// stores a value loaded before the call (see GetOrLoad). A node that fails
// does not stop it: the others' keys are deleted, and the error names each
// node that failed (wrapping ErrUnavailable if it could not be reached).
// An empty keyPrefix deletes the whole cache.
func (c *Cache[V]) InvalidatePrefix(ctx context.Context, keyPrefix string) (int, error) {
	if c.closed.Load() {
		return 0, ErrClosed
	}
	defer c.flushLocal(func(k string, _ V) bool { return strings.HasPrefix(k, keyPrefix) })
	n := 0
	// Locks first on every node, then values on every node, even after
	// a node failed: on a Cluster, the keys of the masters that answer
	// are deleted whatever the others do.
	errs := c.scanUnlink(ctx, globEscape(c.lpre+"{"+keyPrefix)+"*", nil)
	errs = append(errs, c.scanUnlink(ctx, globEscape(c.vpre+"{"+keyPrefix)+"*", &n)...)
	if len(errs) > 0 {
		return n, fmt.Errorf("%sInvalidatePrefix %q: %w", errPrefix, keyPrefix, errors.Join(errs...))
	}
	return n, nil
}

// unlinkMatching deletes the keys of one node that match pattern, walking
// it with SCAN, and returns how many it deleted.
func (c *Cache[V]) unlinkMatching(ctx context.Context, node rueidis.Client, pattern string) (int, error) {
	n := 0
	var cursor uint64
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		e, err := node.Do(cctx, node.B().Scan().Cursor(cursor).Match(pattern).Count(1000).Build()).AsScanEntry()
		if err == nil && len(e.Elements) > 0 {
			// One UNLINK per key: in a Cluster, keys of one batch
			// may live in different slots.
			cmds := make(rueidis.Commands, len(e.Elements))
			for i, k := range e.Elements {
				cmds[i] = c.client.B().Unlink().Key(k).Build()
			}
			for _, r := range c.client.DoMulti(cctx, cmds...) {
				m, rerr := r.AsInt64()
				if rerr != nil {
					err = rerr
					break
				}
				n += int(m)
			}
		}
		cancel()
		if err != nil {
			return n, err
		}
		if cursor = e.Cursor; cursor == 0 {
			return n, nil
		}
	}
}

// dropTracking closes NewWithClient's tracking connections.
func (c *Cache[V]) dropTracking() {
	if c.track != nil {
		c.track.drop()
	}
	if c.cl != nil {
		c.dropTrackers()
	}
}

// globEscape escapes the characters special to Redis's MATCH patterns.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Close stops the monitor, closes the connection New opened (not a client
// given to NewWithClient), and empties L1. It is idempotent and returns
// nil, as every hotcache Close; every later call of another method returns
// ErrClosed. Calls in flight when Close is called may fail.
func (c *Cache[V]) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(c.stop)
	c.done.Wait()
	c.endLease()
	c.up.Store(false)
	c.dropTracking()
	if c.own {
		c.client.Close()
	}
	c.flushLocal(nil)
	return c.l1.Close()
}
