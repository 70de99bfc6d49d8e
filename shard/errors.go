package shard

import "github.com/hotcache/hotcache/internal/core"

// PanicError is the error GetOrLoad returns to every caller of a load that
// panicked. The panic is not re-raised: the load runs on a goroutine with
// no caller to panic to, and re-panicking in each waiter would bring one
// bad key down on every request that asked for it. Nothing is stored or
// remembered: the next GetOrLoad of the key loads again.
//
// It is defined in the engine's package, which builds it, as
//
//	type PanicError struct {
//		Value any    // the value passed to panic
//		Stack []byte // the stack of the loading goroutine when it panicked
//	}
//
// Its Error returns "shard: loader panicked: " and the panic value; its
// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic. Match it with errors.As and a
// *shard.PanicError.
type PanicError = core.PanicError
