package shard

// CacheHash returns the hash c computes for its keys (its seeded default
// hash, or Options.Hash), for tests outside the package that model the
// cache: the admission filter's sketch is indexed by it.
func CacheHash[K comparable, V any](c *Cache[K, V]) func(K) uint64 { return c.hashOf }
