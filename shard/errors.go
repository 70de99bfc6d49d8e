package shard

import "github.com/hotcache/hotcache/internal/core"

// PanicError is the error GetOrLoad returns to every caller of a load that
// panicked. The panic is not re-raised: the load runs on a goroutine with
// no caller to panic to, and re-panicking in each waiter would bring one
// bad key down on every request that asked for it. Nothing is stored or
// remembered: the next GetOrLoad of the key loads again.
type PanicError = core.PanicError
