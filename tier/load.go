package tier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// Lock scripts: each acts only if the lock still holds the caller's token,
// so a replica never releases or extends a lock that expired and was taken
// by another.
var (
	unlockScript = rueidis.NewLuaScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	extendScript = rueidis.NewLuaScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// Polling of a key whose load another replica holds the lock of.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 50 * time.Millisecond
)

// GetOrLoad returns the value of key from L1, else from Redis, else from
// load, which then runs once across all replicas: the replica that takes
// the key's lock in Redis (SET NX with LockTTL, extended while load runs)
// calls load, stores its value in Redis for TTL (unless a Set stored one
// meanwhile, or the lock was lost) and releases the lock; the other
// replicas wait until Redis announces the value (or the lock is free: they
// poll for that). Within one replica, concurrent calls for one key share
// one such attempt, also while Redis is unreachable: a caller whose ctx
// ends returns ctx.Err() at once while the attempt goes on for the others
// (and its waits for another replica's lock end when no caller is left);
// load runs with a context that carries ctx's values but not its
// cancellation, and is cancelled with cause ErrLockLost when the lock is
// found lost.
//
// Fencing: the value is stored only if the lock still holds this load's
// token, checked by Redis in the same step (a Lua script). Delete and
// InvalidatePrefix remove the locks of the keys they invalidate, so a load
// in flight across an invalidation never stores what it read before it: an
// invalidation that has returned wins, on every replica. A lock that
// expired (Redis paused longer than LockTTL) is counted in
// Stats.LostLocks. Whenever the store is refused (lock lost, or a Set came
// first), the callers get what Redis then holds, or, if Redis holds
// nothing, the result of a new attempt (after three refused attempts in a
// row, the value of a direct load, not stored): while Redis is reachable, every
// caller's result agrees with Redis.
//
// A load that returns an error (or panics: the error is then a
// *shard.PanicError) releases the lock at once; the error goes to this
// replica's callers and is not stored, and other replicas' waiters then
// take the lock and load themselves. A replica that dies holding the lock
// delays the others by at most LockTTL.
//
// While Redis (on a Cluster, the key's master) is unreachable (or when a
// Redis call fails), the attempt calls load directly and returns its value
// to the callers that share it without storing it anywhere: values are not
// kept in L1 while invalidations could be missed.
func (c *Cache[V]) GetOrLoad(ctx context.Context, key string, load func(context.Context, string) (V, error)) (V, error) {
	if v, ok := c.l1.Get(key); ok && c.leased() {
		return v, nil
	}
	var zero V
	if c.closed.Load() {
		return zero, ErrClosed
	}
	if load == nil {
		return zero, errors.New(errPrefix + "GetOrLoad: load is nil")
	}
	return c.getOrLoadShared(ctx, key, load)
}

// loadDirect calls load without Redis or L1, turning a panic into a
// *shard.PanicError.
func (c *Cache[V]) loadDirect(ctx context.Context, key string, load func(context.Context, string) (V, error)) (v V, err error) {
	c.st.fallbacks.Add(1)
	c.st.loads.Add(1)
	defer func() {
		if r := recover(); r != nil {
			err = &shard.PanicError{Value: r, Stack: debug.Stack()}
		}
		if err != nil {
			c.st.loadErrors.Add(1)
		}
	}()
	return load(ctx, key)
}

// maxRefused is how many loads in a row whose store Redis refused an
// attempt makes before it calls load directly and returns that value
// without storing it (a storm of invalidations of one key).
const maxRefused = 3

// loadShared is one attempt of GetOrLoad: it reads Redis, and loads under
// the key's Redis lock if Redis has no value. fctx ends when no caller
// waits any more; lctx is the load's context. Whenever it returns a value
// it has stored it in L1 itself, or kept none; fresh is a mono() time no
// later than the Redis read or the load the value comes from.
func (c *Cache[V]) loadShared(fctx, lctx context.Context, key string, load func(context.Context, string) (V, error)) (_ V, fresh int64, _ error) {
	var zero V
	wait := pollMin
	waited := false
	refused := 0
	for {
		if err := fctx.Err(); err != nil {
			return zero, 0, err
		}
		fresh = c.mono()
		if !c.keyUp(key) || c.closed.Load() {
			v, err := c.loadDirect(lctx, key, load)
			return v, fresh, err
		}
		v, ok, err := c.fetch(fctx, key)
		if err == nil && ok {
			return v, fresh, nil
		}
		var token string
		var got bool
		if err == nil {
			token, got, err = c.lock(fctx, key)
		}
		if err != nil {
			if errors.Is(err, ErrUnavailable) {
				fresh = c.mono()
				v, err := c.loadDirect(lctx, key, load)
				return v, fresh, err
			}
			if fctx.Err() != nil {
				return zero, 0, fctx.Err()
			}
			return zero, 0, fmt.Errorf("%sGetOrLoad %q: %w", errPrefix, key, err) // a bad value or a Redis error reply
		}
		if got {
			v, fresh, stored, err := c.loadLocked(fctx, lctx, key, token, load)
			if err != nil || stored {
				return v, fresh, err
			}
			// Refused: read Redis again (and load again if it holds
			// nothing), unless that happened too often in a row.
			if refused++; refused >= maxRefused {
				fresh = c.mono()
				v, err := c.loadDirect(lctx, key, load)
				return v, fresh, err
			}
			wait = pollMin
			continue
		}
		if !waited {
			waited = true
			c.st.lockWaits.Add(1)
		}
		// Wait for the holder's value to be announced (the invalidation
		// of key that its SET causes), or for the next poll.
		if err := c.waitWrite(fctx, key, wait); err != nil {
			return zero, 0, err
		}
		wait = min(2*wait, pollMax)
	}
}

