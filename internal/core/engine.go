package core

import (
	"math"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/budget"
	"github.com/hotcache/hotcache/internal/evictq"
	"github.com/hotcache/hotcache/internal/tick"
)

// Engine is the cache machinery shared by shard.Cache and by caches that
// cachegen generates: the shards, their lock-free indexes, eviction, expiry
// and statistics. Its methods take the key's hash, computed by the caller, so
// that a generated cache can hash with code specialized to its key type.
//
// Engine is meant for generated code; use shard.Cache directly. Its methods have
// the contracts of the Cache methods of the same name, with h equal to the
// engine's hash of k (a different h is a bug: the key is stored where later
// calls will not look).
//
// An Engine is safe for concurrent use and must not be copied.
type Engine[K comparable, V any] struct {
	_      noCopy
	shards []shard[K, V]
	tables [maxShards]atomic.Pointer[table[K, V]] // shard i's index; shards[i].table points here
	shift  uint                                   // h >> shift selects the shard (64 when there is one)
	seed   Seed                                   // mixed into every key's hash (see Seed)
	hash   func(Seed, K) uint64
	clk    clock.Clock
	coarse *clock.Coarse // clk, when it is a *clock.Coarse: Now without an interface call
	ttl    time.Duration
	access int64 // Options.ExpireAfterAccess (access.go); 0 = none
	// slideBelow is how close a deadline must be for a read to extend it:
	// 7/8 of access, or 0 (never) without ExpireAfterAccess.
	slideBelow int64
	onEvict    func(K, V, evict.Reason)
	reads      readCounters      // hits and misses; no stripes unless Options.CountHits
	lo         loadOptions[K, V] // expiry from values, loading (load.go)
	vmode      valueMode
	nodes      nodeKind // what its nodes are the first field of (nodes.go)
	// fast: updates of present keys may skip the shard lock (update.go);
	// updates counts those updates, striped (Stats adds them to Sets and
	// Evictions[Replaced]).
	fast    bool
	updates readCounters

	// unequalKeys: K has keys not equal to themselves (NaNs: floats,
	// complex numbers, interfaces, arrays and structs holding them), which
	// writes and loads must check for (see put and getOrLoad).
	unequalKeys bool

	snapshots sync.Pool // *[]*node[K, V]: All's per-shard copies

	closeOnce sync.Once
	closed    atomic.Bool
	life      *lifetime // the background work to stop on Close or collection

	weigher func(K, V) uint32 // Options.Weigher
	next    atomic.Uint32     // where the next eviction from another shard looks first
	budget  budget.Budget     // Options.Capacity and MaxWeight (then SetCapacity, SetMaxWeight) and their usage, cache-wide
}

// shard is one independently locked part of an Engine.
//
// Locking: mu guards queue, sweepPos and every write to table (the pointer
// and the buckets it reaches). Readers load table and walk it with no lock.
// count, weight, sets and evictions are written under mu and read
// atomically. A write holds one shard lock at a time: a write that must
// evict from another shard does so after releasing its own (see settle).
//
// Layout: the table pointer, the only thing a Get reads, lives in the
// engine's tables array, one load away from the engine, and away from the
// lock and counters that writers change.
type shard[K comparable, V any] struct {
	mu        sync.Mutex
	queue     evictq.Queue[entry[K, V]]
	capacity  int  // the shard's share of the capacity: sizes admission and remembered not-founds
	lazyAdmit bool // admission is sized at the first eviction, from the entries held then
	sweepPos  uint64
	count     atomic.Int64
	weight    atomic.Uint64 // total weight of the entries (0 without a Weigher)
	sets      atomic.Uint64
	evictions [evict.NumReasons]atomic.Uint64
	ld        loadState[K, V]              // in-flight loads, remembered not-founds (load.go)
	table     *atomic.Pointer[table[K, V]] // &Engine.tables[i]
	_         [64]byte                     // keep neighbouring shards' locks off this cache line
}

