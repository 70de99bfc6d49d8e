package shard

import "context"

// GetOrLoad returns the value stored under key. On a miss it calls
// load(ctx, key), stores the value it returns (with the deadline TTL or
// Expiry gives it) and returns it. A hit is Get: lock-free and
// allocation-free, whatever ctx is; so is a hit on a remembered not-found
// (see Options.NegativeTTL).
//
// However many goroutines ask for one key, one load of it runs at a time;
// the others wait for its result. Loads of different keys run in
// parallel, and no lock is held while load runs. Callers that share a load
// share its result, and the load runs on a goroutine of its own with a
// context that carries the values of the first caller's ctx (the one that
// started it), never its deadline. That context is cancelled when every
// caller waiting for the load has left (each one's ctx ended), and when
// Close is called. A caller whose ctx ends while it waits returns ctx.Err()
// at once; the load goes on for the others. When the last one leaves, the
// load is abandoned: its context is cancelled, whatever it returns is not
// stored, and the next GetOrLoad of the key starts a new load. load must
// not call GetOrLoad for its own key: it would wait for itself.
//
// A load that returns an error gives it to every caller waiting for it and
// stores nothing. An error wrapping [ErrNotFound] is remembered for
// Options.NegativeTTL: meanwhile GetOrLoad returns it without loading. A
// load that panics gives every waiting caller a [*PanicError]; one that
// calls runtime.Goexit, an error saying so. Neither is remembered.
//
// A Set, Delete or Clear of the key while its load is in flight wins: the
// load's result still goes to the callers that waited for it, but it is not
// stored, and GetOrLoad calls that come after the write start a new load.
// So does DeleteFunc (see [Cache.DeleteFunc] for exactly what it
// promises). A value whose deadline has already passed is returned to its
// callers but not stored.
//
// GetOrLoad of a key not equal to itself (a floating-point NaN, or an
// array, struct or interface holding one) calls load in the calling
// goroutine, with ctx, every time, and returns its result (a panic as a
// [*PanicError]): such a key can never be found, so nothing is stored,
// remembered or shared with other callers.
//
// With Options.RefreshAhead, a hit on an entry that has lived that fraction
// of its lifetime also starts one background load of the key (see
// [Options]). A refresh has no caller waiting for it: its context carries
// the values of the ctx of the GetOrLoad that started it and is cancelled
// only by Close, so a refresh must bound its own time.
func (c *Cache[K, V]) GetOrLoad(ctx context.Context, key K, load func(context.Context, K) (V, error)) (V, error) {
	return c.e.GetOrLoad(ctx, c.hashOf(key), key, load)
}

// GetOrLoadCached is GetOrLoad that also reports where the answer came
// from: cached is true when it came from the cache (a live value, or a
// remembered not-found), false when this call started a load or waited for
// one (also when its ctx ended while waiting). A hit costs what a GetOrLoad
// hit costs.
func (c *Cache[K, V]) GetOrLoadCached(ctx context.Context, key K, load func(context.Context, K) (V, error)) (value V, cached bool, err error) {
	return c.e.GetOrLoadCached(ctx, c.hashOf(key), key, load)
}
