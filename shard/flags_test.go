package shard_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// TestOptionsBindFlags_ParsesIntoOptions checks that BindFlags defines the
// four flags on a standard FlagSet with the options' values as defaults,
// that parsing writes into the options, and that New then rejects a bad
// value by the option's name.
func TestOptionsBindFlags_ParsesIntoOptions(t *testing.T) {
	opts := shard.Options[string, string]{Capacity: 100, TTL: time.Minute}
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	opts.BindFlags(fs, "token-cache-")
	for name, def := range map[string]string{"token-cache-capacity": "100", "token-cache-ttl": "1m0s",
		"token-cache-max-ttl": "0s", "token-cache-negative-ttl": "0s"} {
		f := fs.Lookup(name)
		require.NotNil(t, f, name)
		assert.Equal(t, def, f.DefValue, name)
		assert.NotEmpty(t, f.Usage, name)
	}
	require.NoError(t, fs.Parse([]string{"-token-cache-capacity=5000", "-token-cache-ttl=5m",
		"-token-cache-max-ttl=1h", "-token-cache-negative-ttl=2s"}))
	assert.Equal(t, 5000, opts.Capacity)
	assert.Equal(t, 5*time.Minute, opts.TTL)
	assert.Equal(t, time.Hour, opts.MaxTTL)
	assert.Equal(t, 2*time.Second, opts.NegativeTTL)

	bad := shard.Options[string, string]{Capacity: 1}
	fs = flag.NewFlagSet("controller", flag.ContinueOnError)
	bad.BindFlags(fs, "")
	require.NoError(t, fs.Parse([]string{"-negative-ttl=-1s"}))
	_, err := shard.New(bad)
	require.EqualError(t, err, "shard: NegativeTTL must be >= 0, got -1s")
	require.Error(t, fs.Parse([]string{"-ttl=soon"}), "flag rejects what is not a duration")
}

// Flags for a cache's options, as a controller exposes them (with pflag:
// pflag.CommandLine.AddGoFlagSet(fs)).
func ExampleOptions_BindFlags() {
	opts := shard.Options[string, string]{Capacity: 1000, TTL: 5 * time.Minute} // the defaults
	fs := flag.NewFlagSet("controller", flag.ExitOnError)
	opts.BindFlags(fs, "token-cache-")
	_ = fs.Parse([]string{"-token-cache-capacity=50000", "-token-cache-negative-ttl=10s"})
	c, err := shard.New(opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(opts.Capacity, opts.TTL, opts.NegativeTTL)
	// Output: 50000 5m0s 10s
}

// TestOptionsLogger_RefreshFailure checks that a failed refresh-ahead
// reload, which no caller sees, is recorded on Options.Logger, and that
// OnLoad sees the refresh too.
func TestOptionsLogger_RefreshFailure(t *testing.T) {
	var logs bytes.Buffer
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	loaded := make(chan error, 4)
	c := shard.Must(shard.Options[string, string]{
		Capacity: 10, TTL: time.Minute, RefreshAhead: 0.5, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		OnLoad: func(_ string, _ time.Duration, err error) { loaded <- err },
	})
	defer c.Close()
	ctx := context.Background()
	_, err := c.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) { return "v", nil })
	require.NoError(t, err)
	require.NoError(t, <-loaded)
	clk.Advance(31 * time.Second)
	v, err := c.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) { return "", errors.New("registry down") })
	require.NoError(t, err)
	assert.Equal(t, "v", v, "the current value is served while the refresh runs")
	require.EqualError(t, <-loaded, "registry down", "OnLoad sees the refresh")
	require.EqualValues(t, 1, c.Stats().RefreshErrors)
	line := logs.String()
	assert.True(t, strings.Contains(line, "level=WARN") && strings.Contains(line, "refresh-ahead failed") &&
		strings.Contains(line, "key=k") && strings.Contains(line, `err="registry down"`), line)
}
