// Package tier is a two-tier cache for services that run as many replicas:
// an in-process hotcache shard.Cache (L1) in front of Redis (L2, through
// github.com/redis/rueidis), kept coherent across replicas by Redis's
// server-assisted client-side caching.
//
// Every replica builds a [Cache] with the same Options.Prefix. Values live
// in Redis under Prefix+"v:"+key for Options.TTL; each replica copies the
// values it reads into its L1, for at most their remaining lifetime in
// Redis. Each replica's connection runs CLIENT TRACKING ON in broadcast
// mode on Prefix+"v:", so Redis names every key written under it to every
// replica, which then drops its L1 copy. A Get served from L1 costs what a
// shard.Cache Get costs, plus one atomic load: no network call, no lock.
//
// # Guarantees
//
// Coherence: once Set or Delete has returned on one replica, a Get on any
// replica returns the new value (or a miss) as soon as Redis's invalidation
// message has reached it: well under a millisecond on loopback (see
// TestInvalidationLatency), and the package promises 100 ms. An L1 store
// never resurrects a value invalidated meanwhile (see [Cache] for how).
// The writing replica drops its own L1 copy when Redis answers.
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
// LockTTL.
//
// Degrading: Redis calls are not retried by the client and each is bounded
// by one second. A PING every 250 ms (timing out after 500 ms), and the
// closing of a connection, detect that Redis is unreachable, also when the
// connection hangs silently (a paused server, a dropped network); L1 is
// then emptied and nothing is stored in it until a PING succeeds again.
// Meanwhile Get returns an error wrapping [ErrUnavailable] (never a value
// that might be stale) and GetOrLoad calls its loader directly. Coherence
// resumes by itself when Redis answers again (on a new connection, rueidis
// sets tracking up again before any read).
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
// lock only if L1 holds the key (or a load of its shard is in flight). L1.OnEvict runs under a stripe mutex and must not call the
// tier Cache.
//
// # What it does not do
//
// Redis is the source of truth only for as long as it keeps the values: a
// Redis restart without persistence loses them, and replicas load again.
// Options.TTL is fixed per cache. InvalidatePrefix uses SCAN, so keys
// written while it runs may survive it. [NewWithClient] receives
// invalidations on one dedicated connection and so does not support a
// Redis Cluster; [New] does (each node's connection is tracked).
package tier
