package tier

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
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

// Options configures a Cache. Prefix, TTL and L1.Capacity are required,
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

	// L1 configures the in-process cache, a shard.Cache: every field has
	// its meaning and default there, as in writeback.CacheOptions.L1 and
	// objects.NewStore. Capacity (or MaxWeight) is required. Eight fields
	// must stay zero, each for a reason the error names: TTL, Expiry,
	// ExpireAfter, MaxTTL and Skew (Options.TTL governs both tiers: an L1
	// copy lives only as long as its Redis original), RefreshAhead (a
	// background reload would bypass Redis and its lock), NegativeTTL (an
	// absence remembered in one process would not be invalidated by
	// another's write), and OnLoad (loads go through Redis, not through
	// L1). L1.Clock is the clock of L1 lifetimes (computed with it too).
	// L1.OnEvict, if set, also runs on rueidis's reading goroutine for
	// copies dropped by invalidations: it must be quick there, and must not
	// call this Cache (it runs under one of its locks).
	L1 shard.Options[string, V]

	// Local is L1 under its former name.
	//
	// Deprecated: use L1 (the same options); set one of the two.
	Local shard.Options[string, V]

	// Logger, if set, receives a record of every change of Redis's health
	// as the monitor sees it (Warn when Redis becomes unreachable and L1 is
	// emptied, Info when it is reachable again), failures that no caller
	// sees otherwise. nil means no logging (pass slog.Default() for the
	// process's logger), as in shard.Options.Logger and
	// writeback.Options.Logger.
	Logger *slog.Logger

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
	// ErrClosed is returned by every method but Close called after Close.
	// It is shard.ErrClosed, the same value, so errors.Is matches it
	// whichever package returned it.
	ErrClosed = shard.ErrClosed

	// ErrUnavailable is wrapped by the errors Get returns while Redis is
	// unreachable: the value is unknown (not absent). Test with errors.Is.
	ErrUnavailable = errors.New(errPrefix + "Redis is unreachable")
)

// l1 returns the L1 options, from L1 or the deprecated Local, and the name
// of the field they came from, for error messages.
func (o *Options[V]) l1() (shard.Options[string, V], string) {
	if reflect.ValueOf(o.L1).IsZero() && !reflect.ValueOf(o.Local).IsZero() {
		return o.Local, "Local"
	}
	return o.L1, "L1"
}

// validate checks every option that does not need the network.
func (o *Options[V]) validate(needAddrs bool) error {
	l1, n := o.l1()
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
	case !reflect.ValueOf(o.L1).IsZero() && !reflect.ValueOf(o.Local).IsZero():
		return errors.New(errPrefix + "set L1 or the deprecated Local, not both (they are the same options)")
	case l1.TTL != 0:
		return fmt.Errorf("%s%s.TTL must be 0 (Options.TTL governs both tiers), got %v", errPrefix, n, l1.TTL)
	case l1.Expiry != nil:
		return fmt.Errorf("%s%s.Expiry must be nil (Options.TTL governs both tiers)", errPrefix, n)
	case l1.ExpireAfter != nil:
		return fmt.Errorf("%s%s.ExpireAfter must be nil (Options.TTL governs both tiers: an L1 copy lives only as long as its Redis original)", errPrefix, n)
	case l1.RefreshAhead != 0:
		return fmt.Errorf("%s%s.RefreshAhead must be 0 (a background reload would bypass the Redis tier), got %v", errPrefix, n, l1.RefreshAhead)
	case l1.NegativeTTL != 0:
		return fmt.Errorf("%s%s.NegativeTTL must be 0 (a remembered absence would not be invalidated by other replicas), got %v", errPrefix, n, l1.NegativeTTL)
	case l1.MaxTTL != 0:
		return fmt.Errorf("%s%s.MaxTTL must be 0 (it caps Expiry, which Options.TTL replaces here), got %v", errPrefix, n, l1.MaxTTL)
	case l1.Skew != 0:
		return fmt.Errorf("%s%s.Skew must be 0 (it shortens Expiry, which Options.TTL replaces here), got %v", errPrefix, n, l1.Skew)
	case l1.OnLoad != nil:
		return fmt.Errorf("%s%s.OnLoad must be nil (GetOrLoad loads through Redis and its lock, not through L1)", errPrefix, n)
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
