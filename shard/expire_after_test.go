package shard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// expiresIn returns how long after clk's time the entry k expires (0 if it
// never does), failing if k is absent.
func expiresIn[V any](t *testing.T, c *shard.Cache[string, V], clk *clock.Manual, k string) time.Duration {
	t.Helper()
	_, exp, ok := c.GetWithExpiry(k)
	require.True(t, ok, "%s is stored", k)
	if exp.IsZero() {
		return 0
	}
	return exp.Sub(clk.Time())
}

// TestCacheExpireAfter (issue 11, item 3b): a lifetime per value, counted
// from the write, for Set, SetIfAbsent and loads; 0 means TTL, a negative
// duration means "do not store", MaxTTL caps it, SetTTL ignores it.
func TestCacheExpireAfter(t *testing.T) {
	clk := clock.NewManual(loadEpoch)
	var evicted []string
	c := newLoadCache(t, shard.Options[string, string]{
		Clock: clk, TTL: time.Minute, MaxTTL: 2 * time.Hour,
		ExpireAfter: func(k, _ string) time.Duration {
			switch {
			case strings.HasPrefix(k, "short/"):
				return 10 * time.Second
			case strings.HasPrefix(k, "long/"):
				return 24 * time.Hour
			case strings.HasPrefix(k, "never/"):
				return -1
			}
			return 0
		},
		OnEvict: func(k, v string, r evict.Reason) { evicted = append(evicted, k+" "+r.String()) },
	})
	c.Set("short/a", "v")
	c.Set("default/a", "v")
	c.Set("long/a", "v")
	assert.Equal(t, 10*time.Second, expiresIn(t, c, clk, "short/a"))
	assert.Equal(t, time.Minute, expiresIn(t, c, clk, "default/a"), "0: TTL")
	assert.Equal(t, 2*time.Hour, expiresIn(t, c, clk, "long/a"), "capped by MaxTTL")

	clk.Advance(5 * time.Second)
	c.Set("short/a", "w")
	assert.Equal(t, 10*time.Second, expiresIn(t, c, clk, "short/a"), "counted from each write")
	clk.Advance(10 * time.Second)
	_, ok := c.Get("short/a")
	assert.False(t, ok, "expired after its own lifetime")

	_, stored := c.SetIfAbsent("short/b", "v")
	assert.True(t, stored)
	assert.Equal(t, 10*time.Second, expiresIn(t, c, clk, "short/b"))
	v, err := c.GetOrLoad(context.Background(), "short/c", func(context.Context, string) (string, error) { return "loaded", nil })
	require.NoError(t, err)
	assert.Equal(t, "loaded", v)
	assert.Equal(t, 10*time.Second, expiresIn(t, c, clk, "short/c"), "loads too")

	c.SetTTL("short/d", "v", time.Hour)
	assert.Equal(t, time.Hour, expiresIn(t, c, clk, "short/d"), "SetTTL ignores ExpireAfter")

	// Negative: not stored, and the key's older value goes.
	c.SetTTL("never/a", "old", time.Hour)
	evicted = nil
	c.Set("never/a", "new")
	_, ok = c.Peek("never/a")
	assert.False(t, ok)
	assert.Equal(t, []string{"never/a replaced"}, evicted)
	_, stored = c.SetIfAbsent("never/b", "v")
	assert.False(t, stored)
	_, ok = c.Peek("never/b")
	assert.False(t, ok)
}

// TestCacheExpiryFraction (issue 11, item 3b): under Expiry, a value lives
// ExpiryFraction of the lifetime it has left, then Skew and MaxTTL apply.
func TestCacheExpiryFraction(t *testing.T) {
	clk := clock.NewManual(loadEpoch)
	type token struct{ expires time.Time }
	c := newLoadCache(t, shard.Options[string, token]{
		Clock: clk, TTL: time.Minute,
		Expiry:         func(_ string, v token) time.Time { return v.expires },
		ExpiryFraction: 0.8,
		Skew:           10 * time.Second,
		MaxTTL:         time.Hour,
	})
	now := clk.Time()
	c.Set("100s", token{now.Add(100 * time.Second)})
	assert.Equal(t, 70*time.Second, expiresIn(t, c, clk, "100s"), "80% of 100 s, minus 10 s of skew")
	c.Set("2h", token{now.Add(2 * time.Hour)})
	assert.Equal(t, time.Hour, expiresIn(t, c, clk, "2h"), "80% of 2 h, capped at 1 h")
	c.Set("zero", token{})
	assert.Equal(t, time.Minute, expiresIn(t, c, clk, "zero"), "a zero time: TTL")
	c.Set("past", token{now.Add(-time.Second)})
	_, ok := c.Peek("past")
	assert.False(t, ok, "an expired token is not stored")
	c.Set("10s", token{now.Add(10 * time.Second)})
	_, ok = c.Peek("10s")
	assert.False(t, ok, "8 s left, less than the skew: not stored")

	clk.Advance(50 * time.Second)
	c.Set("100s", token{now.Add(100 * time.Second)})
	assert.Equal(t, 30*time.Second, expiresIn(t, c, clk, "100s"), "a fraction of the time left now: 0.8 × 50 s − 10 s")
}
