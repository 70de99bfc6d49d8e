package model

import (
	"slices"
	"sync"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/evictq"
)

type item[K comparable, V any] struct {
	key      K
	val      V
	deadline int64
	hard     int64 // with ExpireAfterAccess: the deadline the entry was written with
	visited  bool
	hash     uint64 // hash & evictq.HashMask, as the cache's nodes keep it
	weight   uint64
	inWindow bool
}

// shard is one shard: queue[0] is the oldest entry of the main queue,
// queue[len-1] the newest; window likewise for the admission window.
type shard[K comparable, V any] struct {
	queue    []*item[K, V]
	window   []*item[K, V]
	admit    bool // the admission filter is on
	lazy     bool // it turns on at the first eviction (a cache bounded by weight only)
	capacity int  // what the filter is sized for
	hand     int  // SIEVE: index of the next entry to examine
	sketch   evictq.Sketch
	win      evictq.Window // the adaptive window's size and ghosts
}

func (s *shard[K, V]) len() int { return len(s.queue) + len(s.window) }

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

	capacity  int // the whole cache's; 0 = no bound
	maxWeight uint64
	weigher   func(K, V) uint32
	weight    uint64 // total weight of the entries
	next      int    // the engine's round-robin position for evictions from other shards

	negTTL time.Duration
	neg    map[K]int64 // keys remembered as not found, with their deadlines (compute.go)

	access int64 // ExpireAfterAccess; 0 = none
}

// Options mirrors the shard.Options fields the model understands. Shards
// must be the real cache's actual shard count.
type Options[K comparable, V any] struct {
	Capacity int
	Shards   int
	TTL      time.Duration
	Clock    clock.Clock
	Policy   evict.Policy
	// Admission mirrors shard.Options.Admission; it needs Hash to be the
	// cache's own hash, since the frequency sketch is indexed by it.
	Admission bool
	Hash      func(K) uint64
	OnEvict   func(K, V, evict.Reason)
	Weigher   func(K, V) uint32
	MaxWeight uint64
	// NegativeTTL mirrors shard.Options.NegativeTTL, for GetOrLoadAll and
	// Refresh (compute.go).
	NegativeTTL time.Duration

	// ExpireAfterAccess mirrors shard.Options.ExpireAfterAccess.
	ExpireAfterAccess time.Duration
}

