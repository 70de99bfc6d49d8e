package core

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
)

// Options is shard.Options, whose fields' docs are the reference: shard
// converts one to the other (core.Options[K, V](opts)), which keeps their
// fields identical. Errors it names keep the "shard: " prefix.
type Options[K comparable, V any] struct {
	Capacity int

	Weigher   func(key K, value V) uint32
	MaxWeight uint64

	Shards int

	TTL time.Duration

	Clock clock.Clock

	Policy evict.Policy

	NoAdmission bool

	CountHits bool

	Hash func(K) uint64

	OnEvict func(key K, value V, reason evict.Reason)

	Expiry func(key K, value V) time.Time

	ExpiryFraction float64

	ExpireAfter func(key K, value V) time.Duration

	MaxTTL time.Duration

	Skew time.Duration

	NegativeTTL time.Duration

	RefreshAhead float64

	OnLoad func(key K, d time.Duration, err error)

	Logger *slog.Logger

	ExpireAfterAccess time.Duration
}

// errPrefix starts every error this package returns.
const errPrefix = "shard: "

// ErrNotFound is returned, or wrapped, by loaders to say that a key has no
// value; see the loading methods.
var ErrNotFound = errors.New(errPrefix + "not found")

// ErrClosed is returned by GetOrLoad, for a key it would have to load, once
// the cache is closed; shard.ErrClosed is this error, and so are
// writeback.ErrClosed and tier.ErrClosed.
var ErrClosed = errors.New("hotcache: closed")

const maxShards = 256

func (o *Options[K, V]) validate() error {
	switch {
	case o.Capacity < 0:
		return fmt.Errorf("%sCapacity must be >= 0, got %d", errPrefix, o.Capacity)
	case o.MaxWeight > 0 && o.Weigher == nil:
		return fmt.Errorf("%sMaxWeight (%d) needs a Weigher", errPrefix, o.MaxWeight)
	case o.Weigher != nil && o.MaxWeight == 0:
		return fmt.Errorf("%sWeigher needs MaxWeight > 0", errPrefix)
	case o.Capacity == 0 && o.MaxWeight == 0:
		return fmt.Errorf("%sCapacity must be > 0 unless MaxWeight is set, got 0", errPrefix)
	}
	if o.Shards < 0 || o.Shards > maxShards || o.Shards&(o.Shards-1) != 0 {
		return fmt.Errorf("%sShards must be 0 or a power of two between 1 and %d, got %d", errPrefix, maxShards, o.Shards)
	}
	if o.Capacity > 0 && o.Shards > o.Capacity {
		return fmt.Errorf("%sShards must be at most Capacity (%d), got %d", errPrefix, o.Capacity, o.Shards)
	}
	if o.TTL < 0 {
		return fmt.Errorf("%sTTL must be >= 0, got %v", errPrefix, o.TTL)
	}
	if err := o.validateLoad(); err != nil {
		return err
	}
	if err := o.validateAccess(); err != nil {
		return err
	}
	if !o.Policy.Valid() {
		return fmt.Errorf("%sPolicy must be evict.SIEVE or evict.CLOCK, got %v", errPrefix, o.Policy)
	}
	return nil
}

// validateLoad checks the options of expiry from values and loading.
func (o *Options[K, V]) validateLoad() error {
	switch r, f := o.RefreshAhead, o.ExpiryFraction; {
	case o.MaxTTL < 0:
		return fmt.Errorf("%sMaxTTL must be >= 0, got %v", errPrefix, o.MaxTTL)
	case o.Skew < 0:
		return fmt.Errorf("%sSkew must be >= 0, got %v", errPrefix, o.Skew)
	case o.NegativeTTL < 0:
		return fmt.Errorf("%sNegativeTTL must be >= 0, got %v", errPrefix, o.NegativeTTL)
	case o.Expiry != nil && o.ExpireAfter != nil:
		return fmt.Errorf("%sExpiry and ExpireAfter exclude each other: use Expiry for values that carry an absolute expiry, ExpireAfter for a lifetime from the write", errPrefix)
	case o.Expiry == nil && o.ExpireAfter == nil && o.MaxTTL != 0:
		return fmt.Errorf("%sMaxTTL (%v) needs Expiry or ExpireAfter; without them, set TTL", errPrefix, o.MaxTTL)
	case o.Expiry == nil && o.Skew != 0:
		return fmt.Errorf("%sSkew (%v) needs Expiry", errPrefix, o.Skew)
	case !(f >= 0 && f <= 1): // NaN too
		return fmt.Errorf("%sExpiryFraction must be in (0, 1] (or 0 for 1), got %v", errPrefix, f)
	case o.Expiry == nil && f != 0:
		return fmt.Errorf("%sExpiryFraction (%v) needs Expiry: it is a fraction of the lifetime Expiry gives", errPrefix, f)
	case !(r == 0 || r > 0 && r < 1):
		return fmt.Errorf("%sRefreshAhead must be 0 or in (0, 1), got %v", errPrefix, r)
	case r != 0 && o.TTL == 0 && o.Expiry == nil && o.ExpireAfter == nil:
		return fmt.Errorf("%sRefreshAhead needs TTL, Expiry or ExpireAfter: entries that never expire are never refreshed", errPrefix)
	}
	return nil
}
