package writeback_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// TestCacheGet_MissIsFalseNotAnError checks the read vocabulary: Get
// returns (v, true, nil) for a value, (zero, false, nil) for a key the
// store lacks, and the store's error otherwise; L1.NegativeTTL 0 means a
// miss is not remembered (shard's meaning), unlike the deprecated field.
func TestCacheGet_MissIsFalseNotAnError(t *testing.T) {
	ctx := t.Context()
	s := &counted[string]{mem: memstore.New[string, string]()}
	c, err := writeback.NewCache(s, writeback.CacheOptions[string, string]{L1: shard.Options[string, string]{Capacity: 10}})
	require.NoError(t, err)
	defer c.Close()

	v, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Empty(t, v)
	_, _, err = c.Get(ctx, "k")
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.loads.Load(), "L1.NegativeTTL 0: the miss is not remembered")

	require.NoError(t, c.Set(ctx, "k", "v"))
	v, ok, err = c.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "v", v)
	assert.EqualValues(t, 3, s.loads.Load())
	v, err = c.Load(ctx, "k") // the deprecated name: the same cached value
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.EqualValues(t, 3, s.loads.Load())
	require.NoError(t, c.Store(ctx, "k", "w")) // the deprecated name drops the copy as Set does
	v, _, err = c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "w", v)
	st := c.Stats()
	assert.Equal(t, st.L1, st.Cache, "the deprecated Cache field is L1")
	assert.EqualValues(t, 2, st.StoreCalls)
}

// TestCacheOptions_L1GainsTTLAndExpiryFraction checks that the options
// writeback.CacheOptions lacked before it wrapped shard.Options work
// through L1: TTL without Expiry, and ExpiryFraction with it.
func TestCacheOptions_L1GainsTTLAndExpiryFraction(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	s := &counted[token]{mem: memstore.New[string, token]()}
	c, err := writeback.NewCache(s, writeback.CacheOptions[string, token]{L1: shard.Options[string, token]{
		Capacity: 10, Clock: clk, ExpiryFraction: 0.5,
		Expiry: func(_ string, t token) time.Time { return t.Exp },
	}})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, s.mem.Store(ctx, "t", token{ID: "t", Exp: clk.Time().Add(time.Hour)}))
	_, _, err = c.Get(ctx, "t")
	require.NoError(t, err)
	clk.Advance(30*time.Minute - time.Second)
	_, _, err = c.Get(ctx, "t")
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.loads.Load(), "cached for half the token's lifetime")
	clk.Advance(2 * time.Second)
	_, _, err = c.Get(ctx, "t")
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.loads.Load(), "reloaded after half its lifetime")

	ttl, err := writeback.NewCache(s, writeback.CacheOptions[string, token]{L1: shard.Options[string, token]{Capacity: 10, Clock: clk, TTL: time.Minute}})
	require.NoError(t, err)
	defer ttl.Close()
	_, _, err = ttl.Get(ctx, "t")
	require.NoError(t, err)
	clk.Advance(time.Minute)
	_, _, err = ttl.Get(ctx, "t")
	require.NoError(t, err)
	assert.EqualValues(t, 4, s.loads.Load(), "L1.TTL expired the copy")
}

