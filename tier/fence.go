package tier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/rueidis"
)

// Key layout and fencing.
//
// A key's value lives in Redis under vpre+"{"+key+"}" and its load lock
// under lpre+"{"+key+"}". Both share the hash tag {key} (the first "{" of
// either is the one before key, since Prefix has no unbalanced "{", and
// the first "}" after it is at the latest the closing one), so on a Redis
// Cluster they live in one slot and one Lua script may touch both.
//
// The fence is the lock itself: a load stores its value with storeScript,
// which writes only if the lock still holds the loader's token, and
// releases the lock in the same step. Delete removes the value and the lock
// in one script (deleteScript), and InvalidatePrefix removes every lock
// under the prefix before it removes the values. So a load in flight when
// an invalidation runs loses its lock and its store is refused, on every
// replica and on a Cluster (lock and value share a slot; no prefix-wide key
// is read by a per-key script, so no slot has to know another's state).
//
// Why this is enough: a load calls its loader only after it took the lock,
// so a load that took its lock after an invalidation began reads the
// source of truth after that, and its value is as new as the invalidation.
// A load that took its lock before either still holds it when the
// invalidation removes it (its store is then refused), or it stored and
// released before: then its value was in Redis before the invalidation
// removed the values, which removes it too. InvalidatePrefix removes the
// locks first, with SCAN, which returns every key present from the start
// to the end of the scan; a lock it misses was taken after the scan began
// or released before the scan ended, and the value scan, which starts only
// after the lock scan ends, removes what such a release stored.
var (
	// storeScript: KEYS[1] value, KEYS[2] lock; ARGV[1] token, ARGV[2] the
	// encoded value, ARGV[3] TTL in ms. 0: the lock is not ours (lost or
	// revoked), nothing stored; 1: stored; 2: a value was already there (a
	// Set won), nothing stored. The lock is released unless it is not ours.
	storeScript = rueidis.NewLuaScript(`if redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
redis.call("DEL", KEYS[2])
if redis.call("SET", KEYS[1], ARGV[2], "NX", "PX", ARGV[3]) then return 1 end
return 2`)

	// deleteScript: KEYS[1] value, KEYS[2] lock. Revokes the lock of a
	// load in flight and deletes the value; returns how many values it
	// deleted.
	deleteScript = rueidis.NewLuaScript(`redis.call("DEL", KEYS[2])
return redis.call("DEL", KEYS[1])`)
)

// Results of storeScript.
const (
	storeLockLost = 0
	storeDone     = 1
	storeSetWon   = 2
)

// ErrLockLost is the cause (context.Cause) of the cancellation of a load's
// context when its lock in Redis was found lost: it expired (Redis paused
// or unreachable for longer than LockTTL) or an invalidation of the key
// revoked it. The load's value would be refused by Redis; GetOrLoad reads
// Redis again (and loads again if Redis has no value) instead.
var ErrLockLost = errors.New(errPrefix + "load lock lost")

// vkey is the Redis key of key's value; lkey that of its load lock.
func (c *Cache[V]) vkey(key string) string { return c.vpre + "{" + key + "}" }
func (c *Cache[V]) lkey(key string) string { return c.lpre + "{" + key + "}" }

// keyOf returns the cache key of the Redis key of a value (vpre+"{"+key+"}").
func (c *Cache[V]) keyOf(rk string) (string, bool) {
	if len(rk) < len(c.vpre)+2 || !strings.HasPrefix(rk, c.vpre) || rk[len(c.vpre)] != '{' || rk[len(rk)-1] != '}' {
		return "", false
	}
	return rk[len(c.vpre)+1 : len(rk)-1], true
}

// prefixTagSafe reports whether p has no "{" left open: every key the cache
// builds from p then takes its hash tag from p itself (all in one slot) or
// from the "{key}" the cache appends.
func prefixTagSafe(p string) bool {
	i := strings.IndexByte(p, '{')
	return i < 0 || strings.IndexByte(p[i+1:], '}') >= 0
}

// deleteFenced deletes key's value and revokes its load lock.
func (c *Cache[V]) deleteFenced(ctx context.Context, key string) error {
	return deleteScript.Exec(ctx, c.client, []string{c.vkey(key), c.lkey(key)}, nil).Error()
}

// storeFenced stores a loaded value if the lock still holds token; see
// storeScript for the results.
func (c *Cache[V]) storeFenced(ctx context.Context, key, token string, b []byte) (int64, error) {
	return storeScript.Exec(ctx, c.client, []string{c.vkey(key), c.lkey(key)},
		[]string{token, string(b), fmt.Sprint(c.ttl.Milliseconds())}).AsInt64()
}

// scanUnlink UNLINKs the keys matching pattern on every node (every master
// of a Cluster), walking each with SCAN, adding the number of keys removed
// to *n if n is not nil. A node that fails does not stop it; it returns an
// error for each node that failed, naming it.
func (c *Cache[V]) scanUnlink(ctx context.Context, pattern string, n *int) []error {
	var errs []error
	for addr, node := range c.scanNodes() {
		if node == nil {
			errs = append(errs, fmt.Errorf("node %s: %w: no connection to it yet", addr, ErrUnavailable))
			continue
		}
		m, err := c.unlinkMatching(ctx, node, pattern)
		if n != nil {
			*n += m
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", addr, c.redisErr(ctx, err)))
		}
	}
	return errs
}
