package core

import (
	"iter"
	"math"
	"math/bits"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
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
	_ noCopy

	// The read path's header: everything a Get hit reads from the engine
	// besides its shard's table pointer, in the first 64 bytes and written
	// only by NewEngine, so that its cache line stays shared by every core.
	shift  uint          // h >> shift selects the shard (64 when there is one)
	coarse *clock.Coarse // clk, when it is a *clock.Coarse: Now without an interface call
	// slideBelow is how close a deadline must be for a read to extend it:
	// 7/8 of access, or 0 (never) without ExpireAfterAccess.
	slideBelow int64
	reads      readCounters // hits and misses; no stripes unless Options.CountHits
	vmode      valueMode
	// fast: updates of present keys may skip the shard lock (update.go);
	// updates counts those updates, striped (Stats adds them to Sets and
	// Evictions[Replaced]).
	fast    bool
	updates readCounters

	tables [maxShards]atomic.Pointer[table[K, V]] // shard i's index; shards[i].table points here
	shards []shard[K, V]
	seed   Seed // mixed into every key's hash (see Seed)
	hash   func(Seed, K) uint64
	clk    clock.Clock
	ttl    time.Duration
	access int64 // Options.ExpireAfterAccess (access.go); 0 = none

	onEvict func(K, V, evict.Reason)
	lo      loadOptions[K, V] // expiry from values, loading (load.go)

	// unequalKeys: K has keys not equal to themselves (NaNs: floats,
	// complex numbers, interfaces, arrays and structs holding them), which
	// writes and loads must check for (see put and getOrLoad).
	unequalKeys bool

	snapshots sync.Pool // *[]*node[K, V]: All's per-shard copies

	closeOnce sync.Once
	closed    atomic.Bool
	life      *lifetime // the background work to stop on Close or collection

	capacity  atomic.Int64      // Options.Capacity, then SetCapacity: the most entries; 0 = no bound (never turns to or from 0)
	maxWeight atomic.Uint64     // Options.MaxWeight, then SetMaxWeight: the most total weight; 0 = no bound (likewise)
	weigher   func(K, V) uint32 // Options.Weigher
	next      atomic.Uint32     // where the next eviction from another shard looks first
	used      usage             // entries and weight, cache-wide (see room)
}

// usage is what a whole engine holds: every shard's entries and their
// weight, plus the room that writes in flight have taken for the entries
// they are about to insert. When no write is in flight, count is the sum
// of the shards' counts (at most the capacity) and weight the sum of their
// weights (at most MaxWeight). It has a cache line of its own: writes of
// new keys change it while the cache fills up, and deletions and expiry
// always, but readers never look at it, and a full cache's writes of new
// keys only load it (they evict for their room).
type usage struct {
	_      [64]byte
	count  atomic.Int64
	weight atomic.Uint64
	_      [48]byte
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
	queue     evict.Queue[entry[K, V]]
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
		vmode:      valueModeOf[V](),
		weigher:    opts.Weigher,

		unequalKeys: mayBeUnequal(reflect.TypeFor[K]()),
	}
	e.capacity.Store(int64(opts.Capacity))
	e.maxWeight.Store(opts.MaxWeight)
	if opts.CountHits {
		e.reads = newReadCounters()
	}
	if e.lo.refresh != 0 {
		e.vmode = valueNode // a node's refresh state lives and dies with it (load.go)
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
		e.clk = clock.ForCaller()
	}
	e.coarse, _ = e.clk.(*clock.Coarse)
	e.life = startLifetime(e.clk, weak.Make(e))
	return e, nil
}

// maintenanceInterval is how often an engine sweeps expired entries when
// its clock does not schedule the sweep itself (see clock.Scheduler).
const maintenanceInterval = time.Second

// lifetime is an engine's background work: its use of the clock and its
// maintenance. It holds the engine only weakly, so that nothing global (the
// clock, a timer, the runtime's cleanup queue) keeps an engine, and the
// callbacks and values it reaches, alive. close may be called from any
// goroutine, concurrently (Close, the owner's cleanup, the maintenance that
// finds the engine collected); it acts once.
type lifetime struct {
	once sync.Once
	stop func()     // ends the maintenance
	user clock.User // the clock, released on close; nil if it has no users
}