// TestClose_OneRule checks the Close story of package writeback against
// shard's: Close is idempotent and returns nil (Buffer: what its flush
// returns); afterwards methods that can fail return shard.ErrClosed, the
// one ErrClosed of the library; a Buffer still serves Get and Flush.
func TestClose_OneRule(t *testing.T) {
	ctx := t.Context()
	mem := memstore.New[string, string]()
	require.NoError(t, mem.Store(ctx, "k", "v"))

	c, err := writeback.NewCache[string, string](mem, writeback.CacheOptions[string, string]{L1: shard.Options[string, string]{Capacity: 10}})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	_, _, err = c.Get(ctx, "k")
	assert.ErrorIs(t, err, shard.ErrClosed)
	_, err = c.Load(ctx, "k")
	assert.ErrorIs(t, err, shard.ErrClosed)
	assert.ErrorIs(t, c.Set(ctx, "k", "w"), shard.ErrClosed)
	assert.ErrorIs(t, c.Store(ctx, "k", "w"), shard.ErrClosed)
	assert.ErrorIs(t, c.Delete(ctx, "k"), shard.ErrClosed)
	v, _ := mem.Load(ctx, "k")
	assert.Equal(t, "v", v, "a closed Cache writes nothing")
	assert.Same(t, shard.ErrClosed, writeback.ErrClosed, "one value, not two equal errors")

	b, err := writeback.New[string, string](mem, writeback.Options{})
	require.NoError(t, err)
	require.NoError(t, b.Set(ctx, "p", "1"))
	require.NoError(t, b.Close(ctx))
	require.NoError(t, b.Close(ctx), "a second Close has nothing left to flush")
	assert.ErrorIs(t, b.Set(ctx, "p", "2"), shard.ErrClosed)
	v, ok, err := b.Get(ctx, "p")
	require.NoError(t, err, "a Buffer serves Get after Close")
	assert.True(t, ok)
	assert.Equal(t, "1", v)
	require.NoError(t, b.Flush(ctx), "and Flush")

	sc := shard.Must(shard.Options[string, string]{Capacity: 10})
	sc.Set("k", "v")
	require.NoError(t, sc.Close())
	require.NoError(t, sc.Close())
	loads := 0
	load := func(context.Context, string) (string, error) { loads++; return "x", nil }
	v, err = sc.GetOrLoad(ctx, "k", load)
	require.NoError(t, err, "a hit is served after Close")
	assert.Equal(t, "v", v)
	_, err = sc.GetOrLoad(ctx, "other", load)
	assert.ErrorIs(t, err, writeback.ErrClosed, "no load starts on a closed shard.Cache")
	assert.Zero(t, loads)
}

// panicking is a store whose writes panic.
type panicking struct{ writeback.KV[string, string] }

func (panicking) Store(context.Context, string, string) error { panic("boom") }

// TestPanicError_OneTypeAcrossPackages checks that a store panic in a
// Buffer and a loader panic in a shard.Cache are the same error type,
// matched by errors.As with a *shard.PanicError, told apart by Op; and
// that Options.Logger records the failed flush.
func TestPanicError_OneTypeAcrossPackages(t *testing.T) {
	ctx := t.Context()
	var logs bytes.Buffer
	var reported []error
	b, err := writeback.New[string, string](panicking{memstore.New[string, string]()}, writeback.Options{
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
		OnError: func(err error) { reported = append(reported, err) },
	})
	require.NoError(t, err)
	require.NoError(t, b.Set(ctx, "k", "v"))
	err = b.Flush(ctx)
	var fe *writeback.FlushError[string]
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, []string{"k"}, fe.Keys)
	var pe *shard.PanicError
	require.ErrorAs(t, err, &pe, "a store panic is a *shard.PanicError")
	assert.Equal(t, "writeback: store", pe.Op)
	assert.Equal(t, "writeback: store panicked: boom", pe.Error())
	assert.Equal(t, "boom", pe.Value)
	var wpe *writeback.PanicError
	require.ErrorAs(t, err, &wpe, "writeback.PanicError is the same type")
	assert.Same(t, pe, wpe)
	require.Len(t, reported, 1, "OnError still sees the failure")
	line := logs.String()
	assert.Contains(t, line, "level=WARN")
	assert.Contains(t, line, "flush left writes unstored")
	assert.Contains(t, line, "keys=1")
	assert.Contains(t, line, "writeback: store panicked: boom")
	assert.NotContains(t, line, "k=v", "records carry no key or value")
	_ = b.Close(ctx)

	sc := shard.Must(shard.Options[string, string]{Capacity: 10})
	defer sc.Close()
	_, err = sc.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) { panic(errors.New("loader boom")) })
	require.ErrorAs(t, err, &pe)
	assert.Empty(t, pe.Op)
	assert.True(t, strings.HasPrefix(pe.Error(), "shard: loader panicked: "), pe.Error())
}
