package metrics_test

import (
	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/metrics"
	"github.com/hotcache/hotcache/objects"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
)

// Every cache type of the project is a source of some collector.
var (
	_ metrics.Source = (*shard.Cache[string, int])(nil)
	_ metrics.Source = (*generated.AnyCache)(nil)
	_ metrics.Source = (*generated.BytesCache)(nil)
	_ metrics.Source = (*generated.CounterCache)(nil)
	_ metrics.Source = (*generated.DigestCache)(nil)
	_ metrics.Source = (*generated.PermCache)(nil)
	_ metrics.Source = (*generated.StringCache)(nil)
	_ metrics.Source = (*generated.TokenCache)(nil)
	_ metrics.Source = (*generated.Uint64Cache)(nil)
	_ metrics.Source = (*objects.Store[string])(nil)

	// GetOrLoadFor takes shard.Cache and every generated cache.
	_ metrics.CachedLoader[string, int]              = (*shard.Cache[string, int])(nil)
	_ metrics.CachedLoader[string, any]              = (*generated.AnyCache)(nil)
	_ metrics.CachedLoader[string, []byte]           = (*generated.BytesCache)(nil)
	_ metrics.CachedLoader[string, uint64]           = (*generated.CounterCache)(nil)
	_ metrics.CachedLoader[[32]byte, []byte]         = (*generated.DigestCache)(nil)
	_ metrics.CachedLoader[generated.PermKey, bool]  = (*generated.PermCache)(nil)
	_ metrics.CachedLoader[string, string]           = (*generated.StringCache)(nil)
	_ metrics.CachedLoader[string, *generated.Token] = (*generated.TokenCache)(nil)
	_ metrics.CachedLoader[uint64, uint64]           = (*generated.Uint64Cache)(nil)

	_ metrics.BufferSource         = (*writeback.Buffer[string, int])(nil)
	_ metrics.WritebackCacheSource = (*writeback.Cache[string, int])(nil)
)