// New returns an empty model.
func New[K comparable, V any](o Options[K, V]) *Cache[K, V] {
	if o.Shards == 0 {
		o.Shards = 1
	}
	m := &Cache[K, V]{
		shards: make([]shard[K, V], o.Shards), byKey: map[K]*item[K, V]{},
		hash: o.Hash, policy: o.Policy, clk: o.Clock, ttl: o.TTL, onEvict: o.OnEvict,
		capacity: o.Capacity, maxWeight: o.MaxWeight, weigher: o.Weigher, access: int64(o.ExpireAfterAccess),
		negTTL: o.NegativeTTL, neg: map[K]int64{},
	}
	for b := o.Shards; b > 1; b >>= 1 {
		m.shift++
	}
	m.shift = 64 - m.shift
	// Each shard's admission filter is sized for its share of Capacity;
	// without Capacity, for the entries it holds at its first eviction.
	for i := range m.shards {
		sh := &m.shards[i]
		sh.capacity = o.Capacity / o.Shards
		if i < o.Capacity%o.Shards {
			sh.capacity++
		}
		switch {
		case !o.Admission:
		case o.Capacity == 0:
			sh.lazy = true
		default:
			sh.admit = true
			sh.capacity = max(sh.capacity, 1)
			sh.win.Init(sh.capacity)
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

func (m *Cache[K, V]) hashOf(k K) uint64 {
	if m.hash == nil {
		return 0
	}
	return m.hash(k) & evictq.HashMask
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
		m.slide(it)
		return it.val, true
	}
	var zero V
	return zero, false
}

// slide is the sliding expiry of a read of the live entry it: with less
// than 7/8 of ExpireAfterAccess left, its deadline moves to a whole
// lifetime from now, capped at the deadline it was written with.
func (m *Cache[K, V]) slide(it *item[K, V]) {
	if m.access == 0 {
		return
	}
	now := m.clk.Now()
	if it.deadline-now < m.access/8*7 {
		it.deadline = max(it.deadline, m.slid(it.hard, now))
	}
}

// slid is the deadline of an entry used at now, written with deadline
// hard (0 = none): now + ExpireAfterAccess, capped at hard.
func (m *Cache[K, V]) slid(hard, now int64) int64 {
	d := now + m.access
	if hard != 0 && hard < d {
		d = hard
	}
	return d
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
	delete(m.neg, k)
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
	if m.weigher == nil || !m.tooHeavy(m.weigher(k, v)) {
		delete(m.neg, k) // the cache drops a too heavy value before claiming the key
	}
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
	hard := d
	if m.access != 0 {
		d = m.slid(hard, m.clk.Now())
	}
	var w uint64
	if m.weigher != nil {
		w = uint64(m.weigher(k, v))
		if m.tooHeavy(uint32(w)) {
			// Too heavy: not stored; the older value goes all the same.
			if ifAbsent {
				if old, ok := m.byKey[k]; ok && m.live(old) {
					old.visited = true
					return nil, old.val, false
				}
				var zero V
				return nil, zero, false
			}
			return m.remove(k, evict.Replaced), v, false
		}
	}
	s := m.shardOf(k)
	var evs []event[K, V]
	if old, ok := m.byKey[k]; ok {
		if m.live(old) && ifAbsent {
			old.visited = true
			return nil, old.val, false
		}
		if old.weight != w {
			// Another weight: the old entry leaves, the new one enters.
			evs = m.remove(k, evict.Replaced)
		} else if m.live(old) {
			ev := event[K, V]{old.key, old.val, evict.Replaced}
			old.val, old.deadline, old.hard, old.visited = v, d, hard, true
			return []event[K, V]{ev}, v, true
		} else {
			ev := event[K, V]{old.key, old.val, evict.Expired}
			old.val, old.deadline, old.hard, old.visited = v, d, hard, false
			s.sketch.Increment(old.hash)
			return []event[K, V]{ev}, v, true
		}
	}
	// Make room: evict in k's shard while the cache is full; if that
	// shard runs out of entries, insert over the bound and then evict from
	// the other shards, round robin.
	forced := false
	for !m.fits(w) {
		if s.len() == 0 {
			forced = true
			break
		}
		evs = append(evs, m.evict(s))
	}
	it := &item[K, V]{key: k, val: v, deadline: d, hard: hard, hash: m.hashOf(k), weight: w}
	m.push(s, it)
	m.byKey[k] = it
	m.weight += w
	for forced && m.over() {
		evs = append(evs, m.evictOther(s))
	}
	return evs, v, true
}

// tooHeavy reports whether an entry of weight w can never be stored.
func (m *Cache[K, V]) tooHeavy(w uint32) bool {
	return uint64(w) > m.maxWeight || uint64(w) > evict.MaxWeight
}

// fits reports whether an entry of weight w fits in the cache as it is.
func (m *Cache[K, V]) fits(w uint64) bool {
	return (m.capacity == 0 || len(m.byKey)+1 <= m.capacity) &&
		(m.maxWeight == 0 || m.weight+w <= m.maxWeight)
}

// over reports whether the cache holds more than its bounds.
func (m *Cache[K, V]) over() bool {
	return m.capacity > 0 && len(m.byKey) > m.capacity || m.maxWeight > 0 && m.weight > m.maxWeight
}

// evictOther evicts one entry from the first shard other than own, from
// the round-robin position on, that holds one.
func (m *Cache[K, V]) evictOther(own *shard[K, V]) event[K, V] {
	m.next++
	for i := range m.shards {
		s := &m.shards[(m.next+i)%len(m.shards)]
		if s != own && s.len() > 0 {
			return m.evict(s)
		}
	}
	panic("model: over the bounds with nothing to evict in other shards")
}

// push inserts a new entry: at the head of the main queue, or with
// admission at the head of the window, moving the window's oldest entry to
// the main queue if the window overflows.
func (m *Cache[K, V]) push(s *shard[K, V], it *item[K, V]) {
	if !s.admit {
		s.queue = append(s.queue, it)
		return
	}
	s.sketch.Increment(it.hash)
	s.win.Miss(it.hash)
	it.inWindow = true
	s.window = append(s.window, it)
	for len(s.window) > s.win.Cap() {
		c := s.window[0]
		s.window = s.window[1:]
		c.inWindow = false
		if c.visited {
			s.sketch.Increment(c.hash)
		}
		s.queue = append(s.queue, c)
	}
}

// evict removes one entry of s by its policy (and admission filter).
func (m *Cache[K, V]) evict(s *shard[K, V]) event[K, V] {
	if s.lazy {
		s.lazy, s.admit = false, true
		s.capacity = max(s.len(), 1)
		s.win.Init(s.capacity)
	}
	if s.admit && s.sketch.Size() == 0 {
		s.sketch.Resize(s.capacity)
	}
	if s.admit && len(s.window) > 0 && (len(s.window) >= s.win.Cap() || len(s.queue) == 0) {
		c := s.window[0]
		if !m.live(c) || len(s.queue) == 0 {
			return m.drop(s, c)
		}
		v := m.victim(s)
		if !m.live(v) {
			return m.drop(s, v)
		}
		if c.visited {
			s.sketch.Increment(c.hash)
			c.visited = false
		}
		if s.sketch.Frequency(c.hash) > s.sketch.Frequency(v.hash)+evictq.Margin(s.capacity) {
			ev := m.drop(s, v)
			s.win.Evicted(v.hash)
			s.window = s.window[1:]
			c.inWindow = false
			s.queue = append(s.queue, c)
			return ev
		}
		s.win.Rejected(c.hash)
		return m.drop(s, c)
	}
	v := m.victim(s)
	ev := m.drop(s, v)
	if s.admit && ev.r == evict.Capacity {
		s.win.Evicted(v.hash)
	}
	return ev
}

// victim moves the hand to the main queue's next victim and returns it.
func (m *Cache[K, V]) victim(s *shard[K, V]) *item[K, V] {
	if m.policy == evict.CLOCK {
		for {
			it := s.queue[0]
			if !m.live(it) || !it.visited {
				return it
			}
			it.visited = false
			s.sketch.Increment(it.hash)
			s.queue = append(s.queue[1:], it)
		}
	}
	for {
		it := s.queue[s.hand]
		if !m.live(it) || !it.visited {
			return it
		}
		it.visited = false
		s.sketch.Increment(it.hash)
		s.hand++
		if s.hand == len(s.queue) {
			s.hand = 0
		}
	}
}

// drop removes it from its list (keeping the hand on the entry after it)
// and from the index, and returns the event.
func (m *Cache[K, V]) drop(s *shard[K, V], it *item[K, V]) event[K, V] {
	r := evict.Capacity
	if !m.live(it) {
		r = evict.Expired
	}
	if it.inWindow {
		i := slices.Index(s.window, it)
		s.window = slices.Delete(s.window, i, i+1)
	} else {
		i := slices.Index(s.queue, it)
		if i < s.hand {
			s.hand--
		}
		s.queue = slices.Delete(s.queue, i, i+1)
		if s.hand >= len(s.queue) {
			s.hand = 0 // past the newest entry: wrap to the oldest
		}
	}
	delete(m.byKey, it.key)
	m.weight -= it.weight
	return event[K, V]{it.key, it.val, r}
}

// remove deletes k with reason (Expired if it had expired).
func (m *Cache[K, V]) remove(k K, reason evict.Reason) []event[K, V] {
	it, ok := m.byKey[k]
	if !ok {
		return nil
	}
	ev := m.drop(m.shardOf(k), it)
	if ev.r != evict.Expired {
		ev.r = reason
	}
	return []event[K, V]{ev}
}

// Delete removes k and reports whether it was live.
func (m *Cache[K, V]) Delete(k K) bool {
	m.mu.Lock()
	delete(m.neg, k)
	it, ok := m.byKey[k]
	live := ok && m.live(it)
	evs := m.remove(k, evict.Deleted)
	m.mu.Unlock()
	m.fire(evs)
	return live
}

// DeleteFunc removes the live entries for which f is true.
func (m *Cache[K, V]) DeleteFunc(f func(K, V) bool) int {
	return m.removeWhere(func(it *item[K, V]) bool { return m.live(it) && f(it.key, it.val) }, evict.Deleted)
}

// removeWhere removes, with reason, every entry for which pred is true.
func (m *Cache[K, V]) removeWhere(pred func(*item[K, V]) bool, reason evict.Reason) int {
	m.mu.Lock()
	var keys []K
	for k, it := range m.byKey {
		if pred(it) {
			keys = append(keys, k)
		}
	}
	var evs []event[K, V]
	for _, k := range keys {
		evs = append(evs, m.remove(k, reason)...)
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

// Weight returns the total weight of the stored entries.
func (m *Cache[K, V]) Weight() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.weight
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
		sh := &m.shards[i]
		for _, it := range append(sh.queue, sh.window...) {
			evs = append(evs, event[K, V]{it.key, it.val, evict.Deleted})
		}
		sh.queue, sh.window, sh.hand, sh.sketch = nil, nil, 0, evictq.Sketch{}
		if sh.admit {
			sh.win.Init(sh.capacity)
		}
	}
	clear(m.byKey)
	clear(m.neg)
	m.weight = 0
	m.mu.Unlock()
	m.fire(evs)
}

// ExpireAll removes every expired entry, as a full sweep would.
func (m *Cache[K, V]) ExpireAll() int {
	return m.removeWhere(func(it *item[K, V]) bool { return !m.live(it) }, evict.Expired)
}

func (m *Cache[K, V]) fire(evs []event[K, V]) {
	if m.onEvict == nil {
		return
	}
	for _, e := range evs {
		m.onEvict(e.k, e.v, e.r)
	}
}

// SetCapacity sets the bound on entries to n (> 0; the model was built
// with a Capacity), resizes each shard's admission window for its share
// as the engine does, and evicts from the shards round robin, as the
// engine's settle does, until the cache is within its bounds.
func (m *Cache[K, V]) SetCapacity(n int) {
	m.mu.Lock()
	m.capacity = n
	for i := range m.shards {
		sh := &m.shards[i]
		share := n / len(m.shards)
		if i < n%len(m.shards) {
			share++
		}
		if sh.admit {
			sh.capacity = max(share, 1)
			sh.win.Init(sh.capacity)
		} else {
			sh.capacity = share
		}
	}
	evs := m.shrink()
	m.mu.Unlock()
	m.fire(evs)
}

// SetMaxWeight sets the bound on the total weight to w (> 0; the model
// has a Weigher) and evicts as SetCapacity does.
func (m *Cache[K, V]) SetMaxWeight(w uint64) {
	m.mu.Lock()
	m.maxWeight = w
	evs := m.shrink()
	m.mu.Unlock()
	m.fire(evs)
}

func (m *Cache[K, V]) shrink() []event[K, V] {
	var evs []event[K, V]
	for m.over() {
		evs = append(evs, m.evictOther(nil))
	}
	return evs
}
