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

	_ metrics.BufferSource         = (*writeback.Buffer[string, int])(nil)
	_ metrics.WritebackCacheSource = (*writeback.Cache[string, int])(nil)
)
