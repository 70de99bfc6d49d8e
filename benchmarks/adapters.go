package benchmarks

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/Yiling-J/theine-go"
	"github.com/dgraph-io/ristretto/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jellydator/ttlcache/v3"
	"github.com/maypok86/otter/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/shard"
)

// Key is the set of key types the harness runs. It is a closed set because
// ristretto accepts only a few key types.
type Key interface{ uint64 | string }

// Config is what every adapter is built from.
type Config struct {
	// Capacity is the most entries a bounded cache holds (ignored by the
	// unbounded maps).
	Capacity int
	// TTL, if positive, is the time to live of every entry written by Set.
	TTL time.Duration
	// Sync asks caches that apply writes in the background (ristretto,
	// theine, otter's maintenance) to finish that work before Set returns,
	// as their own simulators do. Hit-ratio replays set it.
	Sync bool
}

// Cache is the common face of every cache under test: values are uint64.
type Cache[K Key] interface {
	Get(key K) (uint64, bool)
	Set(key K, value uint64)
	Close()
}

// Dropper is implemented by caches whose Set may silently drop the write
// (ristretto): Dropped counts the Sets that were refused.
type Dropper interface{ Dropped() uint64 }

// Factory builds one kind of cache.
type Factory[K Key] struct {
	// Name is the row label in every table and plot.
	Name string
	// Bounded is false for the unbounded maps (the throughput baselines).
	Bounded bool
	// TTL reports whether the cache supports Config.TTL.
	TTL bool
	// New builds a cache. It panics on invalid configuration.
	New func(Config) Cache[K]
}

// Otter is the name of the reference competitor, the row ratios are given
// against.
const Otter = "otter"

// Caches returns every cache the comparison runs, hotcache first. Add a row
// here to add a cache (e.g. Hotcache("hotcache/clock", opts)).
func Caches[K Key]() []Factory[K] {
	return []Factory[K]{
		Hotcache("hotcache", shard.Options[K, uint64]{}),
		Generated[K](),
		Hotcache("hotcache/no-admission", shard.Options[K, uint64]{NoAdmission: true}),
		OtterCache[K](),
		Ristretto[K](),
		Theine[K](),
		LRU[K](),
		ExpirableLRU[K](),
		TTLCache[K](),
		XsyncMap[K](),
		SyncMap[K](),
		RWMutexMap[K](),
	}
}

// Hotcache is hotcache's generic shard.Cache built from base, with Capacity
// and TTL taken from the Config. Everything else (shards, policy, clock) is
// base's: the zero Options are the defaults a user gets (SIEVE with the
// adaptive admission filter, shards from GOMAXPROCS, the shared coarse
// clock).
func Hotcache[K Key](name string, base shard.Options[K, uint64]) Factory[K] {
	return Factory[K]{Name: name, Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		o := base
		o.Capacity = c.Capacity
		o.TTL = c.TTL
		return hotcache[K]{shard.Must(o)}
	}}
}

// Generated is the cache cachegen emits for the key type (package
// generated: Uint64Cache for uint64 keys, CounterCache for string keys),
// with default options otherwise, like Hotcache.
func Generated[K Key]() Factory[K] {
	return Factory[K]{Name: "hotcache/generated", Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		var impl any
		switch any(*new(K)).(type) {
		case uint64:
			g, err := generated.NewUint64Cache(shard.Options[uint64, uint64]{Capacity: c.Capacity, TTL: c.TTL})
			if err != nil {
				panic(err)
			}
			impl = genUint64{g}
		case string:
			g, err := generated.NewCounterCache(shard.Options[string, uint64]{Capacity: c.Capacity, TTL: c.TTL})
			if err != nil {
				panic(err)
			}
			impl = genCounter{g}
		}
		return impl.(Cache[K])
	}}
}

// genUint64 and genCounter adapt the generated caches, each on its
// concrete type as a user would call it: an adapter generic over the cache
// type would call Get through the generic dictionary, a call a user does
// not make, and the comparison with shard.Cache would measure it.
type genUint64 struct{ c *generated.Uint64Cache }

func (a genUint64) Get(k uint64) (uint64, bool) { return a.c.Get(k) }
func (a genUint64) Set(k uint64, v uint64)      { a.c.Set(k, v) }
func (a genUint64) Close()                      { a.c.Close() }

type genCounter struct{ c *generated.CounterCache }

func (a genCounter) Get(k string) (uint64, bool) { return a.c.Get(k) }
func (a genCounter) Set(k string, v uint64)      { a.c.Set(k, v) }
func (a genCounter) Close()                      { a.c.Close() }

type hotcache[K Key] struct{ c *shard.Cache[K, uint64] }

