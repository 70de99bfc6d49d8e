// Package model is hotcache's reference cache: a mutex, a map, and an exact
// SIEVE or CLOCK queue per shard kept in a plain slice. It is slow and
// obviously correct, and it follows the same contract as shard.Cache down to
// which entry each eviction picks, so tests and fuzzing can compare the two
// operation by operation.
//
// The model shards keys like the real cache (the top bits of the hash) and
// splits capacity the same way, so with the same Hash and Shards the two
// must agree on every result.
package model

import (
	"slices"
	"sync"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
)

type item[K comparable, V any] struct {
	key      K
	val      V
	deadline int64
	visited  bool
}

// shard is one shard: queue[0] is the oldest entry, queue[len-1] the newest.
type shard[K comparable, V any] struct {
	queue    []*item[K, V]
	capacity int
	hand     int // SIEVE: index of the next entry to examine
}

// Cache is the reference model. It is safe for concurrent use (one mutex).
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	shards  []shard[K, V]
	byKey   map[K]*item[K, V]
	hash    func(K) uint64
	shift   uint
	policy  evict.Policy
	clk     clock.Clock
	ttl     time.Duration
	onEvict func(K, V, evict.Reason)
}

// Options mirrors the shard.Options fields the model understands. Shards
// must be the real cache's actual shard count.
type Options[K comparable, V any] struct {
	Capacity int
	Shards   int
	TTL      time.Duration
	Clock    clock.Clock
	Policy   evict.Policy
	Hash     func(K) uint64
	OnEvict  func(K, V, evict.Reason)
}

// New returns an empty model.
func New[K comparable, V any](o Options[K, V]) *Cache[K, V] {
	if o.Shards == 0 {
		o.Shards = 1
	}
	m := &Cache[K, V]{
		shards: make([]shard[K, V], o.Shards), byKey: map[K]*item[K, V]{},
		hash: o.Hash, policy: o.Policy, clk: o.Clock, ttl: o.TTL, onEvict: o.OnEvict,
	}
	for b := o.Shards; b > 1; b >>= 1 {
		m.shift++
	}
	m.shift = 64 - m.shift
	for i := range m.shards {
		m.shards[i].capacity = o.Capacity / o.Shards
		if i < o.Capacity%o.Shards {
			m.shards[i].capacity++
		}
	}
	return m
}

func (m *Cache[K, V]) shardOf(k K) *shard[K, V] {
	if len(m.shards) == 1 {
		return &m.shards[0]
	}
	return &m.shards[m.hash(k)>>m.shift]
}

func (m *Cache[K, V]) live(it *item[K, V]) bool {
	return it.deadline == 0 || m.clk.Now() < it.deadline
}

type event[K comparable, V any] struct {
	k K
	v V
	r evict.Reason
}

// Get returns the live value of k and marks it visited.
func (m *Cache[K, V]) Get(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.byKey[k]; ok && m.live(it) {
		it.visited = true
		return it.val, true
	}
	var zero V
	return zero, false
}

// Peek returns the live value of k without marking it.
func (m *Cache[K, V]) Peek(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.byKey[k]; ok && m.live(it) {
		return it.val, true
	}
	var zero V
	return zero, false
}

// Set stores k=v with the default TTL.
func (m *Cache[K, V]) Set(k K, v V) { m.SetTTL(k, v, m.ttl) }

// SetTTL stores k=v for ttl (0 = forever; negative removes k).
func (m *Cache[K, V]) SetTTL(k K, v V, ttl time.Duration) {
	var evs []event[K, V]
	m.mu.Lock()
	if ttl < 0 {
		evs = m.remove(k, evict.Replaced)
	} else {
		evs, _, _ = m.store(k, v, ttl, false)
	}
	m.mu.Unlock()
	m.fire(evs)
}

// SetIfAbsent stores k=v unless a live entry holds k.
func (m *Cache[K, V]) SetIfAbsent(k K, v V) (V, bool) {
	m.mu.Lock()
	evs, actual, stored := m.store(k, v, m.ttl, true)
	m.mu.Unlock()
	m.fire(evs)
	return actual, stored
}

