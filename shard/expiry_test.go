package shard_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// token is a value that carries its own expiry, like a registry token.
type token struct {
	id  string
	exp time.Time
}

func tokenExpiry(_ string, t token) time.Time { return t.exp }

// newTokenCache returns a token cache on a manual clock with Expiry, Skew
// one minute, and the given TTL and MaxTTL, recording evictions.
func newTokenCache(t *testing.T, ttl, maxTTL time.Duration) (*shard.Cache[string, token], *clock.Manual, *[]string) {
	clk := clock.NewManual(loadEpoch)
	var evicted []string
	c := newLoadCache(t, shard.Options[string, token]{
		Clock: clk, TTL: ttl, MaxTTL: maxTTL, Skew: time.Minute, Expiry: tokenExpiry,
		OnEvict: func(k string, v token, r evict.Reason) { evicted = append(evicted, k+"="+v.id+" "+r.String()) },
	})
	return c, clk, &evicted
}

func TestCacheSetExpiry_DeadlineFromValue(t *testing.T) {
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime := time.Unix(0, math.MaxInt64)
	for _, tc := range []struct {
		name        string
		ttl, maxTTL time.Duration
		exp         time.Time // relative to loadEpoch unless absolute
		want        time.Time // zero: never expires
	}{
		{"expiry less skew", 0, time.Hour, loadEpoch.Add(30 * time.Minute), loadEpoch.Add(29 * time.Minute)},
		{"capped at MaxTTL", 0, time.Hour, loadEpoch.Add(2 * time.Hour), loadEpoch.Add(time.Hour)},
		{"zero time uses TTL", 10 * time.Minute, time.Hour, time.Time{}, loadEpoch.Add(10 * time.Minute)},
		{"TTL capped at MaxTTL", 2 * time.Hour, time.Hour, time.Time{}, loadEpoch.Add(time.Hour)},
		{"zero time, no TTL, capped", 0, time.Hour, time.Time{}, loadEpoch.Add(time.Hour)},
		{"zero time, no TTL, no cap", 0, 0, time.Time{}, time.Time{}},
		{"year 3000 capped", 0, time.Hour, far, loadEpoch.Add(time.Hour)},
		{"year 3000 saturates", 0, 0, far, maxTime.Add(-time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTokenCache(t, tc.ttl, tc.maxTTL)
			c.Set("k", token{"t", tc.exp})
			v, exp, ok := c.GetWithExpiry("k")
			require.True(t, ok)
			assert.Equal(t, "t", v.id)
			assert.True(t, tc.want.Equal(exp), "deadline %v, want %v", exp, tc.want)
		})
	}
}

func TestCacheSetExpiry_ExpiresExactlyAtDeadline(t *testing.T) {
	c, clk, evicted := newTokenCache(t, 0, time.Hour)
	c.Set("k", token{"t", loadEpoch.Add(10 * time.Minute)})
	clk.Advance(9*time.Minute - 1)
	_, ok := c.Get("k")
	assert.True(t, ok, "one nanosecond before expiry - skew")
	clk.Advance(1)
	_, ok = c.Get("k")
	assert.False(t, ok, "at expiry - skew")
	clk.Advance(time.Second) // the manual clock's Advance runs the sweep
	assert.Equal(t, []string{"k=t expired"}, *evicted)
}

func TestCacheSetExpiry_AlreadyExpiredIsNotStoredAndRemovesOlder(t *testing.T) {
	for _, exp := range []time.Time{
		loadEpoch.Add(time.Minute), // exactly now once skew is taken off
		loadEpoch.Add(30 * time.Second),
		loadEpoch.Add(-time.Hour),
		time.Unix(0, 0), // must not read as "never"
		time.Unix(0, int64(time.Minute)),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		c, _, evicted := newTokenCache(t, 0, time.Hour)
		c.Set("k", token{"old", loadEpoch.Add(time.Hour)})
		c.Set("k", token{"new", exp})
		_, ok := c.Get("k")
		assert.False(t, ok, "expiry %v", exp)
		assert.Equal(t, 0, c.Len())
		assert.Equal(t, []string{"k=old replaced"}, *evicted, "the newer write wins even though it stores nothing")
	}
	c, clk, _ := newTokenCache(t, 0, time.Hour)
	c.Set("k", token{"t", loadEpoch.Add(time.Minute + 1)})
	_, ok := c.Get("k")
	assert.True(t, ok, "a nanosecond of life left is stored")
	clk.Advance(1)
	_, ok = c.Get("k")
	assert.False(t, ok)
}

func TestCacheSetExpiry_SetIfAbsentAndSetTTL(t *testing.T) {
	c, _, _ := newTokenCache(t, 0, time.Hour)
	past, soon := loadEpoch.Add(-time.Hour), loadEpoch.Add(10*time.Minute)

	actual, stored := c.SetIfAbsent("k", token{"expired", past})
	assert.False(t, stored)
	assert.Equal(t, token{}, actual, "nothing stored, nothing held")
	assert.Equal(t, 0, c.Len())

	actual, stored = c.SetIfAbsent("k", token{"t", soon})
	assert.True(t, stored)
	assert.Equal(t, "t", actual.id)
	_, exp, _ := c.GetWithExpiry("k")
	assert.Equal(t, soon.Add(-time.Minute), exp, "SetIfAbsent uses Expiry")

	actual, stored = c.SetIfAbsent("k", token{"expired", past})
	assert.False(t, stored)
	assert.Equal(t, "t", actual.id, "the live entry is kept")

	c.SetTTL("k", token{"ttl", past}, 5*time.Minute)
	v, exp, ok := c.GetWithExpiry("k")
	require.True(t, ok)
	assert.Equal(t, "ttl", v.id)
	assert.Equal(t, loadEpoch.Add(5*time.Minute), exp, "SetTTL ignores Expiry")
}

