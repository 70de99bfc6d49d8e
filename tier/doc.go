// Package tier is a two-tier cache for services that run as many replicas:
// an in-process hotcache shard.Cache (L1) in front of Redis (L2, through
// github.com/redis/rueidis), kept coherent across replicas by Redis's
// server-assisted client-side caching.
//
// Every replica builds a [Cache] with the same Options.Prefix. Values live
// in Redis under Prefix+"v:{"+key+"}" for Options.TTL (the braces make the
// key the Redis Cluster hash tag, so a key's value and its load lock share
// a slot); each replica copies the values it reads into its L1, for at
// most their remaining lifetime in Redis. Each replica's connection runs
// CLIENT TRACKING ON in broadcast mode on Prefix+"v:", so Redis names every
// key written under it to every replica, which then drops its L1 copy. A
// Get served from L1 costs what a shard.Cache Get costs, plus one atomic
// load (the lease): no network call, no lock.
//
// # Guarantees
//
// Coherence, whatever the network does: once Set, Delete or
// InvalidatePrefix has returned on one replica, no replica serves the
// value it replaced later than [CoherenceBound] (100 ms) after. Normally
// the invalidation arrives much sooner. Measured with three replicas (three
// clients with their own connections) on one redis-server on loopback, on
// a 2-core machine shared with other work, from the write's return to each
// other replica's L1 drop (BenchmarkInvalidation3Replicas, 2,000 writes,
// six runs; the write itself took 80–125 µs at the median):
//
//	p50     0.7–21 µs (the invalidation often arrives before the writer's reply)
//	p99     0.06–3.0 ms
//	max     5–75 ms (scheduling on the loaded machine)
//
// Across processes, on a single server and on a 3-master Redis Cluster
// (TestCrossProcessInvalidationLatency: the test as the writer, two copies
// of the test binary as reader replicas, 300 writes spread over keys and
// so over the cluster's masters; a sample is the time until the old value
// is gone from both readers' L1, 0 if it was gone before the Set
// returned; medians of 5 runs, each run's range in brackets, on the same
// shared 2-core machine):
//
//	                  from Set returned                from Set called
//	                  p50            p99               p50              p99
//	single server     0 (0–21 µs)    2.6 ms (0.15–3.4) 217 µs (191–274) 4.5 ms (0.70–12.9)
//	3-master cluster  0 (0–36 µs)    0.43 ms (0.24–3.1) 234 µs (212–238) 3.0 ms (0.80–9.2)
//
// When invalidations cannot arrive (a stalled link: a half-open TCP
// connection, a paused server), the lease bounds it instead: a replica
// serves L1 hits only while a PING it sent (every 20 ms) within the last
// 60 ms has been answered on the connection that carries its
// invalidations; Redis queues a write's invalidations before it answers
// the writer, so such a PONG proves the replica has dropped every copy
// replaced before the PING was sent. A timer ends the lease (an L1 hit
// reads one atomic); it may run late only by the process's scheduling
// delay, which leaves 40 ms of the bound to a process not starved of CPU.
// With the link stalled, the replaced value was last served 43–66 ms after
// the Set returned (TestStalledLinkBound, 18 rounds under -race; one
// further round, with the whole package running on the shared machine,
// 130 ms); without a lease, until the PING timed out (about 500 ms). A
// GetOrLoad caller never takes the result of an attempt that read Redis
// (or loaded) more than 60 ms before it was called. An L1 store never
// resurrects a value invalidated meanwhile (see [Cache] for how).
//
// Invalidations win over loads: a GetOrLoad's loader may have read the
// source of truth before an invalidation; its value then never lands. A
// load stores its value with a Lua script that checks, in the same step,
// that the key's load lock still holds the loader's token; Delete removes
// the lock with the value, and InvalidatePrefix removes every lock under
// its prefix before the values. So a Delete or InvalidatePrefix that has
// returned wins over every load in flight, on every replica, the loading
// one (and its L1) included, and on a Redis Cluster (the lock shares the
// value's slot, so no per-key script needs another slot's state, and no
// prefix-wide epoch key is needed: every load that may store holds a lock
// under the prefix). TestInvalidationDuringLoadWins and TestHistories.
//
// One load across replicas: GetOrLoad of a key missing from both tiers
// runs its loader once across all replicas, under a lock in Redis
// (SET NX with Options.LockTTL, extended while the loader runs, released
// by its holder only: the release and extension check a random token).
// Other replicas wait until the value is there (they wake on the
// invalidation its write causes) or the lock is free (they poll for that
// every 5 ms, backing off to 50 ms). A loader that fails releases the
// lock at once, so waiting replicas load themselves instead of waiting out
// LockTTL; a replica that dies holding a lock delays the key by at most
// LockTTL. A lock can still be lost (Redis paused or unreachable for more
// than LockTTL, or revoked by an invalidation): the holder then learns it
// at its next extension (the loader's context is cancelled with cause
// [ErrLockLost], and Stats.LostLocks counts it, as rueidislock reports lock
// loss), its store is refused (Stats.FencedStores), and its callers get
// what Redis holds, or a new load's value if Redis holds none. So while
// Redis is reachable every caller's result agrees with Redis, and two
// loaders of one key overlap only when a lost lock is reported
// (TestLostLockNoticed, TestHistories).
//
// Within a replica, concurrent GetOrLoad calls of one key share one
// attempt, also while Redis is unreachable (then the loader's value goes
// to the callers that share it and is kept nowhere). A caller whose ctx
// ends returns at once; when no caller is left, the attempt's waits for
// another replica's lock end too.
//
// Degrading: Redis calls are not retried by the client and each is bounded
// by one second. A PING every 20 ms (timing out after 500 ms), and the
// closing of a connection, detect that Redis is unreachable, also when the
// connection hangs silently (a paused server, a dropped network); L1 is
// then emptied and nothing is stored in it until a PING succeeds again.
// Meanwhile Get returns an error wrapping [ErrUnavailable] (never a value
// that might be stale) and GetOrLoad calls its loader directly. Coherence
// resumes by itself when Redis answers again (on a new connection, rueidis
// sets tracking up again before any read).
//
// The histories test (TestHistories) records Get, GetOrLoad, Delete and
// InvalidatePrefix calls of three replicas while the server is killed and
// restarted, paused (SIGSTOP, DEBUG SLEEP) and one replica's link stalled
// and dropped, and checks the bound, the agreement with Redis, and one
// loader at a time; TIER_SOAK=<duration> runs it for longer.
//
// # Why not rueidisaside or rueidislock
//
// rueidis ships a cache-aside client (rueidisaside) and a lock
// (rueidislock). rueidisaside keeps values in rueidis's own client-side
// cache: raw strings, decoded again on every hit, behind a lookup that
// takes a lock; this package's L1 is a
// shard.Cache of decoded values whose hit takes no lock and allocates
// nothing. Its per-key tracking also sends one tracking entry per read
// key, where broadcast tracking on a prefix costs Redis nothing per key.
// rueidislock takes a lock with its own keys, not in the value's hash
// slot, so a store could not check it in one script, and its acquisition
// waits for the lock only, where a waiting replica here also wants the
// value as soon as the holder stores it. What they do better is borrowed:
// waiters wake on the invalidation of the key instead of polling only
// (both), a lost lock is reported (rueidislock cancels the holder's
// context; here the loader's context is cancelled with [ErrLockLost] and
// Stats.LostLocks counts it), and the lock is the fence of the store
// (rueidisaside stores only over its own placeholder).
//
// # Redis Cluster
//
// [New] given the seeds of a Redis Cluster (and [NewWithClient] given a
// cluster client, on a tracking connection it dedicates to each master)
// tracks every master's connection and checks each master's health on
// its own. The PINGs of the lease go to every master marked up, in
// parallel, every 20 ms; a master that fails one (or does not answer
// within 500 ms) is marked down, its keys removed from L1. Every 250 ms
// the slot map is read with CLUSTER SLOTS from every node; a master that
// answers it is marked up again (its keys flushed once more first). While
// a master is down, Get of its keys returns an error wrapping
// [ErrUnavailable] at once and GetOrLoad calls its loader directly, while
// the keys of the other masters keep being served from L1 and Redis.
//
// The lease is one for all masters, so that an L1 hit still reads one
// atomic and never hashes its key to a slot: it is renewed when every
// master marked up has answered a PING sent at the start of the round
// (or was marked down for failing one). So a stalled link to one master
// stops every L1 hit at the lease's end, as on a single server, keeping
// the bound for that master's keys; Gets of the other masters' keys are
// then served from Redis until the master is marked down (at once if its
// connection is refused or closed, as with a killed master; after the
// 500 ms PING timeout if it hangs silently), and from L1 again from the
// next round on. Per-key leases (per master, found from the key's slot)
// would spare those reads but cost a CRC16 of the key on every hit.
//
// rueidis reports the closing of any connection without saying which, so
// the moment a master's connection closes empties all of L1 once. The
// cluster's refusals (CLUSTERDOWN, TRYAGAIN, LOADING, MASTERDOWN, or a
// MOVED or ASK that rueidis did not follow) are reported as
// ErrUnavailable too, never as raw replies. A change of the slot map (a
// slot migrated, a failover, a master added or removed) empties all of
// L1, so no copy read from a former owner outlives it; rueidis reads the
// map every 250 ms as well, and connects (with tracking on) to a new
// master before reading from it. A key's value and lock share its slot,
// so the fenced store and Delete's script run on its master;
// InvalidatePrefix revokes the locks on every master, then deletes the
// values on every master, and names the masters it could not reach. Keys
// of a cache live in many slots, so Prefix needs no hash tag.
//
// # Monitoring
//
// [Cache.Stats] counts this replica's L1 and Redis hits and misses, loads,
// lock waits, fallbacks, invalidations and each Redis node's state;
// package tiermetrics (tier/tiermetrics) exports them to Prometheus.
//
// # Memory model
//
// L1 is a shard.Cache: a value a Get returns from it was stored by a Get or
// GetOrLoad of this replica that read it from Redis (or loaded it), and
// that store happens before the Get. Coherence state is one counter per
// stripe of keys (1,024 stripes, chosen by key hash), bumped by every
// invalidation of a key of the stripe, and one epoch, bumped by every
// flush of L1 (Redis's "invalidate everything", a lost or recovered
// connection, InvalidatePrefix, Close). A read takes the counters before it
// sends its Redis command and stores its result in L1 only if they have not
// moved, checking and storing under the stripe's mutex, which an
// invalidation holds while it bumps the counter and removes the key (a
// flush holds all of them). Invalidations are handled on rueidis's reading
// goroutine; they take one stripe mutex briefly, and the key's L1 shard
// lock only if L1 holds the key (or a load of its shard is in flight).
// Each GetOrLoad attempt runs on a goroutine of its own and publishes its
// result by closing a channel that its callers wait on; the lease is one
// atomic the monitor alone renews (Close and a detected loss end it).
// L1.OnEvict runs under a stripe mutex and must not call the
// tier Cache.
//
// # What it does not do
//
// Redis is the source of truth only for as long as it keeps the values: a
// Redis restart without persistence loses them, and replicas load again.
// Options.TTL is fixed per cache. InvalidatePrefix uses SCAN, so keys
// written by Set while it runs may survive it (loads in flight cannot
// store). On a Redis Cluster, the empty key's value and lock do not share
// a slot ("{}" is no hash tag), so GetOrLoad of "" fails there. Replicas
// of an older version (keys without braces) do not see this version's
// writes: upgrade all replicas of a cache together, or change its Prefix.
package tier