func (m *Cache[K, V]) store(k K, v V, ttl time.Duration, ifAbsent bool) ([]event[K, V], V, bool) {
	var d int64
	if ttl > 0 {
		d = m.clk.Now() + int64(ttl)
	}
	s := m.shardOf(k)
	if old, ok := m.byKey[k]; ok {
		if m.live(old) {
			if ifAbsent {
				old.visited = true
				return nil, old.val, false
			}
			ev := event[K, V]{old.key, old.val, evict.Replaced}
			old.val, old.deadline, old.visited = v, d, true
			return []event[K, V]{ev}, v, true
		}
		ev := event[K, V]{old.key, old.val, evict.Expired}
		old.val, old.deadline, old.visited = v, d, false
		return []event[K, V]{ev}, v, true
	}
	var evs []event[K, V]
	if len(s.queue) >= s.capacity {
		evs = append(evs, m.evict(s))
	}
	it := &item[K, V]{key: k, val: v, deadline: d}
	s.queue = append(s.queue, it)
	m.byKey[k] = it
	return evs, v, true
}

// evict removes one entry of s by its policy.
func (m *Cache[K, V]) evict(s *shard[K, V]) event[K, V] {
	if m.policy == evict.CLOCK {
		for {
			it := s.queue[0]
			if !m.live(it) || !it.visited {
				return m.drop(s, 0, it)
			}
			it.visited = false
			s.queue = append(s.queue[1:], it)
		}
	}
	for {
		it := s.queue[s.hand]
		if !m.live(it) || !it.visited {
			return m.drop(s, s.hand, it) // the hand now points at the next newer entry
		}
		it.visited = false
		s.hand++
		if s.hand == len(s.queue) {
			s.hand = 0
		}
	}
}

func (m *Cache[K, V]) drop(s *shard[K, V], i int, it *item[K, V]) event[K, V] {
	r := evict.Capacity
	if !m.live(it) {
		r = evict.Expired
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	if s.hand >= len(s.queue) {
		s.hand = 0 // past the newest entry: wrap to the oldest
	}
	delete(m.byKey, it.key)
	return event[K, V]{it.key, it.val, r}
}

// remove deletes k with reason (Expired if it had expired).
func (m *Cache[K, V]) remove(k K, reason evict.Reason) []event[K, V] {
	it, ok := m.byKey[k]
	if !ok {
		return nil
	}
	s := m.shardOf(k)
	i := slices.Index(s.queue, it)
	if i < s.hand {
		s.hand--
	}
	ev := m.drop(s, i, it) // drop wraps the hand if it fell off the end
	if ev.r != evict.Expired {
		ev.r = reason
	}
	return []event[K, V]{ev}
}

// Delete removes k and reports whether it was live.
func (m *Cache[K, V]) Delete(k K) bool {
	m.mu.Lock()
	it, ok := m.byKey[k]
	live := ok && m.live(it)
	evs := m.remove(k, evict.Deleted)
	m.mu.Unlock()
	m.fire(evs)
	return live
}

// DeleteFunc removes the live entries for which f is true.
func (m *Cache[K, V]) DeleteFunc(f func(K, V) bool) int {
	m.mu.Lock()
	var keys []K
	for k, it := range m.byKey {
		if m.live(it) && f(k, it.val) {
			keys = append(keys, k)
		}
	}
	var evs []event[K, V]
	for _, k := range keys {
		evs = append(evs, m.remove(k, evict.Deleted)...)
	}
	m.mu.Unlock()
	m.fire(evs)
	return len(keys)
}

// Len counts stored entries, expired or not.
func (m *Cache[K, V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byKey)
}

// LiveLen counts live entries.
func (m *Cache[K, V]) LiveLen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, it := range m.byKey {
		if m.live(it) {
			n++
		}
	}
	return n
}

// Live returns a copy of the live entries.
func (m *Cache[K, V]) Live() map[K]V {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[K]V{}
	for k, it := range m.byKey {
		if m.live(it) {
			out[k] = it.val
		}
	}
	return out
}

// Clear removes everything.
func (m *Cache[K, V]) Clear() {
	m.mu.Lock()
	var evs []event[K, V]
	for i := range m.shards {
		for _, it := range m.shards[i].queue {
			evs = append(evs, event[K, V]{it.key, it.val, evict.Deleted})
		}
		m.shards[i].queue, m.shards[i].hand = nil, 0
	}
	clear(m.byKey)
	m.mu.Unlock()
	m.fire(evs)
}

// ExpireAll removes every expired entry, as a full sweep would.
func (m *Cache[K, V]) ExpireAll() int {
	m.mu.Lock()
	var keys []K
	for k, it := range m.byKey {
		if !m.live(it) {
			keys = append(keys, k)
		}
	}
	var evs []event[K, V]
	for _, k := range keys {
		evs = append(evs, m.remove(k, evict.Expired)...)
	}
	m.mu.Unlock()
	m.fire(evs)
	return len(keys)
}

func (m *Cache[K, V]) fire(evs []event[K, V]) {
	if m.onEvict == nil {
		return
	}
	for _, e := range evs {
		m.onEvict(e.k, e.v, e.r)
	}
}