// noCopy makes go vet report copies of the types that embed it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// NewEngine validates opts and returns an engine whose keys hash as
// hash(e.Seed(), k), with a seed drawn at random for this engine (opts.Hash
// is ignored; a nil hash is the default hash of K). The caller computes the
// hashes it passes to the engine's methods, with [Engine.Seed]. NewEngine
// acquires the clock and starts the background sweep of expired entries;
// call Close, or arrange for it with [CloseWhenUnreachable], to stop them.
func NewEngine[K comparable, V any](opts Options[K, V], hash func(Seed, K) uint64) (*Engine[K, V], error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if hash == nil {
		hash = DefaultHash[K]()
	}
	// Without Capacity, a weight bound is the most entries there can be if
	// every entry weighs at least 1: enough to choose shards and bound
	// remembered not-founds; admission is sized from actual entries.
	nominal := opts.Capacity
	if nominal == 0 {
		nominal = int(min(opts.MaxWeight, maxNominal))
	}
	n := opts.Shards
	if n == 0 {
		n = defaultShards(nominal)
	}
	e := &Engine[K, V]{
		shards:     make([]shard[K, V], n),
		shift:      uint(64 - log2(n)),
		seed:       MakeSeed(),
		hash:       hash,
		clk:        opts.Clock,
		ttl:        opts.TTL,
		access:     int64(opts.ExpireAfterAccess),
		slideBelow: int64(opts.ExpireAfterAccess) / slideDen * slideNum,
		onEvict:    opts.OnEvict,
		lo:         newLoadOptions(opts),
		nodes:      nodeKindOf(&opts),
		vmode:      valueModeOf[V](),
		weigher:    opts.Weigher,

		unequalKeys: mayBeUnequal(reflect.TypeFor[K]()),
	}
	e.budget.Init(int64(opts.Capacity), opts.MaxWeight)
	if opts.CountHits {
		e.reads = newReadCounters()
	}
	if e.nodes == refreshNodes {
		e.vmode = valueNode // a node's refresh state lives and dies with it (refresh.go)
	}
	if e.fast = e.fastUpdates(); e.fast {
		e.updates = newReadCounters()
	}
	for i := range e.shards {
		s := &e.shards[i]
		s.capacity = nominal / n
		if i < nominal%n {
			s.capacity++
		}
		s.queue.Init(opts.Policy)
		switch {
		case opts.NoAdmission:
		case opts.Capacity == 0:
			s.lazyAdmit = true
		default:
			s.queue.EnableAdmission(s.capacity)
		}
		s.table = &e.tables[i]
		s.table.Store(newTable[K, V](1))
	}
	if e.clk == nil {
		e.clk = tick.ForCaller(clock.Default())
	}
	e.coarse, _ = e.clk.(*clock.Coarse)
	e.life = startLifetime(e.clk, weak.Make(e))
	return e, nil
}

// maxNominal bounds the capacity assumed for a cache bounded by weight
// only (see NewEngine).
const maxNominal = 1 << 20

// defaultShards picks a power of two near 4×GOMAXPROCS, with at least 64
// entries of capacity per shard so that per-shard eviction stays close to a
// global policy.
func defaultShards(capacity int) int {
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < maxShards && capacity/(2*n) >= 64 {
		n <<= 1
	}
	return n
}

func log2(n int) int {
	r := 0
	for n > 1 {
		n >>= 1
		r++
	}
	return r
}

func (e *Engine[K, V]) shard(h uint64) *shard[K, V] { return &e.shards[h>>e.shift] }

// Seed returns the engine's hash seed, drawn at random by NewEngine: the h
// passed to every method must be the engine's hash of the key under it.
// Generated caches keep a copy next to the engine pointer.
func (e *Engine[K, V]) Seed() Seed { return e.seed }

// now reads the engine's clock.
func (e *Engine[K, V]) now() int64 {
	if e.coarse != nil {
		return e.coarse.Now()
	}
	return e.clk.Now()
}

// deadline returns the absolute deadline for an entry written now with ttl
// (>= 0): 0 (never) for ttl 0, saturating instead of overflowing. The clock
// never reads before the epoch (clock.Clock), so a deadline is never 0.
func (e *Engine[K, V]) deadline(ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	now := e.now()
	if now > math.MaxInt64-int64(ttl) {
		return math.MaxInt64
	}
	return now + int64(ttl)
}

// Set stores v under k with the engine's TTL.
func (e *Engine[K, V]) Set(h uint64, k K, v V) {
	if e.fast && e.tryUpdate(h, k, v) {
		return
	}
	if e.lo.perValue {
		e.SetDeadline(h, k, v, e.valueDeadline(k, v))
		return
	}
	e.store(h, k, v, e.deadline(e.ttl), false, nil)
}

// SetTTL stores v under k for ttl: 0 means no expiry; a negative ttl stores
// nothing and removes k, as if the value had expired at once.
func (e *Engine[K, V]) SetTTL(h uint64, k K, v V, ttl time.Duration) {
	if ttl < 0 {
		e.remove(h, k, evict.Replaced, nil)
		return
	}
	e.store(h, k, v, e.deadline(ttl), false, nil)
}

// SetDeadline stores v under k until the absolute deadline d (nanoseconds
// since the Unix epoch; 0 means no expiry). A deadline that has already
// passed stores nothing and removes k.
func (e *Engine[K, V]) SetDeadline(h uint64, k K, v V, d int64) {
	if d != 0 && d <= e.now() {
		e.remove(h, k, evict.Replaced, nil)
		return
	}
	e.store(h, k, v, d, false, nil)
}

