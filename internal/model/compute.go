package model

import (
	"errors"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/core"
)

// Compute calls f with the live value of k (found false if none) and
// applies its op: CancelOp changes nothing, WriteOp stores the value as
// Set does, InvalidateOp deletes k as Delete does.
func (m *Cache[K, V]) Compute(k K, f func(V, bool) (V, core.ComputeOp)) (V, bool) {
	m.mu.Lock()
	var old V
	it, found := m.byKey[k]
	if found = found && m.live(it); found {
		old = it.val
	}
	v, op := f(old, found)
	var evs []event[K, V]
	var zero V
	actual, ok := old, found
	switch op {
	case core.WriteOp:
		delete(m.neg, k)
		evs, _, ok = m.store(k, v, m.ttl, false)
		actual = v
		if !ok {
			actual = zero
		}
	case core.InvalidateOp:
		delete(m.neg, k)
		evs = m.remove(k, evict.Deleted)
		actual, ok = zero, false
	}
	m.mu.Unlock()
	m.fire(evs)
	return actual, ok
}

// GetOrLoadAll returns the live values of keys and loads the others that
// are not remembered as not found, with one call of load (keys in order of
// first appearance), storing what it returns in that order and
// remembering the keys it returns nothing for as not found. A load error
// stores nothing (one wrapping core.ErrNotFound makes every key not
// found) and is returned with the values found.
func (m *Cache[K, V]) GetOrLoadAll(keys []K, load func([]K) (map[K]V, error)) (map[K]V, error) {
	m.mu.Lock()
	out := map[K]V{}
	var missing []K
	asked := map[K]bool{}
	for _, k := range keys {
		if it, ok := m.byKey[k]; ok && m.live(it) {
			it.visited = true
			m.slide(it) // a hit is a read: ExpireAfterAccess
			out[k] = it.val
		} else if !m.negative(k) && !asked[k] {
			asked[k] = true
			missing = append(missing, k)
		}
	}
	m.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	vals, err := load(missing)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return out, err
	}
	m.mu.Lock()
	var evs []event[K, V]
	for _, k := range missing {
		if v, ok := vals[k]; ok && err == nil {
			out[k] = v
			var e []event[K, V]
			e, _, _ = m.store(k, v, m.ttl, false)
			evs = append(evs, e...)
		} else {
			evs = append(evs, m.notFound(k)...)
		}
	}
	m.mu.Unlock()
	m.fire(evs)
	return out, nil
}

// Refresh forgets a remembered not-found of k, calls load and stores its
// value as Set does; a not-found removes k and remembers it, another error
// changes nothing. It returns load's error.
func (m *Cache[K, V]) Refresh(k K, load func(K) (V, error)) error {
	m.mu.Lock()
	delete(m.neg, k)
	m.mu.Unlock()
	v, err := load(k)
	var evs []event[K, V]
	m.mu.Lock()
	switch {
	case err == nil:
		evs, _, _ = m.store(k, v, m.ttl, false)
	case errors.Is(err, core.ErrNotFound):
		evs = m.notFound(k)
	}
	m.mu.Unlock()
	m.fire(evs)
	return err
}

// notFound removes k, as a replaced entry, and remembers it as not found
// for NegativeTTL (if set), as a load that found nothing does.
func (m *Cache[K, V]) notFound(k K) []event[K, V] {
	if m.negTTL > 0 {
		m.neg[k] = m.clk.Now() + int64(m.negTTL)
	}
	return m.remove(k, evict.Replaced)
}

// negative reports whether k is remembered as not found.
func (m *Cache[K, V]) negative(k K) bool {
	d, ok := m.neg[k]
	return ok && m.clk.Now() < d
}
