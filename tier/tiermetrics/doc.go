// Package tiermetrics exports the counters of a two-tier cache (package
// tier) to Prometheus. It is a package of its own, so that users of the
// other hotcache collectors (module metrics) do not pull in the Redis
// client, and users of tier who do not use Prometheus do not compile it.
//
// [NewCollector] (or [Register]) exports a cache's tier.Stats, each series
// labelled cache="<name>", with the same naming rules as the other
// hotcache collectors (base units, _total on counters):
//
//	hotcache_tier_l1_hits_total               counter  L1 lookups that found a copy (Local.CountHits only)
//	hotcache_tier_l1_misses_total             counter  ...that did not (Local.CountHits only)
//	hotcache_tier_l1_hits_counted             gauge    1 with Local.CountHits, else 0
//	hotcache_tier_l1_evictions_total{reason}  counter  L1 copies that left: capacity, expired, deleted, replaced
//	hotcache_tier_l2_hits_total               counter  Redis reads that found a value
//	hotcache_tier_l2_misses_total             counter  Redis reads that found none
//	hotcache_tier_sets_total                  counter  successful Set calls
//	hotcache_tier_deletes_total               counter  successful Delete calls
//	hotcache_tier_loads_total                 counter  loader calls (fallbacks included)
//	hotcache_tier_load_errors_total           counter  loader calls that failed or panicked
//	hotcache_tier_lock_waits_total            counter  loads that waited for another replica's lock
//	hotcache_tier_lost_locks_total            counter  loads whose lock was found lost (expired or revoked)
//	hotcache_tier_fenced_stores_total         counter  loaded values Redis refused (lock lost)
//	hotcache_tier_fallbacks_total             counter  loader calls made without Redis (unreachable)
//	hotcache_tier_unavailable_total           counter  Get calls answered ErrUnavailable without trying Redis
//	hotcache_tier_invalidations_total         counter  keys named by Redis invalidation messages
//	hotcache_tier_flushes_total               counter  "invalidate everything" messages (FLUSHALL, a closed connection)
//	hotcache_tier_disconnects_total           counter  times a Redis node was found unreachable
//	hotcache_tier_reconnects_total            counter  times one was found reachable again
//	hotcache_tier_topology_changes_total      counter  Redis Cluster slot-map changes seen (each empties L1)
//	hotcache_tier_connected                   gauge    1 if Redis (some node of a Cluster) answered the last health check
//	hotcache_tier_node_up{node}               gauge    1 if the node (host:port) answered the last health check
//
// L1 hits and misses are counted only by a cache built with
// Local.CountHits, as in package metrics: without it the two families are
// not exported and hotcache_tier_l1_hits_counted is 0. An L1 miss is an L2
// read (hotcache_tier_l2_hits_total + hotcache_tier_l2_misses_total) unless
// Redis was unreachable.
//
// A scrape calls the cache's Stats once (atomic loads, and the nodes'
// states; no network call, no lock a Get takes) and sends constant metrics:
// nothing is added to the cache's read path.
package tiermetrics