func (a hotcache[K]) Get(k K) (uint64, bool) { return a.c.Get(k) }
func (a hotcache[K]) Set(k K, v uint64)      { a.c.Set(k, v) }
func (a hotcache[K]) Close()                 { a.c.Close() }

// otterClock is one coarse clock shared by every otter cache with a TTL, at
// hotcache's default resolution: otter's docs recommend it to make reads of
// expiring caches cheap, and hotcache always reads a coarse clock.
var otterClock = sync.OnceValue(func() *otter.CoarseClock { return otter.NewCoarseClock(clock.DefaultResolution) })

// OtterCache is otter v2 with MaximumSize = Capacity (W-TinyLFU), no
// InitialCapacity (the default a user gets; hotcache does not presize
// either), no stats. With a TTL: ExpiryWriting (fixed TTL from the write,
// as hotcache) on the shared coarse clock. Sync: an executor that runs
// maintenance on the calling goroutine, as otter's own simulator does.
func OtterCache[K Key]() Factory[K] {
	return Factory[K]{Name: Otter, Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		o := &otter.Options[K, uint64]{MaximumSize: c.Capacity}
		if c.TTL > 0 {
			o.ExpiryCalculator = otter.ExpiryWriting[K, uint64](c.TTL)
			o.Clock = otterClock()
		}
		if c.Sync {
			o.Executor = func(fn func()) { fn() }
		}
		return otterCache[K]{otter.Must(o)}
	}}
}

type otterCache[K Key] struct{ c *otter.Cache[K, uint64] }

func (a otterCache[K]) Get(k K) (uint64, bool) { return a.c.GetIfPresent(k) }
func (a otterCache[K]) Set(k K, v uint64)      { a.c.Set(k, v) }
func (a otterCache[K]) Close()                 {} // otter has no Close: its goroutines end on their own

// Ristretto is ristretto v2 configured as its README recommends: NumCounters
// 10× the number of entries, MaxCost = Capacity with cost 1 per entry and
// IgnoreInternalCost (cost counts entries, not bytes), BufferItems 64. Sets
// that ristretto refuses (Set returns false) are counted, see [Dropper]. With
// Sync, every Set is followed by Wait, so the write is applied (or rejected
// by admission) before Set returns.
func Ristretto[K Key]() Factory[K] {
	return Factory[K]{Name: "ristretto", Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		r, err := ristretto.NewCache(&ristretto.Config[K, uint64]{
			NumCounters:        10 * int64(c.Capacity),
			MaxCost:            int64(c.Capacity),
			BufferItems:        64,
			IgnoreInternalCost: true,
		})
		if err != nil {
			panic(err)
		}
		return &ristrettoCache[K]{c: r, ttl: c.TTL, sync: c.Sync}
	}}
}

type ristrettoCache[K Key] struct {
	c       *ristretto.Cache[K, uint64]
	ttl     time.Duration
	sync    bool
	dropped atomic.Uint64
}

func (a *ristrettoCache[K]) Get(k K) (uint64, bool) { return a.c.Get(k) }
func (a *ristrettoCache[K]) Set(k K, v uint64) {
	if !a.c.SetWithTTL(k, v, 1, a.ttl) {
		a.dropped.Add(1)
	}
	if a.sync {
		a.c.Wait()
	}
}
func (a *ristrettoCache[K]) Close()          { a.c.Close() }
func (a *ristrettoCache[K]) Dropped() uint64 { return a.dropped.Load() }

// Theine is theine-go with maxsize = Capacity and cost 1 per entry, the
// defaults otherwise (adaptive W-TinyLFU, no doorkeeper, no entry pool).
// With a TTL, SetWithTTL. With Sync, every Set is followed by Wait, which
// drains theine's write buffer into its policy.
func Theine[K Key]() Factory[K] {
	return Factory[K]{Name: "theine", Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		t, err := theine.NewBuilder[K, uint64](int64(c.Capacity)).Build()
		if err != nil {
			panic(err)
		}
		return theineCache[K]{c: t, ttl: c.TTL, sync: c.Sync}
	}}
}

type theineCache[K Key] struct {
	c    *theine.Cache[K, uint64]
	ttl  time.Duration
	sync bool
}

func (a theineCache[K]) Get(k K) (uint64, bool) { return a.c.Get(k) }
func (a theineCache[K]) Set(k K, v uint64) {
	a.c.SetWithTTL(k, v, 1, a.ttl)
	if a.sync {
		a.c.Wait()
	}
}
func (a theineCache[K]) Close() { a.c.Close() }

