package memstore

import (
	"context"
	"maps"
	"sync"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
)

// Store is a map guarded by a mutex. Every method takes the lock once, so
// StoreMany, DeleteMany and a committed InTx apply atomically. Store is safe
// for concurrent use; the zero value is not usable, use [New].
type Store[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// New returns an empty store.
func New[K comparable, V any]() *Store[K, V] { return &Store[K, V]{m: map[K]V{}} }

// Load returns key's value or shard.ErrNotFound.
func (s *Store[K, V]) Load(_ context.Context, key K) (V, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return v, shard.ErrNotFound
	}
	return v, nil
}

// Store stores value under key.
func (s *Store[K, V]) Store(_ context.Context, key K, value V) error {
	s.mu.Lock()
	s.m[key] = value
	s.mu.Unlock()
	return nil
}

// Delete removes key.
func (s *Store[K, V]) Delete(_ context.Context, key K) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// StoreMany stores every entry.
func (s *Store[K, V]) StoreMany(_ context.Context, entries []writeback.Entry[K, V]) error {
	s.mu.Lock()
	for _, e := range entries {
		s.m[e.Key] = e.Value
	}
	s.mu.Unlock()
	return nil
}

// DeleteMany removes every key.
func (s *Store[K, V]) DeleteMany(_ context.Context, keys []K) error {
	s.mu.Lock()
	for _, k := range keys {
		delete(s.m, k)
	}
	s.mu.Unlock()
	return nil
}

// InTx calls fn with a Store that records its writes (and reads them back)
// and applies them all at once if fn returns nil.
func (s *Store[K, V]) InTx(ctx context.Context, fn func(tx writeback.KV[K, V]) error) error {
	t := &tx[K, V]{s: s, writes: map[K]*V{}}
	if err := fn(t); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range t.writes {
		if v == nil {
			delete(s.m, k)
		} else {
			s.m[k] = *v
		}
	}
	return nil
}

// Snapshot returns a copy of the stored map.
func (s *Store[K, V]) Snapshot() map[K]V {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

// tx is the Store InTx passes to fn: writes, nil for a delete, wait for the
// commit.
type tx[K comparable, V any] struct {
	s      *Store[K, V]
	writes map[K]*V
}

func (t *tx[K, V]) Load(ctx context.Context, key K) (V, error) {
	if v, ok := t.writes[key]; ok {
		if v == nil {
			var zero V
			return zero, shard.ErrNotFound
		}
		return *v, nil
	}
	return t.s.Load(ctx, key)
}

func (t *tx[K, V]) Store(_ context.Context, key K, value V) error {
	t.writes[key] = &value
	return nil
}

func (t *tx[K, V]) Delete(_ context.Context, key K) error {
	t.writes[key] = nil
	return nil
}
