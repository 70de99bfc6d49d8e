package writeback

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotcache/hotcache/shard"
)

// KV is a key-value store: the slow thing a [Buffer] writes behind and a
// [Cache] reads through. Implementations must be safe for concurrent use and
// should honour ctx (the buffer cancels it to stop a flush on Close).
//
// A decorator embeds KV to inherit the methods it does not override
// (embedding Store would not compile: the embedded field would be named
// Store, like the method). Embedding hides the optional [BulkStore] and
// [TxStore] of the store inside; see [WithCodec] for an adapter that keeps
// them.
type KV[K comparable, V any] interface {
	// Load returns the value stored under key, or an error wrapping
	// shard.ErrNotFound if there is none.
	Load(ctx context.Context, key K) (V, error)
	// Store stores value under key, replacing any previous value.
	Store(ctx context.Context, key K, value V) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key K) error
}

// Store is the former name of [KV]: the two are the same type.
//
// Deprecated: use KV. (Store is also the name of KV's write method, so a
// decorator cannot embed it.)
type Store[K comparable, V any] = KV[K, V]

// Entry is one key and its value, as passed to [BulkStore.StoreMany].
type Entry[K comparable, V any] struct {
	Key   K
	Value V
}

// BulkStore is implemented by stores that write many keys in one call. A
// [Buffer] uses it, when its store has it, for every flush. Each method must
// apply all of its writes or none (a transaction, for a database): on error
// the buffer keeps every key of the call pending.
type BulkStore[K comparable, V any] interface {
	// StoreMany stores every entry; keys are distinct.
	StoreMany(ctx context.Context, entries []Entry[K, V]) error
	// DeleteMany removes every key; keys are distinct, absent ones are fine.
	DeleteMany(ctx context.Context, keys []K) error
}

// TxStore is implemented by stores that can run single operations inside
// one transaction. A [Buffer] whose store has no [BulkStore] uses it to write
// each batch in one transaction.
type TxStore[K comparable, V any] interface {
	// InTx calls fn with a Store whose writes take effect together, if fn
	// returns nil and the commit succeeds, or not at all. The tx Store must
	// not be used after fn returns.
	InTx(ctx context.Context, fn func(tx KV[K, V]) error) error
}

// PanicError is the error of a store call that panicked: the library's
// one panic error, [shard.PanicError], with Op "writeback: store". The
// [Buffer] recovers the panic and treats the call as failed: its writes
// stay pending, are retried, and are reported like any other failure.
type PanicError = shard.PanicError

// ErrClosed is returned by a [Buffer]'s Set, Store and Delete after Close,
// and by a [Cache]'s Get, Set, Delete and their deprecated names. It is
// [shard.ErrClosed], the same value, so errors.Is matches it whichever
// package returned it.
var ErrClosed = shard.ErrClosed

// FlushError is the error [Buffer.Flush] and [Buffer.Close] return when
// writes failed. Keys names every key whose latest write was still not
// stored when the call returned (those writes stay pending; after Close,
// [Buffer.Flush] retries them). Err is the first store error met since the
// previous Flush or Close returned. Keys is empty when earlier failed writes
// were stored by a later retry: the error then only reports the failure.
type FlushError[K comparable] struct {
	Keys []K
	Err  error
}

// maxNamed is how many keys FlushError.Error spells out.
const maxNamed = 10

// Error names up to 10 of the keys and the cause.
func (e *FlushError[K]) Error() string {
	if len(e.Keys) == 0 {
		return "writeback: an earlier flush failed (its writes were stored on retry): " + e.Err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "writeback: %d writes not stored (keys", len(e.Keys))
	for i, k := range e.Keys[:min(len(e.Keys), maxNamed)] {
		sep := ", "
		if i == 0 {
			sep = " "
		}
		fmt.Fprintf(&b, "%s%v", sep, k)
	}
	if len(e.Keys) > maxNamed {
		fmt.Fprintf(&b, ", and %d more", len(e.Keys)-maxNamed)
	}
	b.WriteString("): " + e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *FlushError[K]) Unwrap() error { return e.Err }
