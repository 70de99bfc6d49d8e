// Package usecache instantiates shard.Cache[uint64, uint64] and
// shard.Cache[string, uint64] as a user's
// package does, importing shard and not internal/core, for
// TestGetCallsNothing.
package usecache

import "github.com/hotcache/hotcache/shard"

// Get is a Get hit's path through the generic cache.
func Get(c *shard.Cache[uint64, uint64], k uint64) (uint64, bool) { return c.Get(k) }

// GetString is the same for string keys.
func GetString(c *shard.Cache[string, uint64], k string) (uint64, bool) { return c.Get(k) }