func TestCacheGetOrLoadExpiry_LoadedValues(t *testing.T) {
	c, clk, _ := newTokenCache(t, 0, time.Hour)
	calls := 0
	exp := loadEpoch.Add(30 * time.Minute)
	load := func(context.Context, string) (token, error) {
		calls++
		return token{"t", exp}, nil
	}
	ctx := context.Background()
	v, err := c.GetOrLoad(ctx, "k", load)
	require.NoError(t, err)
	assert.Equal(t, "t", v.id)
	_, got, _ := c.GetWithExpiry("k")
	assert.Equal(t, loadEpoch.Add(29*time.Minute), got)

	clk.Advance(29 * time.Minute)
	v, err = c.GetOrLoad(ctx, "k", load)
	require.NoError(t, err)
	assert.Equal(t, "t", v.id, "a value already expired goes to its caller")
	assert.Equal(t, 0, c.Len(), "but is not stored")
	assert.Equal(t, 2, calls)
	c.GetOrLoad(ctx, "k", load)
	assert.Equal(t, 3, calls)
}

func TestCacheOptions_LoadAndExpiryErrors(t *testing.T) {
	exp := func(string, string) time.Time { return time.Time{} }
	after := func(string, string) time.Duration { return 0 }
	for _, tc := range []struct {
		opts shard.Options[string, string]
		want string
	}{
		{shard.Options[string, string]{MaxTTL: -1, Expiry: exp}, "shard: MaxTTL must be >= 0, got -1ns"},
		{shard.Options[string, string]{Skew: -1, Expiry: exp}, "shard: Skew must be >= 0, got -1ns"},
		{shard.Options[string, string]{NegativeTTL: -time.Second}, "shard: NegativeTTL must be >= 0, got -1s"},
		{shard.Options[string, string]{MaxTTL: time.Hour}, "shard: MaxTTL (1h0m0s) needs Expiry or ExpireAfter; without them, set TTL"},
		{shard.Options[string, string]{Skew: time.Minute}, "shard: Skew (1m0s) needs Expiry"},
		{shard.Options[string, string]{RefreshAhead: 1, TTL: time.Hour}, "shard: RefreshAhead must be 0 or in (0, 1), got 1"},
		{shard.Options[string, string]{RefreshAhead: -0.5, TTL: time.Hour}, "shard: RefreshAhead must be 0 or in (0, 1), got -0.5"},
		{shard.Options[string, string]{RefreshAhead: math.NaN(), TTL: time.Hour}, "shard: RefreshAhead must be 0 or in (0, 1), got NaN"},
		{shard.Options[string, string]{RefreshAhead: 0.8}, "shard: RefreshAhead needs TTL, Expiry or ExpireAfter: entries that never expire are never refreshed"},
		{shard.Options[string, string]{Expiry: exp, ExpireAfter: after}, "shard: Expiry and ExpireAfter exclude each other: use Expiry for values that carry an absolute expiry, ExpireAfter for a lifetime from the write"},
		{shard.Options[string, string]{ExpireAfter: after, Skew: time.Second}, "shard: Skew (1s) needs Expiry"},
		{shard.Options[string, string]{ExpiryFraction: 0.8}, "shard: ExpiryFraction (0.8) needs Expiry: it is a fraction of the lifetime Expiry gives"},
		{shard.Options[string, string]{ExpireAfter: after, ExpiryFraction: 0.8}, "shard: ExpiryFraction (0.8) needs Expiry: it is a fraction of the lifetime Expiry gives"},
		{shard.Options[string, string]{Expiry: exp, ExpiryFraction: 1.5}, "shard: ExpiryFraction must be in (0, 1] (or 0 for 1), got 1.5"},
		{shard.Options[string, string]{Expiry: exp, ExpiryFraction: -0.1}, "shard: ExpiryFraction must be in (0, 1] (or 0 for 1), got -0.1"},
		{shard.Options[string, string]{Expiry: exp, ExpiryFraction: math.NaN()}, "shard: ExpiryFraction must be in (0, 1] (or 0 for 1), got NaN"},
	} {
		tc.opts.Capacity = 10
		_, err := shard.New(tc.opts)
		assert.EqualError(t, err, tc.want)
	}
	for _, ok := range []shard.Options[string, string]{
		{Capacity: 10, Expiry: exp, MaxTTL: time.Hour, Skew: time.Minute, RefreshAhead: 0.8, NegativeTTL: time.Second},
		{Capacity: 10, TTL: time.Minute, RefreshAhead: 0.5},
		{Capacity: 10, ExpireAfter: after, MaxTTL: time.Hour, RefreshAhead: 0.5},
		{Capacity: 10, Expiry: exp, ExpiryFraction: 1},
	} {
		c, err := shard.New(ok)
		require.NoError(t, err)
		c.Close()
	}
}
