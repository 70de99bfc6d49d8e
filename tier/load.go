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
// meanwhile) and releases the lock; the other replicas wait until Redis
// announces the value (or the lock is free: they poll for that). Within
// one replica, concurrent calls for one key share one such attempt
// (shard.Cache.GetOrLoad): a caller whose ctx ends returns ctx.Err() at
// once while the attempt goes on for the others, and load runs with a
// context that carries ctx's values but not its cancellation.
//
// A load that returns an error (or panics: the error is then a
// *shard.PanicError) releases the lock at once; the error goes to this
// replica's callers and is not stored, and other replicas' waiters then
// take the lock and load themselves. A replica that dies holding the lock
// delays the others by at most LockTTL.
//
// While Redis is unreachable (or when a Redis call fails), GetOrLoad calls
// load directly and returns its value without storing it anywhere: values
// are not kept in L1 while invalidations could be missed.
func (c *Cache[V]) GetOrLoad(ctx context.Context, key string, load func(context.Context, string) (V, error)) (V, error) {
	if v, ok := c.l1.Get(key); ok && c.up.Load() {
		return v, nil
	}
	var zero V
	if c.closed.Load() {
		return zero, ErrClosed
	}
	if load == nil {
		return zero, errors.New(errPrefix + "GetOrLoad: load is nil")
	}
	if !c.keyUp(key) {
		return c.loadDirect(ctx, key, load)
	}
	return c.l1.GetOrLoad(ctx, key, func(ctx context.Context, key string) (V, error) {
		return c.loadShared(ctx, key, load)
	})
}

// loadDirect calls load without Redis or L1, turning a panic into a
// *shard.PanicError as the shared path does.
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

// loadShared runs as the shard load of key: it reads Redis, and loads under
// the key's Redis lock if Redis has no value. Whenever it returns a value it
// has stored it in L1 itself (or dropped key from L1), which supersedes the
// shard's own store of its result; an error the shard does not store.
func (c *Cache[V]) loadShared(ctx context.Context, key string, load func(context.Context, string) (V, error)) (V, error) {
	wait := pollMin
	waited := false
	for {
		if !c.keyUp(key) || c.closed.Load() {
			c.dropL1(key)
			return c.loadDirect(ctx, key, load)
		}
		v, ok, err := c.fetch(ctx, key)
		if err == nil && ok {
			return v, nil
		}
		var token string
		var got bool
		if err == nil {
			token, got, err = c.lock(ctx, key)
		}
		if err != nil {
			if errors.Is(err, ErrUnavailable) {
				c.dropL1(key)
				return c.loadDirect(ctx, key, load)
			}
			var zero V
			return zero, fmt.Errorf("%sGetOrLoad %q: %w", errPrefix, key, err) // a bad value or a Redis error reply
		}
		if got {
			return c.loadLocked(ctx, key, token, load)
		}
		if !waited {
			waited = true
			c.st.lockWaits.Add(1)
		}
		// Wait for the holder's value to be announced (the invalidation
		// of key that its SET causes), or for the next poll.
		c.waitWrite(key, wait)
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
	err := c.client.Do(cctx, c.client.B().Set().Key(c.lpre+key).Value(token).Nx().Px(c.lockTTL).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return "", false, nil // held by another
	}
	if err != nil {
		return "", false, c.redisErr(ctx, err)
	}
	return token, true, nil
}

// loadLocked runs load while holding key's lock (extending it every third
// of LockTTL), stores the value in Redis and L1, and releases the lock,
// also when load fails or panics.
func (c *Cache[V]) loadLocked(ctx context.Context, key, token string, load func(context.Context, string) (V, error)) (V, error) {
	var zero V
	lk := c.lpre + key
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
				extendScript.Exec(cctx, c.client, []string{lk}, []string{token, fmt.Sprint(c.lockTTL.Milliseconds())})
				cancel()
			}
		}
	}()
	defer func() {
		close(stopExtend)
		<-extended
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		unlockScript.Exec(cctx, c.client, []string{lk}, []string{token})
		cancel()
	}()

	// A holder that finished just before we took the lock has stored the
	// value: look again before loading.
	if v, ok, err := c.fetch(ctx, key); err == nil && ok {
		return v, nil
	}
	c.st.loads.Add(1)
	v, err := load(ctx, key) // a panic unlocks (deferred) and reaches the shard
	if err != nil {
		c.st.loadErrors.Add(1)
		return zero, err
	}
	b, err := c.codec.Marshal(v)
	if err != nil {
		return zero, fmt.Errorf("%sGetOrLoad %q: encoding the loaded value: %w", errPrefix, key, err)
	}
	s := c.snapshot(key)
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	sent := time.Now()
	err = c.client.Do(cctx, c.client.B().Set().Key(c.vpre+key).Value(rueidis.BinaryString(b)).Nx().Px(c.ttl).Build()).Error()
	cancel()
	if err != nil {
		// Not stored (a Set won, or Redis failed): the caller still gets
		// the value it asked for, but L1 keeps nothing.
		c.dropL1(key)
		return v, nil
	}
	c.store(key, v, l1TTL(c.ttl, sent), s)
	return v, nil
}

// writeWaiters lets replicas waiting for another's load wake up when Redis
// announces a write of the key, instead of at their next poll.
type writeWaiters struct {
	n  atomic.Int32 // len(m), read by every invalidation without the lock
	mu sync.Mutex
	m  map[string][]chan struct{}
}

// waitWrite returns when an invalidation of key arrives or after d.
func (c *Cache[V]) waitWrite(key string, d time.Duration) {
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
	select {
	case <-ch:
		t.Stop()
		return
	case <-t.C:
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
