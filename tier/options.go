package tier

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// Codec turns values into the bytes stored in Redis and back. It must be
// safe for concurrent use. Unmarshal must return a value that shares no
// mutable memory with the bytes it is given (they are not reused, but the
// value goes into L1, where every reader sees it).
type Codec[V any] interface {
	Marshal(V) ([]byte, error)
	Unmarshal([]byte) (V, error)
}

// Options configures a Cache. Prefix, TTL and Local.Capacity are required,
// and Addrs unless the cache is built with [NewWithClient].
type Options[V any] struct {
	// Addrs are the Redis addresses, host:port, with the meaning of
	// rueidis.ClientOption.InitAddress: one standalone server, or seeds
	// of a Redis Cluster. New connects to them before it returns.
	Addrs []string

	// Prefix is the namespace of this cache's keys in Redis; required.
	// A value is stored under Prefix+"v:{"+key+"}" and the load lock of a
	// key under Prefix+"l:{"+key+"}" (the braces make {key} the Redis
	// Cluster hash tag, so that a key's value and lock share a slot and one
	// script can check both), so Prefix should end with a separator (e.g.
	// "perm:"), and must not hold a "{" without a later "}" (a balanced
	// "{tag}" in it puts the whole cache in one slot). Every replica of one
	// cache uses the same Prefix; two caches must not use prefixes of which
	// one begins the other.
	Prefix string

	// TTL is the lifetime of a value in Redis, and the longest it stays in
	// L1 (an L1 copy never outlives its Redis original); required, at
	// least 1ms.
	TTL time.Duration

	// Local configures the L1, an in-process shard.Cache; the type is
	// shard's own, so that its fields mean what they mean there. Capacity
	// is required. Six fields must be left zero, each for a reason (New
	// says which): TTL, Expiry, and MaxTTL and Skew (which only shape
	// Expiry's deadlines), because Options.TTL and each value's remaining
	// lifetime in Redis govern both tiers (an L1 copy must never outlive
	// its Redis original); RefreshAhead, because a background reload would
	// bypass the Redis tier, its lock and its fence; NegativeTTL, because
	// an absence remembered in one process would not be invalidated by
	// another's write. Local.Clock is the clock of L1 lifetimes (computed
	// with it too). Local.OnEvict, if set, also runs on rueidis's reading
	// goroutine for copies dropped by invalidations: it must be quick
	// there, and must not call this Cache (it runs under one of its locks).
	Local shard.Options[string, V]

	// Codec encodes values for Redis; nil means encoding/json.
	Codec Codec[V]

	// LockTTL is how long one replica may hold a key's load lock in Redis
	// (0: DefaultLockTTL; otherwise at least 10ms). The lock is extended while the load runs, so a
	// slow load keeps it; a replica that dies holding it frees the key
	// after at most LockTTL.
	LockTTL time.Duration

	// Username and Password authenticate New's connections (Redis 6 ACL
	// user, or Password alone for requirepass); TLSConfig, if not nil,
	// makes them TLS connections (managed Redis services need both). For
	// NewWithClient they must be empty: configure the client instead.
	Username  string
	Password  string
	TLSConfig *tls.Config

	// ClientOption, if not nil, edits the rueidis.ClientOption New builds
	// its client from, after Username, Password and TLSConfig are set:
	// any other field (timeouts, Sentinel, dialer, ...) may be set there.
	// New then sets, whatever the function did, the fields coherence
	// needs: InitAddress (from Addrs), ClientTrackingOptions,
	// OnInvalidations, DisableCache (false) and PipelineMultiplex (-1: one
	// connection per node, so each invalidation arrives once). Before the
	// function runs, DisableRetry is true and ConnWriteTimeout 2s (the
	// function may change them: retries then delay errors, and so the
	// fallback to the loader). Must be nil for NewWithClient.
	ClientOption func(*rueidis.ClientOption)
}

// DefaultLockTTL is the LockTTL used when Options.LockTTL is 0.
const DefaultLockTTL = 10 * time.Second

// errPrefix starts every error message of this package.
const errPrefix = "tier: "

var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New(errPrefix + "cache is closed")

	// ErrUnavailable is wrapped by the errors Get returns while Redis is
	// unreachable: the value is unknown (not absent). Test with errors.Is.
	ErrUnavailable = errors.New(errPrefix + "Redis is unreachable")
)

// validate checks every option that does not need the network.
func (o *Options[V]) validate(needAddrs bool) error {
	switch {
	case o.Prefix == "":
		return errors.New(errPrefix + "Prefix is required (the namespace of this cache's keys in Redis)")
	case o.TTL <= 0:
		return fmt.Errorf("%sTTL must be > 0, got %v", errPrefix, o.TTL)
	case o.TTL < time.Millisecond:
		return fmt.Errorf("%sTTL must be at least 1ms (Redis counts expiry in milliseconds), got %v", errPrefix, o.TTL)
	case o.LockTTL < 0:
		return fmt.Errorf("%sLockTTL must be >= 0 (0: %v), got %v", errPrefix, DefaultLockTTL, o.LockTTL)
	case o.LockTTL > 0 && o.LockTTL < 10*time.Millisecond:
		return fmt.Errorf("%sLockTTL must be 0 or at least 10ms, got %v", errPrefix, o.LockTTL)
	case !prefixTagSafe(o.Prefix):
		return fmt.Errorf("%sPrefix %q has a \"{\" without a later \"}\": the cache wraps each key in a Redis Cluster hash tag, {key}, which such a prefix would break", errPrefix, o.Prefix)
	case !needAddrs && (o.Username != "" || o.Password != "" || o.TLSConfig != nil || o.ClientOption != nil):
		return errors.New(errPrefix + "NewWithClient: Username, Password, TLSConfig and ClientOption configure New's client; set them on the client given to NewWithClient instead")
	case needAddrs && len(o.Addrs) == 0:
		return errors.New(errPrefix + "Addrs is empty: give at least one Redis address, host:port")
	case o.Local.TTL != 0:
		return fmt.Errorf("%sLocal.TTL must be 0 (Options.TTL governs both tiers), got %v", errPrefix, o.Local.TTL)
	case o.Local.Expiry != nil:
		return errors.New(errPrefix + "Local.Expiry must be nil (Options.TTL governs both tiers)")
	case o.Local.RefreshAhead != 0:
		return fmt.Errorf("%sLocal.RefreshAhead must be 0 (a background reload would bypass the Redis tier), got %v", errPrefix, o.Local.RefreshAhead)
	case o.Local.NegativeTTL != 0:
		return fmt.Errorf("%sLocal.NegativeTTL must be 0 (a remembered absence would not be invalidated by other replicas), got %v", errPrefix, o.Local.NegativeTTL)
	case o.Local.MaxTTL != 0 || o.Local.Skew != 0:
		return errors.New(errPrefix + "Local.MaxTTL and Local.Skew must be 0 (they shape deadlines that Local.Expiry computes, and Local.Expiry must be nil: Options.TTL governs both tiers)")
	}
	for i, a := range o.Addrs {
		if a == "" {
			return fmt.Errorf("%sAddrs[%d] is empty", errPrefix, i)
		}
	}
	return nil
}

// jsonCodec is the default Codec: encoding/json.
type jsonCodec[V any] struct{}

func (jsonCodec[V]) Marshal(v V) ([]byte, error) { return json.Marshal(v) }

func (jsonCodec[V]) Unmarshal(b []byte) (V, error) {
	var v V
	err := json.Unmarshal(b, &v)
	return v, err
}
