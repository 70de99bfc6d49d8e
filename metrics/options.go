package metrics

// Option changes what a collector of this package exports.
type Option func(*config)

// config is what the Options set.
type config struct {
	legacy bool
}

func configOf(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// LegacyNames makes a collector export its series under the names and
// labels it used before the naming rule (see the package doc, "Names"):
// hotcache_<what> instead of hotcache_cache_<what> for a cache,
// buffer="<name>" instead of cache="<name>" for a writeback.Buffer, and
// hotcache_store_calls_total and hotcache_store_errors_total instead of
// hotcache_writeback_store_calls_total and
// hotcache_writeback_store_errors_total for a writeback.Cache. It is for
// dashboards written before the rename, while they migrate; the series are
// the same otherwise.
func LegacyNames() Option { return func(c *config) { c.legacy = true } }

// cachePrefix is the prefix of a cache's families under c.
func (c config) cachePrefix() string {
	if c.legacy {
		return "hotcache_"
	}
	return "hotcache_cache_"
}