// SetIfAbsent stores v under k unless a live entry holds k. It returns the
// value k now holds and whether v was stored.
func (e *Engine[K, V]) SetIfAbsent(h uint64, k K, v V) (actual V, stored bool) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			n.Visit()
			return e.value(n), false
		}
	}
	if e.lo.perValue {
		return e.setIfAbsentExpiry(h, k, v)
	}
	return e.store(h, k, v, e.deadline(e.ttl), true, nil)
}

// store writes k=v with deadline d: put with the weight of k=v.
func (e *Engine[K, V]) store(h uint64, k K, v V, d int64, ifAbsent bool, c *call[K, V]) (V, bool) {
	return e.put(h, k, v, d, e.weigh(k, v), ifAbsent, c)
}

// weigh returns the weight of k=v: Options.Weigher's, or 0 without one.
func (e *Engine[K, V]) weigh(k K, v V) uint64 {
	if e.weigher == nil {
		return 0
	}
	return uint64(e.weigher(k, v))
}

// put writes k=v, of weight w, with deadline d under the shard lock: it
// replaces a present entry of the same weight in place (keeping its queue
// position; a live one counts as used), or inserts a new entry at the head
// after taking room for it (see reserve), which evicts if the cache is
// full. A present entry of another weight leaves as replaced, and the new
// one is inserted. With ifAbsent, a live present entry wins and is
// returned instead. c is the load whose result v is, or nil for the user's
// writes (see claim). A value heavier than MaxWeight is not stored, and
// removes the key's entry as a write would replace it.
//
// A present entry's value is overwritten atomically when V allows it (see
// valueMode), so updating a live entry allocates nothing; otherwise a new
// node takes the old one's place in the index and the queue.
func (e *Engine[K, V]) put(h uint64, k K, v V, d int64, w uint64, ifAbsent bool, c *call[K, V]) (V, bool) {
	if e.unequalKeys && k != k {
		// A key not equal to itself (a NaN) could never be read, replaced
		// or deleted: it takes no room (issue 17, item 5).
		var zero V
		return zero, false
	}
	if e.weigher != nil && (w > e.budget.MaxWeight() || w > evict.MaxWeight) {
		if ifAbsent {
			actual, _ := e.Peek(h, k)
			return actual, false
		}
		e.remove(h, k, evict.Replaced, c)
		return v, false
	}
	s := e.shard(h)
	var n *node[K, V]
	if e.vmode == valueNode || s.table.Load().find(h, k) == nil {
		n = e.newWeighted(h, k, v, d, w) // allocate before locking
	}
	now := e.now()
	var out victims[K, V]
	var r budget.Room
	for {
		s.mu.Lock()
		if !e.claim(s, h, k, c) {
			s.mu.Unlock()
			e.budget.GiveBack(&r)
			return v, false
		}
		t := s.table.Load()
		if slot := t.slot(h, k); slot != nil {
			old := slot.Load()
			live := !old.Expired(now)
			if live && ifAbsent {
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				old.Visit()
				return e.value(old), false
			}
			reason := evict.Replaced
			if !live {
				reason = evict.Expired
			}
			if uint64(old.Weight()) != w {
				// The entry's room changes: it leaves, with its room, and the
				// new one enters as a new key would.
				t.remove(h, old)
				s.queue.Remove(old)
				s.count.Add(-1)
				s.weight.Add(-uint64(old.Weight()))
				s.evictions[reason].Add(1)
				r.Hand(uint64(old.Weight()))
				out.add(old, reason)
			} else {
				oldVal := e.replaceLocked(s, slot, old, n, h, k, v, d, w, live, reason)
				if c != nil {
					s.ld.unregister(k, c) // after the write: see claim
				}
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				out.fire(e)
				if e.onEvict != nil {
					e.onEvict(k, oldVal, reason)
				}
				return v, true
			}
		}
		if n == nil { // the key was deleted since the lock-free look, or its weight changed
			n = e.newWeighted(h, k, v, d, w)
		}
		if !e.reserve(s, t, &r, w, now, &out) {
			// s has nothing left to evict, and the cache lacks room: evict
			// in other shards first (settle), holding the room taken, and
			// write only then, so that the entries held never exceed the
			// bounds (issue 17, item 6). If there is nothing to evict
			// anywhere, the room is all taken by writes in flight: write
			// over the bounds, and settle after.
			s.mu.Unlock()
			out.fire(e)
			out = victims[K, V]{}
			if e.settle(s, now, true) {
				continue
			}
			s.mu.Lock()
			if !e.claim(s, h, k, c) {
				s.mu.Unlock()
				e.budget.GiveBack(&r)
				return v, false
			}
			t = s.table.Load()
			if slot := t.slot(h, k); slot != nil {
				// Written meanwhile: start over with the room held.
				s.mu.Unlock()
				continue
			}
			e.insertNew(s, t, h, k, n, w, c)
			s.mu.Unlock()
			e.settle(s, now, false)
			return v, true
		}
		e.insertNew(s, t, h, k, n, w, c)
		s.mu.Unlock()
		out.fire(e)
		return v, true
	}
}