// lock tries to take key's load lock and returns its token.
func (c *Cache[V]) lock(ctx context.Context, key string) (string, bool, error) {
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := c.client.Do(cctx, c.client.B().Set().Key(c.lkey(key)).Value(token).Nx().Px(c.lockTTL).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return "", false, nil // held by another
	}
	if err != nil {
		return "", false, c.redisErr(ctx, err)
	}
	return token, true, nil
}

// loadLocked runs load while holding key's lock (extending it every third
// of LockTTL, and cancelling load's context with ErrLockLost if an
// extension finds the lock gone), then stores the value in Redis with the
// fence and in L1, and releases the lock, also when load fails or panics.
// stored is false when Redis refused the value (the lock was lost, or a
// Set came first): the caller then reads Redis again. If the store fails
// (Redis unreachable: whether it stored is unknown), the value returned is
// that of a new direct load, since an invalidation may have been refused
// meanwhile. fresh is as for loadShared.
func (c *Cache[V]) loadLocked(fctx, lctx context.Context, key, token string, load func(context.Context, string) (V, error)) (v V, fresh int64, stored bool, err error) {
	var zero V
	lk := c.lkey(key)
	var lost atomic.Bool
	loadCtx, cancelLoad := context.WithCancelCause(lctx)
	defer cancelLoad(nil)
	stopExtend := make(chan struct{})
	extended := make(chan struct{})
	go func() { // keeps the lock while load runs
		defer close(extended)
		t := time.NewTicker(c.lockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stopExtend:
				return
			case <-t.C:
				cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				n, err := extendScript.Exec(cctx, c.client, []string{lk}, []string{token, fmt.Sprint(c.lockTTL.Milliseconds())}).AsInt64()
				cancel()
				if err == nil && n == 0 {
					// Expired (Redis was paused or out of reach for
					// LockTTL) or revoked by an invalidation: another
					// replica may be loading now, and our store will be
					// refused. Say so, as rueidislock does.
					lost.Store(true)
					c.st.lostLocks.Add(1)
					cancelLoad(ErrLockLost)
					return
				}
			}
		}
	}()
	released := false
	defer func() {
		close(stopExtend)
		<-extended
		if released {
			return
		}
		cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		unlockScript.Exec(cctx, c.client, []string{lk}, []string{token})
		cancel()
	}()

	// A holder that finished just before we took the lock has stored the
	// value: look again before loading.
	fresh = c.mono()
	if v, ok, err := c.fetch(fctx, key); err == nil && ok {
		return v, fresh, true, nil
	}
	c.st.loads.Add(1)
	v, err = load(loadCtx, key) // a panic unlocks (deferred) and reaches the flight
	if err != nil {
		c.st.loadErrors.Add(1)
		if lost.Load() {
			return zero, 0, false, nil // the error may be ours (ErrLockLost): read Redis again
		}
		return zero, 0, false, err
	}
	b, err := c.codec.Marshal(v)
	if err != nil {
		return zero, 0, false, fmt.Errorf("%sGetOrLoad %q: encoding the loaded value: %w", errPrefix, key, err)
	}
	s := c.snapshot(key)
	cctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	sent := c.clk.Now()
	fresh = c.mono()
	res, err := c.storeFenced(cctx, key, token, b)
	cancel()
	if err != nil {
		// Unknown whether it was stored (Redis failed), or whether an
		// invalidation came meanwhile: L1 keeps nothing, and the callers
		// get a value loaded now, as during an outage.
		c.dropL1(key)
		fresh = c.mono()
		v, err := c.loadDirect(lctx, key, load)
		return v, fresh, true, err
	}
	released = true // by the script, or the lock is not ours any more
	switch res {
	case storeDone:
		c.store(key, v, c.l1TTL(c.ttl, sent), s)
		return v, fresh, true, nil
	case storeLockLost:
		if !lost.Load() {
			c.st.lostLocks.Add(1)
		}
		c.st.fencedStores.Add(1)
	}
	c.dropL1(key)
	return v, fresh, false, nil
}

// writeWaiters lets replicas waiting for another's load wake up when Redis
// announces a write of the key, instead of at their next poll.
type writeWaiters struct {
	n  atomic.Int32 // len(m), read by every invalidation without the lock
	mu sync.Mutex
	m  map[string][]chan struct{}
}

// waitWrite returns when an invalidation of key arrives or after d, or
// with ctx's error when ctx ends.
func (c *Cache[V]) waitWrite(ctx context.Context, key string, d time.Duration) error {
	w := &c.waiters
	ch := make(chan struct{})
	w.mu.Lock()
	if w.m == nil {
		w.m = make(map[string][]chan struct{})
	}
	w.m[key] = append(w.m[key], ch)
	w.n.Store(int32(len(w.m)))
	w.mu.Unlock()
	t := time.NewTimer(d)
	var err error
	select {
	case <-ch:
		t.Stop()
		return nil
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		err = ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	chs := w.m[key]
	for i, x := range chs {
		if x == ch {
			chs = append(chs[:i], chs[i+1:]...)
			break
		}
	}
	if len(chs) == 0 {
		delete(w.m, key)
	} else {
		w.m[key] = chs
	}
	w.n.Store(int32(len(w.m)))
	return err
}

// wake releases the waiters of key (called for every invalidated key).
func (w *writeWaiters) wake(key string) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.m[key] {
		close(ch)
	}
	delete(w.m, key)
	w.n.Store(int32(len(w.m)))
}