// startLifetime acquires clk and starts the maintenance of the engine that
// wp points to: on clk's own schedule when it is a clock.Scheduler (a Manual
// clock runs it inside Advance and Set), else every maintenanceInterval on a
// timer's goroutine, never on a clock's goroutine. Either way a slow OnEvict
// delays only this engine's next pass.
func startLifetime[K comparable, V any](clk clock.Clock, wp weak.Pointer[Engine[K, V]]) *lifetime {
	l := &lifetime{}
	if u, ok := clk.(clock.User); ok {
		l.user = u
		u.Acquire()
	}
	pass := func() bool {
		e := wp.Value()
		if e == nil {
			// Collected. Its owner's cleanup closes l; an engine used
			// without one (and never closed) is released here.
			l.close()
			return false
		}
		e.maintain()
		return true
	}
	if sch, ok := clk.(clock.Scheduler); ok {
		l.stop = sch.Subscribe(func() { pass() })
	} else {
		l.stop = clock.Every(maintenanceInterval, pass)
	}
	return l
}

// close stops the maintenance and releases the clock, once.
func (l *lifetime) close() {
	l.once.Do(func() {
		l.stop()
		if l.user != nil {
			l.user.Release()
		}
	})
}

// CloseWhenUnreachable arranges for e's background work to stop when owner,
// the value that holds e, becomes unreachable, so a cache the user forgets
// to Close still releases its clock and its maintenance. The cleanup holds
// neither owner nor e, so e's callbacks may refer to owner (an OnEvict that
// calls the cache) without keeping it alive.
func CloseWhenUnreachable[T any, K comparable, V any](owner *T, e *Engine[K, V]) {
	runtime.AddCleanup(owner, (*lifetime).close, e.life)
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

// Get returns the value of k and true if a live entry holds it. Lock-free;
// on a hit it sets the entry's visited bit if it is not already set.
//
// This is the product's hot path, so it is written out: the index walk of
// table.lookup, then the deadline, the visited bit and the value, all inlined
// (see inlineBodies in packages shard and shardimpl). A call per step
// cost 10–15% of a hit.
func (e *Engine[K, V]) Get(h uint64, k K) (V, bool) {
	// uint8: tables has 256 entries and h>>shift < len(shards) <= 256, so
	// the index needs no bounds check.
	t := e.tables[uint8(h>>e.shift)].Load()
	// Safety: t.mask is len(t.buckets)-1, so the bucket is in the array.
	b := (*bucket[K, V])(unsafe.Add(t.base, uintptr(h&t.mask)*unsafe.Sizeof(bucket[K, V]{})))
	tg := tag(h)
	for {
		for m := matches(b.meta.Load(), tg); m != 0; m &= m - 1 {
			// Safety: matches reports only bytes whose top bit is set in
			// meta, and only the slotsPerBucket low bytes can have it.
			n := (*atomic.Pointer[node[K, V]])(unsafe.Add(unsafe.Pointer(&b.slots), uintptr(bits.TrailingZeros64(m)>>3)*unsafe.Sizeof(b.slots[0]))).Load()
			if n == nil || n.Item.key != k {
				continue
			}
			// The deadline is read before the value: a writer updating in
			// place stores the value first, so a fresh deadline implies a
			// fresh value.
			if d := n.Deadline(); d != 0 {
				var now int64
				if c := e.coarse; c != nil {
					now = c.Now() // e.now, inlined
				} else {
					now = e.clk.Now()
				}
				if now >= d {
					e.miss()
					var zero V
					return zero, false
				}
				if d-now < e.slideBelow {
					e.slide(n, d, now) // Options.ExpireAfterAccess (access.go)
				}
			}
			n.Visit()
			e.hit()
			return e.value(n), true
		}
		if b = b.next.Load(); b == nil {
			e.miss()
			var zero V
			return zero, false
		}
	}
}

// hit and miss count a read for Stats if Options.CountHits asked for it.
func (e *Engine[K, V]) hit() {
	if e.reads.stripes != nil {
		e.reads.hit()
	}
}

func (e *Engine[K, V]) miss() {
	if e.reads.stripes != nil {
		e.reads.miss()
	}
}

// Peek is Get without the visited bit and without counting.
func (e *Engine[K, V]) Peek(h uint64, k K) (V, bool) {
	v, _, ok := e.GetWithDeadline(h, k)
	return v, ok
}

// GetWithDeadline is Peek that also returns the entry's deadline in
// nanoseconds since the Unix epoch (0 if it never expires).
func (e *Engine[K, V]) GetWithDeadline(h uint64, k K) (V, int64, bool) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			return e.value(n), d, true
		}
	}
	var zero V
	return zero, 0, false
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
	if e.weigher != nil && (w > e.maxWeight.Load() || w > evict.MaxWeight) {
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
	var r room
	for {
		s.mu.Lock()
		if !e.claim(s, h, k, c) {
			s.mu.Unlock()
			e.giveBack(&r)
			return v, false
		}
		t := s.table.Load()
		if slot := t.slot(h, k); slot != nil {
			old := slot.Load()
			live := !old.Expired(now)
			if live && ifAbsent {
				s.mu.Unlock()
				e.giveBack(&r)
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
				r.slots++
				r.weight += uint64(old.Weight())
				out.add(old, reason)
			} else {
				oldVal := e.replaceLocked(s, slot, old, n, h, k, v, d, w, live, reason)
				if c != nil {
					s.ld.unregister(k, c) // after the write: see claim
				}
				s.mu.Unlock()
				e.giveBack(&r)
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
				e.giveBack(&r)
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

// giveBack returns room r, taken for a write that wrote no new entry, to
// the cache-wide usage.
func (e *Engine[K, V]) giveBack(r *room) {
	if e.capacity.Load() > 0 && r.slots != 0 {
		e.used.count.Add(-r.slots)
	}
	if e.maxWeight.Load() > 0 && r.weight != 0 {
		e.used.weight.Add(-r.weight)
	}
	*r = room{}
}

// newWeighted is newNode for an entry of weight w.
func (e *Engine[K, V]) newWeighted(h uint64, k K, v V, d int64, w uint64) *node[K, V] {
	n := e.newNode(h, k, v, d)
	if w != 0 {
		n.SetWeight(uint32(w))
	}
	return n
}

// room is what a write holds of the cache's bounds for the entry it is
// about to insert: an entry slot (counted only with a Capacity) and
// weight (only with a MaxWeight). It is taken from the cache-wide usage,
// or handed over by the entries the write evicts or replaces, which then
// leave usage as it is.
type room struct {
	slots  int64
	weight uint64
}

// reserve gives r the room of an entry of weight w about to be inserted in
// s, evicting entries of s (appended to out) for as long as the cache
// lacks it. If s runs out of entries first, reserve takes the room anyway,
// over the bounds, and returns false: once s is unlocked, the caller must
// call settle, which evicts from other shards. Caller holds s.mu, and t
// is s's table.
//
// A full cache thus evicts in the writing shard, under the lock the write
// holds anyway; usage is only loaded then (the victim hands its room
// over), and changed only while the cache has room, or when weights differ.
func (e *Engine[K, V]) reserve(s *shard[K, V], t *table[K, V], r *room, w uint64, now int64, out *victims[K, V]) bool {
	for !e.take(r, w) {
		if s.count.Load() == 0 {
			if e.capacity.Load() > 0 && r.slots == 0 {
				e.used.count.Add(1)
				r.slots = 1
			}
			if e.maxWeight.Load() > 0 && r.weight < w {
				e.used.weight.Add(w - r.weight)
				r.weight = w
			}
			return false
		}
		n, reason := s.evictOne(t, now)
		r.slots++
		r.weight += uint64(n.Weight())
		out.add(n, reason)
	}
	return true
}

// take completes r to the room of one entry of weight w from the
// cache-wide usage, giving back any excess, and reports whether it could.
// Room it took stays in r either way.
func (e *Engine[K, V]) take(r *room, w uint64) bool {
	if e.capacity.Load() > 0 {
		if r.slots > 1 {
			e.used.count.Add(1 - r.slots)
			r.slots = 1
		}
		for r.slots == 0 {
			c := e.used.count.Load()
			if c >= e.capacity.Load() {
				return false
			}
			if e.used.count.CompareAndSwap(c, c+1) {
				r.slots = 1
			}
		}
	}
	if e.maxWeight.Load() > 0 {
		if r.weight > w {
			e.used.weight.Add(-(r.weight - w))
			r.weight = w
		}
		for r.weight < w {
			u := e.used.weight.Load()
			if u+w-r.weight > e.maxWeight.Load() {
				return false
			}
			if e.used.weight.CompareAndSwap(u, u+w-r.weight) {
				r.weight = w
			}
		}
	}
	return true
}

// over reports whether the cache holds more than its bounds allow, which
// it does only while writes that found no room in their shard are in
// flight (see reserve).
func (e *Engine[K, V]) over() bool {
	return e.capacity.Load() > 0 && e.used.count.Load() > e.capacity.Load() ||
		e.maxWeight.Load() > 0 && e.used.weight.Load() > e.maxWeight.Load()
}

// settle evicts from shards other than own, one at a time and each under
// its own lock (own's is not held), until the cache is within its bounds,
// and then reports true. Shards are tried round robin, from a place that
// moves with every call, so that no shard bears every such eviction. While
// the cache is over its bounds only because of writes still in flight,
// there may be nothing to evict yet: settle then yields and looks again,
// and after a few rounds evicts from own too. With giveUp, settle returns
// false once a few rounds over every shard found nothing to evict: the
// room is then all held by writes in flight.
func (e *Engine[K, V]) settle(own *shard[K, V], now int64, giveUp bool) bool {
	for fruitless := 0; e.over(); {
		if !e.evictOther(own, now, fruitless >= settleRounds) {
			if fruitless++; giveUp && fruitless >= 2*settleRounds {
				return false
			}
			runtime.Gosched()
		}
	}
	return true
}

// settleRounds is how many fruitless rounds settle makes, looking for
// victims in other shards only, before it looks in its own shard too.
const settleRounds = 4

// evictOther evicts one entry from a shard other than own (or own too, with
// anyShard), trying each in turn from the round-robin position, and reports
// whether it found one. It returns the entry's room to the cache-wide
// usage.
func (e *Engine[K, V]) evictOther(own *shard[K, V], now int64, anyShard bool) bool {
	start := int(e.next.Add(1))
	for i := range e.shards {
		s := &e.shards[(start+i)%len(e.shards)]
		if s == own && !anyShard || s.count.Load() == 0 {
			continue
		}
		s.mu.Lock()
		if !e.over() {
			s.mu.Unlock()
			return true // another write made room meanwhile
		}
		if s.count.Load() == 0 {
			s.mu.Unlock()
			continue
		}
		t := s.table.Load()
		n, reason := s.evictOne(t, now)
		e.release(n)
		s.shrink(t)
		s.mu.Unlock()
		e.evicted(n, reason)
		return true
	}
	return false
}

// evictOne evicts the victim of s's policy from its queue and table and
// returns it with the reason; its room stays with the caller. s must hold
// an entry. Caller holds s.mu; t is s's table.
func (s *shard[K, V]) evictOne(t *table[K, V], now int64) (*node[K, V], evict.Reason) {
	if s.lazyAdmit {
		s.lazyAdmit = false
		s.queue.EnableAdmission(s.queue.Len())
	}
	n, reason := s.queue.Evict(now)
	t.remove(n.Hash(), n)
	s.count.Add(-1)
	if w := n.Weight(); w != 0 {
		s.weight.Add(-uint64(w))
	}
	s.evictions[reason].Add(1)
	return n, reason
}

// release returns the room of n, which has left its shard, to the
// cache-wide usage.
func (e *Engine[K, V]) release(n *node[K, V]) {
	if e.capacity.Load() > 0 {
		e.used.count.Add(-1)
	}
	if w := n.Weight(); w != 0 && e.maxWeight.Load() > 0 {
		e.used.weight.Add(-uint64(w))
	}
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

// Delete removes k and reports whether a live entry held it. An expired
// entry is removed too (as expired) but reported as absent.
//
// It takes no lock when nothing is pending in k's shard (no load in flight,
// no remembered not-found) and k has no entry. The order of those two looks
// matters: a load's result is written to the index before the load stops
// counting as pending (see claim), so pending is read first; if it reads 0,
// every load that had finished by then has its result in the index, and
// every load that starts later reads a source that this Delete's caller
// has already updated (issue 17, item 1).
func (e *Engine[K, V]) Delete(h uint64, k K) bool {
	s := e.shard(h)
	if reopen17 {
		// The order before issue 17's fix: the index, then pending.
		if s.table.Load().find(h, k) == nil {
			widen()
			if s.ld.pending.Load() == 0 {
				return false
			}
		}
		return e.remove(h, k, evict.Deleted, nil)
	}
	if s.ld.pending.Load() == 0 {
		widen() // between the two looks
		if s.table.Load().find(h, k) == nil {
			return false
		}
	}
	return e.remove(h, k, evict.Deleted, nil)
}

// remove deletes k's entry, if any, under the shard lock, with reason (or
// Expired if the entry had expired), and reports whether it was live. c is
// as for store.
func (e *Engine[K, V]) remove(h uint64, k K, reason evict.Reason, c *call[K, V]) bool {
	s := e.shard(h)
	now := e.now()
	s.mu.Lock()
	if !e.claim(s, h, k, c) {
		s.mu.Unlock()
		return false
	}
	return e.removeLocked(s, h, k, reason, now, c)
}

// removeLocked is remove once s.mu is held and the write claimed: it
// removes k's entry, ends the registration of c, the load whose result
// (a not-found, or an expired value) this is, if any, unlocks s.mu and
// calls OnEvict.
func (e *Engine[K, V]) removeLocked(s *shard[K, V], h uint64, k K, reason evict.Reason, now int64, c *call[K, V]) bool {
	t := s.table.Load()
	slot := t.slot(h, k)
	var old *node[K, V]
	live := false
	if slot != nil {
		old = slot.Load()
		if live = !old.Expired(now); !live {
			reason = evict.Expired
		}
		s.unlink(e, t, h, old, reason)
	}
	if c != nil {
		if c.notFound && e.lo.negTTL > 0 {
			e.remember(s, h, k, c.err)
		}
		s.ld.unregister(k, c) // after the removal: see claim
	}
	s.mu.Unlock()
	if old != nil {
		e.evicted(old, reason)
	}
	return live
}

// unlink removes n (hash h) from the shard's table and queue and counts it.
// Caller holds s.mu.
func (s *shard[K, V]) unlink(e *Engine[K, V], t *table[K, V], h uint64, n *node[K, V], reason evict.Reason) {
	t.remove(h, n)
	s.queue.Remove(n)
	s.evictions[reason].Add(1)
	s.count.Add(-1)
	if w := n.Weight(); w != 0 {
		s.weight.Add(-uint64(w))
	}
	e.release(n)
	s.shrink(t)
}

// shrink rebuilds s's table t smaller if it has become mostly empty.
// Caller holds s.mu.
func (s *shard[K, V]) shrink(t *table[K, V]) {
	if c := s.count.Load(); len(t.buckets) > 1 && c*maxLoadDen*8 < int64(len(t.buckets))*maxLoadNum {
		s.rebuild(bucketsFor(int(c)))
	}
}

// rebuild replaces the shard's table with one of nbuckets buckets, indexing
// nodes by the hash bits they keep (no key is hashed again). Caller holds
// s.mu. Readers keep using the old table until they next load.
func (s *shard[K, V]) rebuild(nbuckets int) {
	nt := newTable[K, V](nbuckets)
	s.queue.Each(func(n *node[K, V]) { nt.insert(n.Hash(), n) })
	s.table.Store(nt)
	s.sweepPos = 0
}

// DeleteFunc removes every live entry for which f returns true and returns
// how many it removed. f runs with no lock held and may call the engine; an
// entry written while DeleteFunc runs may or may not be seen. A load in
// flight when DeleteFunc reaches its shard does not store its result if f
// reports true for its key and the loaded value (the zero value for a
// not-found): the loading goroutine applies f once the value exists. A
// GetOrLoad that starts after DeleteFunc returned does not join such a
// load: it starts a new one. A remembered not-found of a key for which
// f(key, zero value) reports true is forgotten.
func (e *Engine[K, V]) DeleteFunc(f func(K, V) bool) int {
	type seen struct {
		n *node[K, V]
		v V // the value f judged: an entry rewritten since is left alone
	}
	removed := 0
	var doomed []seen
	for i := range e.shards {
		s := &e.shards[i]
		s.filterLoads(f)
		if !reopen17item2 {
			e.forgetFunc(s, f)
		}
		doomed = doomed[:0]
		now := e.now()
		forEach(s.table.Load(), func(n *node[K, V]) {
			if v := e.value(n); !n.Expired(now) && f(n.Item.key, v) {
				doomed = append(doomed, seen{n, v})
			}
		})
		if len(doomed) == 0 {
			continue
		}
		s.mu.Lock()
		t := s.table.Load()
		j := 0
		for _, d := range doomed {
			n, h := d.n, d.n.Hash()
			if slot := t.slot(h, n.Item.key); slot != nil && slot.Load() == n && e.unchanged(n, d.v) {
				s.unlink(e, t, h, n, evict.Deleted)
				t = s.table.Load() // unlink may have rebuilt it
				doomed[j] = d
				j++
			}
		}
		s.mu.Unlock()
		removed += j
		for _, d := range doomed[:j] {
			e.evicted(d.n, evict.Deleted)
		}
	}
	return removed
}

// forEach calls f for every node in t. Lock-free; a node written during the
// walk may or may not be seen.
func forEach[K comparable, V any](t *table[K, V], f func(*node[K, V])) {
	for i := range t.buckets {
		for b := &t.buckets[i]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil {
					f(n)
				}
			}
		}
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

// All returns an iterator over the live entries. It takes no lock; an
// entry written during the iteration may or may not be seen, and none is
// seen twice. The loop body may call the engine.
//
// Each shard is first copied — the node pointers of its index, lock-free —
// into a buffer, and then yielded from the copy. Walking the live index
// instead could yield a key twice: a body that deletes a key and inserts
// others can move an already-yielded key to a slot ahead of the walk (a
// freed slot behind it is refilled first). A node is in the index at most
// once, and a key has at most one node in it at a time, so yielding each
// copied node at most once, and only while it is still indexed, yields
// each key at most once. That check is a lookup (hashing the key again: a
// node's kept hash bits share a word with queue state that writers
// change), made only once the shard has been written since the copy. The buffer (8 bytes per entry of
// the largest shard) is pooled, so an iteration allocates nothing in the
// steady state.
func (e *Engine[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		bp, _ := e.snapshots.Get().(*[]*node[K, V])
		if bp == nil {
			bp = new([]*node[K, V])
		}
		defer func() {
			clear(*bp) // do not keep nodes alive from the pool
			*bp = (*bp)[:0]
			e.snapshots.Put(bp)
		}()
		for i := range e.shards {
			s := &e.shards[i]
			w := s.writes()
			t := s.table.Load()
			buf := (*bp)[:0]
			for bi := range t.buckets {
				for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
					for j := range b.slots {
						if n := b.slots[j].Load(); n != nil {
							buf = append(buf, n)
						}
					}
				}
			}
			*bp = buf
			for _, n := range buf {
				if n.Expired(e.now()) {
					continue
				}
				if (s.writes() != w || s.table.Load() != t) && s.table.Load().find(e.hash(e.seed, n.Item.key), n.Item.key) != n {
					continue // removed since the copy
				}
				if !yield(n.Item.key, e.value(n)) {
					return
				}
			}
		}
	}
}

// writes returns a number that grows with every write to the shard's
// index: an insert counts a Set, a removal an eviction. (Clear also
// replaces the table.)
func (s *shard[K, V]) writes() uint64 {
	w := s.sets.Load()
	for r := range s.evictions {
		w += s.evictions[r].Load()
	}
	return w
}

// Clear removes every entry, as deleted.
func (e *Engine[K, V]) Clear() {
	var gone []*node[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		if e.onEvict != nil {
			s.queue.Each(func(n *node[K, V]) { gone = append(gone, n) })
		}
		s.evictions[evict.Deleted].Add(uint64(s.count.Load()))
		s.queue.Init(s.queue.Policy())
		s.table.Store(newTable[K, V](1))
		if e.capacity.Load() > 0 {
			e.used.count.Add(-s.count.Load())
		}
		if e.maxWeight.Load() > 0 {
			e.used.weight.Add(-s.weight.Load())
		}
		s.count.Store(0)
		s.weight.Store(0)
		s.sweepPos = 0
		s.ld.reset()
		s.mu.Unlock()
		for _, n := range gone {
			e.evicted(n, evict.Deleted)
		}
		gone = gone[:0]
	}
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

func (e *Engine[K, V]) evicted(n *node[K, V], r evict.Reason) {
	if e.onEvict != nil {
		e.onEvict(n.Item.key, e.value(n), r)
	}
}

// Sweep budgets: each maintenance pass examines sweepBatch slots of a shard
// at a time, and goes on with the next batch while more than a quarter of
// the batch had expired, up to sweepMax slots per shard per pass.
const (
	sweepBatch = 64
	sweepMax   = 64 * 1024
)

// maintain is the engine's maintenance pass, run about once a second on a
// goroutine of the engine's own (or inside a Manual clock's Advance and
// Set): an incremental sweep of expired entries, shard by shard.
func (e *Engine[K, V]) maintain() {
	if e.closed.Load() {
		return
	}
	e.Sweep()
}

// Sweep reclaims expired entries without a full scan: per shard it examines
// batches of buckets from where the last sweep stopped, and goes on while the
// batch was mostly expired. It returns the number of entries reclaimed. The
// background maintenance calls it; tests call it to make reclamation happen
// at a chosen point.
func (e *Engine[K, V]) Sweep() int {
	total := 0
	var gone []*node[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		e.sweepNegative(s)
		for examined := 0; examined < sweepMax; {
			s.mu.Lock()
			seen, expired := s.sweep(e, sweepBatch, &gone)
			s.mu.Unlock()
			for _, n := range gone {
				e.evicted(n, evict.Expired)
			}
			gone = gone[:0]
			examined += seen
			total += expired
			if seen == 0 || expired*4 <= seen {
				break
			}
		}
	}
	return total
}

// sweep examines up to budget entries from the shard's sweep position,
// removes the expired ones (appending them to gone) and returns how many it
// examined and removed. Caller holds s.mu.
func (s *shard[K, V]) sweep(e *Engine[K, V], budget int, gone *[]*node[K, V]) (seen, expired int) {
	if s.count.Load() == 0 {
		return 0, 0
	}
	now := e.now()
	t := s.table.Load()
	for steps := 0; steps < len(t.buckets) && seen < budget; steps++ {
		bi := s.sweepPos & t.mask
		s.sweepPos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				n := b.slots[j].Load()
				if n == nil {
					continue
				}
				seen++
				if n.Expired(now) {
					expired++
					*gone = append(*gone, n)
				}
			}
		}
	}
	for _, n := range *gone {
		s.unlink(e, s.table.Load(), n.Hash(), n, evict.Expired)
	}
	return seen, expired
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
