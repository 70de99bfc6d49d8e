package core

import (
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
	nodes      nodeKind // what its nodes are the first field of (nodes.go)
	// fast: updates of present keys may skip the shard lock (update.go);
	// updates counts those updates, striped (Stats adds them to Sets and
	// Evictions[Replaced]).
	fast    bool
	kind    KeyKind // how GetKey hashes: KindOf[K]() with the default hash, else KindUser (through hash)
	updates readCounters

	tables [maxShards]atomic.Pointer[table[K, V]] // shard i's index; shards[i].table points here
	shards []shard[K, V]
	seed   Seed // mixed into every key's hash (see Seed)
	hash   func(Seed, K) uint64
	clk    clock.Clock
	ttl    time.Duration
	access int64 // Options.ExpireAfterAccess (access.go); 0 = none

	onEvict func(K, V, evict.Reason)
	lo      loadOptions[K, V] // expiry from values, loading (load.go, deadline.go)

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
	mu        spinMutex // a sync.Mutex that spins longer before it blocks (lock.go)
	queue     evictq.Queue[entry[K, V]]
	capacity  int  // the shard's share of the capacity: sizes admission and remembered not-founds
	lazyAdmit bool // admission is sized at the first eviction, from the entries held then
	sweepPos  uint64
	count     atomic.Int64
	weight    atomic.Uint64 // total weight of the entries (0 without a Weigher)
	sets      atomic.Uint64
	evictions [evict.NumReasons]atomic.Uint64
	ld        loadState[K, V]              // in-flight loads (flight.go), remembered not-founds (negative.go)
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
	kind := KindUser
	if hash == nil {
		hash, kind = DefaultHash[K](), KindOf[K]()
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
		kind:       kind,
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
	spin := runtime.GOMAXPROCS(0) > 1 // see spinMutex
	for i := range e.shards {
		s := &e.shards[i]
		s.capacity = nominal / n
		if i < nominal%n {
			s.capacity++
		}
		s.queue.Init(evictq.Policy(opts.Policy)) // the same values as evict.Policy
		switch {
		case opts.NoAdmission:
		case opts.Capacity == 0:
			s.lazyAdmit = true
		default:
			s.queue.EnableAdmission(s.capacity)
		}
		s.mu.spin = spin
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

// minShardCapacity is the least capacity defaultShards gives a shard. Each
// shard runs its own admission filter and adaptive window, and the smaller
// its queue the more its decisions rest on a few entries: with 64, caches
// of 500 to 1000 entries (8 shards on 2 CPUs) lost 0.3 to 0.7 points
// against the same cache with 128 per shard (lirs-multi1 at 521 entries:
// 55.0% against 55.5%, lirs-ps at 616: 58.4% against 58.7%, medians of 5
// seeds; 256 gained no more and lost lirs-zigzag at 400, 17.3% → 15.5%).
// A cache gets its 4×GOMAXPROCS shards from 512×GOMAXPROCS entries (1024
// on 2 CPUs), half as many below that, and so on.
const minShardCapacity = 128

// maxNominal bounds the capacity assumed for a cache bounded by weight
// only (see NewEngine).
const maxNominal = 1 << 20

// defaultShards picks a power of two near 4×GOMAXPROCS, with at least
// minShardCapacity entries of capacity per shard so that per-shard eviction
// stays close to a global policy.
func defaultShards(capacity int) int {
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < maxShards && capacity/(2*n) >= minShardCapacity {
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
