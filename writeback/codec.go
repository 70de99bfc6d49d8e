package writeback

import (
	"context"
	"fmt"
)

// WithCodec returns a store of V values kept in store as E values: Store
// and StoreMany encode with enc, Load decodes with dec. The returned store
// implements [BulkStore] exactly when store does, and [TxStore] exactly
// when store does (its transactions encode too), so a [Buffer] over it
// writes through the same bulk or transaction path as over store itself.
// An encoding error fails the call it happens in, before store is called
// (a bulk call whole); a decoding error fails the Load. enc and dec must be
// safe for concurrent use.
func WithCodec[K comparable, V, E any](store KV[K, E], enc func(V) (E, error), dec func(E) (V, error)) KV[K, V] {
	c := codec[K, V, E]{store: store, enc: enc, dec: dec}
	bulk, isBulk := store.(BulkStore[K, E])
	tx, isTx := store.(TxStore[K, E])
	switch {
	case isBulk && isTx:
		return codecBulkTx[K, V, E]{codecBulk[K, V, E]{c, bulk}, tx}
	case isBulk:
		return codecBulk[K, V, E]{c, bulk}
	case isTx:
		return codecTx[K, V, E]{c, tx}
	}
	return c
}

// codec is WithCodec's store for a store with no optional capability.
type codec[K comparable, V, E any] struct {
	store KV[K, E]
	enc   func(V) (E, error)
	dec   func(E) (V, error)
}

// Load loads key's encoded value and decodes it.
func (c codec[K, V, E]) Load(ctx context.Context, key K) (V, error) {
	e, err := c.store.Load(ctx, key)
	if err != nil {
		var zero V
		return zero, err
	}
	v, err := c.dec(e)
	if err != nil {
		return v, fmt.Errorf("writeback: decode the value of %v: %w", key, err)
	}
	return v, nil
}

// Store encodes value and stores it.
func (c codec[K, V, E]) Store(ctx context.Context, key K, value V) error {
	e, err := c.encode(key, value)
	if err != nil {
		return err
	}
	return c.store.Store(ctx, key, e)
}

// Delete deletes key.
func (c codec[K, V, E]) Delete(ctx context.Context, key K) error { return c.store.Delete(ctx, key) }

// encode encodes key's value, naming the key in an error.
func (c codec[K, V, E]) encode(key K, value V) (E, error) {
	e, err := c.enc(value)
	if err != nil {
		return e, fmt.Errorf("writeback: encode the value of %v: %w", key, err)
	}
	return e, nil
}

// inTx runs fn in a transaction of tx, on the codec's view of it.
func (c codec[K, V, E]) inTx(ctx context.Context, tx TxStore[K, E], fn func(KV[K, V]) error) error {
	return tx.InTx(ctx, func(inner KV[K, E]) error {
		return fn(codec[K, V, E]{store: inner, enc: c.enc, dec: c.dec})
	})
}

// codecBulk is WithCodec's store for a BulkStore.
type codecBulk[K comparable, V, E any] struct {
	codec[K, V, E]
	bulk BulkStore[K, E]
}

// StoreMany encodes every value, then stores them in one call (none if
// one fails to encode).
func (c codecBulk[K, V, E]) StoreMany(ctx context.Context, entries []Entry[K, V]) error {
	encoded := make([]Entry[K, E], len(entries))
	for i, en := range entries {
		e, err := c.encode(en.Key, en.Value)
		if err != nil {
			return err
		}
		encoded[i] = Entry[K, E]{en.Key, e}
	}
	return c.bulk.StoreMany(ctx, encoded)
}

// DeleteMany deletes keys in one call.
func (c codecBulk[K, V, E]) DeleteMany(ctx context.Context, keys []K) error {
	return c.bulk.DeleteMany(ctx, keys)
}

// codecTx is WithCodec's store for a TxStore.
type codecTx[K comparable, V, E any] struct {
	codec[K, V, E]
	tx TxStore[K, E]
}

// InTx runs fn in a transaction of the inner store, on a codec over it.
func (c codecTx[K, V, E]) InTx(ctx context.Context, fn func(tx KV[K, V]) error) error {
	return c.inTx(ctx, c.tx, fn)
}

// codecBulkTx is WithCodec's store for a store with both capabilities.
type codecBulkTx[K comparable, V, E any] struct {
	codecBulk[K, V, E]
	tx TxStore[K, E]
}

// InTx runs fn in a transaction of the inner store, on a codec over it.
func (c codecBulkTx[K, V, E]) InTx(ctx context.Context, fn func(tx KV[K, V]) error) error {
	return c.inTx(ctx, c.tx, fn)
}
