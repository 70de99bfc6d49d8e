package tier

import (
	"time"

	"github.com/redis/rueidis"
)

// clientOption is the rueidis.ClientOption New builds its client from: the
// defaults, the caller's credentials, TLS and edits, and then what
// coherence needs (see Options.ClientOption).
func (c *Cache[V]) clientOption(opts Options[V]) rueidis.ClientOption {
	co := rueidis.ClientOption{
		Username:         opts.Username,
		Password:         opts.Password,
		TLSConfig:        opts.TLSConfig,
		DisableRetry:     true,            // fail fast; never block until a deadline
		ConnWriteTimeout: 2 * time.Second, // rueidis closes a silent connection after this
	}
	if opts.ClientOption != nil {
		opts.ClientOption(&co)
	}
	co.InitAddress = append([]string(nil), opts.Addrs...)
	// Broadcast tracking of our namespace of values: Redis pushes the name
	// of every key written under it to every connection. NOLOOP: our own
	// writes drop their L1 copies themselves.
	co.ClientTrackingOptions = []string{"PREFIX", c.vpre, "BCAST", "NOLOOP"}
	co.OnInvalidations = c.invalidated
	co.DisableCache = false
	co.PipelineMultiplex = -1 // one connection per node: each invalidation arrives once
	// On a Cluster, rueidis reads the slot map this often (at least), so
	// that it connects (with tracking) to a master as soon as it serves
	// slots.
	if r := co.ClusterOption.ShardsRefreshInterval; r == 0 || r > slotsEvery {
		co.ClusterOption.ShardsRefreshInterval = slotsEvery
	}
	return co
}