// insertNew inserts n, the new entry of k (hash h, weight w), whose room is
// taken, in s's table t and queue, and ends the registration of c, the load
// whose result it is, if any. Caller holds s.mu.
func (e *Engine[K, V]) insertNew(s *shard[K, V], t *table[K, V], h uint64, k K, n *node[K, V], w uint64, c *call[K, V]) {
	t.insert(h, n)
	s.queue.Push(n)
	s.sets.Add(1)
	if w != 0 {
		s.weight.Add(w)
	}
	if count := s.count.Add(1); count*maxLoadDen > int64(len(t.buckets))*maxLoadNum {
		s.rebuild(2 * len(t.buckets))
	}
	if c != nil {
		s.ld.unregister(k, c) // after the insert: see claim
	}
}

// newWeighted is newNode for an entry of weight w.
func (e *Engine[K, V]) newWeighted(h uint64, k K, v V, d int64, w uint64) *node[K, V] {
	n := e.newNode(h, k, v, d)
	if w != 0 {
		n.SetWeight(uint32(w))
	}
	return n
}

// victims collects the entries a write removed, for OnEvict once the lock
// is released; the first without allocating.
type victims[K comparable, V any] struct {
	first  *node[K, V]
	reason evict.Reason
	more   []victim[K, V]
}

type victim[K comparable, V any] struct {
	n      *node[K, V]
	reason evict.Reason
}

func (vs *victims[K, V]) add(n *node[K, V], r evict.Reason) {
	if vs.first == nil {
		vs.first, vs.reason = n, r
		return
	}
	vs.more = append(vs.more, victim[K, V]{n, r})
}

// fire calls OnEvict for each victim, in the order they were added. No lock
// may be held.
func (vs *victims[K, V]) fire(e *Engine[K, V]) {
	if vs.first == nil || e.onEvict == nil {
		return
	}
	e.evicted(vs.first, vs.reason)
	for _, v := range vs.more {
		e.evicted(v.n, v.reason)
	}
}

// Len returns the number of entries stored, including expired entries not
// yet reclaimed. It is at most the capacity whenever no Set is in flight.
func (e *Engine[K, V]) Len() int {
	var n int64
	for i := range e.shards {
		n += e.shards[i].count.Load()
	}
	return int(n)
}

// Stats returns a snapshot of the counters.
func (e *Engine[K, V]) Stats() Stats {
	var st Stats
	st.Hits, st.Misses = e.reads.sum()
	st.HitsCounted = e.reads.stripes != nil
	st.NegativeHits, _ = e.lo.negHits.sum()
	if e.fast {
		u, _ := e.updates.sum()
		st.Sets += u
		st.Evictions[evict.Replaced] += u
	}
	for i := range e.shards {
		s := &e.shards[i]
		st.Sets += s.sets.Load()
		st.Weight += s.weight.Load()
		s.ld.addStats(&st)
		for r := range s.evictions {
			st.Evictions[r] += s.evictions[r].Load()
		}
	}
	return st
}

// Close stops the engine's background sweep and releases its clock. It is
// idempotent and always returns nil. The engine stays usable after Close:
// reads still never return expired entries, but expired entries are then
// reclaimed only by writes.
func (e *Engine[K, V]) Close() error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		e.cancelLoads()
		e.life.close()
	})
	return nil
}

// replaceLocked writes k=v (deadline d, weight w) over old, k's entry in
// slot, live or not, whose weight is w too: through a new node for values
// kept in nodes (n, or one allocated here if n is nil), in place
// otherwise. It counts the write and old's leaving for reason, and returns
// old's value. Caller holds s.mu.
func (e *Engine[K, V]) replaceLocked(s *shard[K, V], slot *atomic.Pointer[node[K, V]], old, n *node[K, V], h uint64, k K, v V, d int64, w uint64, live bool, reason evict.Reason) V {
	oldVal := e.value(old)
	if e.vmode == valueNode {
		if n == nil {
			n = e.newWeighted(h, k, v, d, w)
		}
		if live {
			n.Visit()
		}
		s.queue.Replace(old, n)
		if !live {
			s.queue.Touch(n)
		}
		slot.Store(n)
	} else {
		e.setValue(old, v) // value before deadline: see Get
		e.setDeadline(old, d)
		if live {
			old.Visit()
		} else {
			old.Unvisit()
			s.queue.Touch(old)
		}
	}
	s.sets.Add(1)
	s.evictions[reason].Add(1)
	return oldVal
}
