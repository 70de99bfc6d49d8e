// Package objects stores objects by a key computed from the object itself,
// as client-go's cache.Store does and Flux's cache store asks for: an
// informer's objects are added, updated, deleted and fetched by the object,
// and the key function decides what makes two objects the same entry.
// [Store] is a typed store over a [shard.Cache], so it has that cache's
// bound, eviction, expiry and lock-free reads; [MetaNamespaceKeyFunc] is
// client-go's default key ("namespace/name", or "name" for objects without
// a namespace) without a dependency on client-go.
package objects

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"

	"github.com/hotcache/hotcache/shard"
)

// KeyFunc returns the key under which a Store keeps obj, or an error if obj
// has none.
type KeyFunc[T any] func(obj T) (string, error)

// Object is what MetaNamespaceKeyFunc needs of an object. Every Kubernetes
// object (metav1.Object, and so *unstructured.Unstructured and the typed
// API objects) has these methods.
type Object interface {
	GetNamespace() string
	GetName() string
}

// ErrNoName is the error of MetaNamespaceKeyFunc for an object whose name
// is empty (or a nil object): its key would say nothing about it.
var ErrNoName = errors.New("object has no name")

// MetaNamespaceKeyFunc is a KeyFunc for Kubernetes objects: it returns
// "namespace/name", or "name" when the namespace is empty (a
// cluster-scoped object), as client-go's cache.MetaNamespaceKeyFunc does.
// It returns ErrNoName for a nil object or an empty name.
//
// Pass it to NewStore as objects.MetaNamespaceKeyFunc[*MyType], or let the
// Store's type decide: NewStore(objects.MetaNamespaceKeyFunc, opts).
func MetaNamespaceKeyFunc[T Object](obj T) (string, error) {
	if isNil(obj) {
		return "", ErrNoName
	}
	name := obj.GetName()
	if name == "" {
		return "", ErrNoName
	}
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + name, nil
	}
	return name, nil
}

// isNil reports whether v is a nil interface, or a nil pointer, map, slice
// or func whose methods would likely panic.
func isNil[T any](v T) bool {
	r := reflect.ValueOf(any(v))
	if !r.IsValid() {
		return true
	}
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return r.IsNil()
	}
	return false
}

// SplitMetaNamespaceKey splits a key made by MetaNamespaceKeyFunc into its
// namespace (empty for "name") and name. A key with more than one "/" is
// an error.
func SplitMetaNamespaceKey(key string) (namespace, name string, err error) {
	parts := strings.Split(key, "/")
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	}
	return "", "", fmt.Errorf("objects: unexpected key format: %q", key)
}

// KeyError is the error of a Store method whose key function failed for
// the object given. It wraps the key function's error.
type KeyError struct {
	Obj any   // the object whose key could not be computed
	Err error // the key function's error
}

// Error says which type of object had no key, and why.
func (e *KeyError) Error() string {
	return fmt.Sprintf("objects: no key for %T: %v", e.Obj, e.Err)
}

// Unwrap returns the key function's error.
func (e *KeyError) Unwrap() error { return e.Err }

// Store keeps objects under the keys its KeyFunc computes from them, in a
// shard.Cache[string, T]: it is bounded by the cache's options (an object
// may be evicted or expire, so a Store is a cache of an informer's objects,
// not a replica), and Get and GetByKey take no lock. A Store is safe for
// concurrent use. Close it when done, as its cache.
type Store[T any] struct {
	c   *shard.Cache[string, T]
	key KeyFunc[T]
}

// NewStore returns a store that keys objects with key, over a shard.Cache
// built with opts (Capacity, TTL, Expiry, OnEvict, CountHits, and so on:
// see shard.Options). It returns an error if key is nil or opts is
// invalid.
func NewStore[T any](key KeyFunc[T], opts shard.Options[string, T]) (*Store[T], error) {
	if key == nil {
		return nil, errors.New("objects: key function must not be nil")
	}
	c, err := shard.New(opts)
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	return &Store[T]{c: c, key: key}, nil
}

// keyOf returns obj's key, or a *KeyError.
func (s *Store[T]) keyOf(obj T) (string, error) {
	k, err := s.key(obj)
	if err != nil {
		return "", &KeyError{Obj: obj, Err: err}
	}
	return k, nil
}

// Add stores obj under its key, replacing any object stored under that
// key. It returns a *KeyError, and stores nothing, if the key function
// fails.
func (s *Store[T]) Add(obj T) error {
	k, err := s.keyOf(obj)
	if err != nil {
		return err
	}
	s.c.Set(k, obj)
	return nil
}

// Update stores obj under its key, as Add does: whether an object was
// stored under that key before makes no difference.
func (s *Store[T]) Update(obj T) error { return s.Add(obj) }

// Delete removes the object stored under obj's key, if any. It returns a
// *KeyError if the key function fails.
func (s *Store[T]) Delete(obj T) error {
	k, err := s.keyOf(obj)
	if err != nil {
		return err
	}
	s.c.Delete(k)
	return nil
}

// Get returns the object stored under obj's key and whether there is one.
// It returns a *KeyError if the key function fails.
func (s *Store[T]) Get(obj T) (item T, exists bool, err error) {
	k, err := s.keyOf(obj)
	if err != nil {
		return item, false, err
	}
	item, exists = s.c.Get(k)
	return item, exists, nil
}

// GetByKey returns the object stored under key and whether there is one.
func (s *Store[T]) GetByKey(key string) (item T, exists bool) {
	return s.c.Get(key)
}

// All returns an iterator over the stored keys and objects, in no
// particular order. It takes no lock: objects added or removed meanwhile
// may or may not be seen.
func (s *Store[T]) All() iter.Seq2[string, T] { return s.c.All() }

// List returns the stored objects, in no particular order (see All).
func (s *Store[T]) List() []T {
	out := make([]T, 0, s.c.Len())
	for _, v := range s.c.All() {
		out = append(out, v)
	}
	return out
}

// ListKeys returns the keys of the stored objects, in no particular order
// (see All).
func (s *Store[T]) ListKeys() []string {
	out := make([]string, 0, s.c.Len())
	for k := range s.c.All() {
		out = append(out, k)
	}
	return out
}

// Len returns the number of objects stored; see shard.Cache.Len.
func (s *Store[T]) Len() int { return s.c.Len() }

// Stats returns the counters of the store's cache, so that a Store is a
// metrics.Source; see shard.Cache.Stats.
func (s *Store[T]) Stats() shard.Stats { return s.c.Stats() }

// Cache returns the shard.Cache that holds the objects, e.g. for SetTTL,
// DeleteFunc or Clear under keys the store's KeyFunc made.
func (s *Store[T]) Cache() *shard.Cache[string, T] { return s.c }

// Close closes the store's cache; see shard.Cache.Close.
func (s *Store[T]) Close() error { return s.c.Close() }
