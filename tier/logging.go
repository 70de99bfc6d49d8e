package tier

import "strings"

// logHealth records a change of Redis's health seen by the monitor on
// Options.Logger, if set: Warn when Redis becomes unreachable (err is the
// failed health check), Info when it is reachable again.
func (c *Cache[V]) logHealth(up bool, err error) {
	if c.log == nil {
		return
	}
	prefix := strings.TrimSuffix(c.vpre, "v:")
	if up {
		c.log.Info("hotcache tier: Redis reachable again; L1 resumes", "prefix", prefix)
		return
	}
	c.log.Warn("hotcache tier: Redis unreachable; L1 emptied, Get fails and GetOrLoad loads directly until it answers",
		"prefix", prefix, "err", err)
}

// logNode logs a change of a Redis Cluster master's health.
func (c *Cache[V]) logNode(addr string, up bool) {
	if c.log == nil {
		return
	}
	prefix := strings.TrimSuffix(c.vpre, "v:")
	if up {
		c.log.Info("hotcache tier: Redis Cluster master reachable again; its keys resume in L1", "prefix", prefix, "node", addr)
		return
	}
	c.log.Warn("hotcache tier: Redis Cluster master unreachable; its keys left L1, Get of them fails and GetOrLoad loads them directly until it answers",
		"prefix", prefix, "node", addr)
}
