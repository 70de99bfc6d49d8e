package shard

import "github.com/hotcache/hotcache/internal/core"

// PanicError is the error a hotcache type returns for a callback that
// panicked, when it recovers the panic instead of re-raising it: a
// loader (shard.Cache.GetOrLoad, the generated caches, writeback.Cache,
// tier.Cache.GetOrLoad) or a store call of writeback.Buffer. It is the
// one panic error of the library: writeback.PanicError is this type.
//
// GetOrLoad returns it to every caller of a load that panicked. The panic
// is not re-raised: the load runs on a goroutine with no caller to panic
// to, and re-panicking in each waiter would bring one bad key down on
// every request that asked for it. Nothing is stored or remembered: the
// next GetOrLoad of the key loads again.
//
// It is defined in the engine's package, which builds it, as
//
//	type PanicError struct {
//		Value any    // the value passed to panic
//		Stack []byte // the stack of the goroutine when it panicked
//		Op    string // what panicked, e.g. "writeback: store"; "" for a loader
//	}
//
// Its Error returns "shard: loader panicked: " (or Op, " panicked: ") and
// the panic value; its Unwrap returns the panic value if it is an error,
// so that errors.Is and errors.As see through the panic. Match it with
// errors.As and a *shard.PanicError.
type PanicError = core.PanicError

// ErrClosed is the one error every hotcache type returns from a method
// that can fail when it is called after Close: shard.Cache.GetOrLoad for a
// key it would have to load, writeback.Cache's and writeback.Buffer's
// writes and reads, every tier.Cache method. writeback.ErrClosed and
// tier.ErrClosed are this same value, so errors.Is(err, shard.ErrClosed)
// holds whichever package returned it. Methods that cannot fail (Get, Set,
// Delete of shard.Cache) keep working after Close; see shard.Cache.Close.
var ErrClosed = core.ErrClosed