// LRU is hashicorp/golang-lru v2's thread-safe LRU of size Capacity (one
// mutex; Get takes it exclusively). No TTL.
func LRU[K Key]() Factory[K] {
	return Factory[K]{Name: "golang-lru", Bounded: true, New: func(c Config) Cache[K] {
		l, err := lru.New[K, uint64](c.Capacity)
		if err != nil {
			panic(err)
		}
		return lruCache[K]{l}
	}}
}

type lruCache[K Key] struct{ c *lru.Cache[K, uint64] }

func (a lruCache[K]) Get(k K) (uint64, bool) { return a.c.Get(k) }
func (a lruCache[K]) Set(k K, v uint64)      { a.c.Add(k, v) }
func (a lruCache[K]) Close()                 {}

// ExpirableLRU is golang-lru v2's expirable.LRU of size Capacity with the
// Config's TTL (0: no expiry). Its cleanup goroutine, started when TTL > 0,
// can never be stopped (a documented limitation of the library).
func ExpirableLRU[K Key]() Factory[K] {
	return Factory[K]{Name: "golang-lru/expirable", Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		return expirableCache[K]{expirable.NewLRU[K, uint64](c.Capacity, nil, c.TTL)}
	}}
}

type expirableCache[K Key] struct{ c *expirable.LRU[K, uint64] }

func (a expirableCache[K]) Get(k K) (uint64, bool) { return a.c.Get(k) }
func (a expirableCache[K]) Set(k K, v uint64)      { a.c.Add(k, v) }
func (a expirableCache[K]) Close()                 { a.c.Purge() }

// TTLCache is jellydator/ttlcache v3 with WithCapacity(Capacity), WithTTL
// and WithDisableTouchOnHit (a fixed TTL from the write, as hotcache; the
// default would extend it on every hit). Its cleanup goroutine (Start) is
// not started: Get checks expiry itself, and eviction by capacity is LRU.
func TTLCache[K Key]() Factory[K] {
	return Factory[K]{Name: "ttlcache", Bounded: true, TTL: true, New: func(c Config) Cache[K] {
		return ttlCache[K]{ttlcache.New(
			ttlcache.WithCapacity[K, uint64](uint64(c.Capacity)),
			ttlcache.WithTTL[K, uint64](c.TTL),
			ttlcache.WithDisableTouchOnHit[K, uint64](),
		)}
	}}
}

type ttlCache[K Key] struct{ c *ttlcache.Cache[K, uint64] }

func (a ttlCache[K]) Get(k K) (uint64, bool) {
	if it := a.c.Get(k); it != nil {
		return it.Value(), true
	}
	return 0, false
}
func (a ttlCache[K]) Set(k K, v uint64) { a.c.Set(k, v, ttlcache.DefaultTTL) }
func (a ttlCache[K]) Close()            { a.c.DeleteAll() }

// XsyncMap is puzpuzpuz/xsync v4's Map (formerly MapOf), default options:
// an unbounded concurrent map, the ceiling for lock-free reads.
func XsyncMap[K Key]() Factory[K] {
	return Factory[K]{Name: "xsync.Map", New: func(Config) Cache[K] { return xsyncMap[K]{xsync.NewMap[K, uint64]()} }}
}

type xsyncMap[K Key] struct{ m *xsync.Map[K, uint64] }

func (a xsyncMap[K]) Get(k K) (uint64, bool) { return a.m.Load(k) }
func (a xsyncMap[K]) Set(k K, v uint64)      { a.m.Store(k, v) }
func (a xsyncMap[K]) Close()                 {}

// SyncMap is the standard library's sync.Map, unbounded (Store boxes the
// value).
func SyncMap[K Key]() Factory[K] {
	return Factory[K]{Name: "sync.Map", New: func(Config) Cache[K] { return &syncMap[K]{} }}
}

type syncMap[K Key] struct{ m sync.Map }

func (a *syncMap[K]) Get(k K) (uint64, bool) {
	v, ok := a.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (a *syncMap[K]) Set(k K, v uint64) { a.m.Store(k, v) }
func (a *syncMap[K]) Close()            {}

// RWMutexMap is a Go map behind a sync.RWMutex, unbounded: what many
// programs write by hand.
func RWMutexMap[K Key]() Factory[K] {
	return Factory[K]{Name: "map+RWMutex", New: func(Config) Cache[K] { return &rwMap[K]{m: map[K]uint64{}} }}
}

type rwMap[K Key] struct {
	mu sync.RWMutex
	m  map[K]uint64
}

func (a *rwMap[K]) Get(k K) (uint64, bool) {
	a.mu.RLock()
	v, ok := a.m[k]
	a.mu.RUnlock()
	return v, ok
}
func (a *rwMap[K]) Set(k K, v uint64) {
	a.mu.Lock()
	a.m[k] = v
	a.mu.Unlock()
}
func (a *rwMap[K]) Close() {}
