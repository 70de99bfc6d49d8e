package core

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/hotcache/hotcache/internal/testhook"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const is64bit = unsafe.Sizeof(uintptr(0)) == 8

// TestCacheStress runs mixed operations from many goroutines over a small
// key space (so shards fill, evict, grow and shrink their tables), then
// walks every shard and its policy for inconsistencies.
func TestCacheStress(t *testing.T) {
	for _, p := range []evict.Policy{evict.SIEVE, evict.CLOCK} {
		for _, hash := range []func(int) uint64{nil, func(int) uint64 { return 7 }} {
			admission := hash == nil
			t.Run(fmt.Sprintf("%v/constantHash=%v/admission=%v", p, hash != nil, admission), func(t *testing.T) {
				clk := clock.NewManual(epoch)
				c := Must(Options[int, int]{Capacity: 256, Shards: 4, Policy: p, Clock: clk, Hash: hash, NoAdmission: !admission})
				defer c.Close()
				const workers = 8
				n := 20_000
				if hash != nil {
					n = 3000 // every operation walks one long chain
				}
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := rand.New(rand.NewPCG(uint64(w), 1))
						for i := range n {
							k := r.IntN(1000)
							switch r.IntN(16) {
							case 0, 1, 2, 3, 4, 5:
								if v, ok := c.Get(k); ok && v%1000 != k {
									t.Errorf("Get(%d) = %d: another key's value", k, v)
									return
								}
							case 6, 7, 8:
								c.Set(k, k+1000*i)
							case 9:
								c.SetTTL(k, k, time.Duration(r.IntN(3))*time.Second)
							case 10:
								c.SetIfAbsent(k, k)
							case 11:
								c.Delete(k)
							case 12:
								c.Peek(k)
							case 13:
								if i%500 == 0 {
									c.DeleteFunc(func(k, _ int) bool { return k%97 == 0 })
								}
							case 14:
								if w == 0 && i%100 == 0 {
									clk.Advance(time.Second) // runs the sweep
								}
							case 15:
								if i%1000 == 0 {
									for range c.All() {
									}
									if w == 1 && i%5000 == 0 {
										c.Clear()
									}
								}
							}
						}
					}()
				}
				wg.Wait()
				require.NoError(t, c.e.check())
				assert.LessOrEqual(t, c.Len(), 256)
			})
		}
	}
}

// TestCacheGet_NeverReturnsStaleAfterSet: a Set is visible to every Get that
// starts after it returns, from any goroutine.
func TestCacheGet_NeverReturnsStaleAfterSet(t *testing.T) {
	c := Must(Options[int, int]{Capacity: 1 << 12})
	defer c.Close()
	const readers = 4
	var latest [64]int64 // latest[k]: value whose Set has returned (atomically published below)
	var mu sync.RWMutex
	stop := readUntilStopped(readers, func() bool {
		k := rand.IntN(64)
		mu.RLock()
		min := latest[k]
		mu.RUnlock()
		v, ok := c.Get(k)
		if min > 0 && (!ok || int64(v) < min) {
			t.Errorf("Get(%d) = %d, %v after Set of %d returned", k, v, ok, min)
			return false
		}
		return true
	})
	for i := 1; i <= 50_000; i++ {
		k := i % 64
		c.Set(k, i)
		mu.Lock()
		latest[k] = int64(i)
		mu.Unlock()
	}
	stop()
}

// readUntilStopped runs read in n goroutines, each until read returns false
// or the returned stop is called; stop waits for them.
func readUntilStopped(n int, read func() bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if !read() {
					return
				}
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

func TestCacheGet_ZeroAllocs(t *testing.T) {
	strs := Must(Options[string, string]{Capacity: 100, TTL: time.Hour})
	defer strs.Close()
	strs.Set("k", "v")
	ints := Must(Options[uint64, uint64]{Capacity: 100})
	defer ints.Close()
	ints.Set(1, 1)
	digests := Must(Options[[32]byte, int]{Capacity: 100})
	defer digests.Close()
	digests.Set([32]byte{1}, 1)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { strs.Get("k") }), "string hit")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { strs.Get("missing") }), "string miss")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { ints.Get(1) }), "uint64 hit")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { digests.Get([32]byte{1}) }), "[32]byte hit")
	assert.Zero(t, testing.AllocsPerRun(1000, func() { ints.Delete(2) }), "Delete of an absent key")
}

// TestCacheMemory_FollowsLiveEntries: capacity is a bound, not an
// allocation.
func TestCacheMemory_FollowsLiveEntries(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := Must(Options[string, []byte]{Capacity: 10_000_000})
	runtime.ReadMemStats(&after)
	// Everything New allocated, retained or not: an upper bound.
	used := int64(after.TotalAlloc) - int64(before.TotalAlloc)
	t.Logf("empty cache with Capacity 10,000,000: %d bytes allocated", used)
	assert.Less(t, used, int64(1<<20))
	runtime.KeepAlive(c)
	c.Close()
}

// TestCacheSweep_IdleMemoryGoesDown: once entries expire, the maintenance
// sweep (run by the manual clock) reclaims them and shrinks the index,
// without any read or write.
func TestCacheSweep_IdleMemoryGoesDown(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := Must(Options[int, int]{Capacity: 100_000, Shards: 4, TTL: time.Minute, Clock: clk})
	defer c.Close()
	for i := range 50_000 {
		c.Set(i, i)
	}
	c.SetTTL(-1, -1, 0) // one entry that never expires
	buckets := func() (n int) {
		for i := range c.e.shards {
			n += len(c.e.shards[i].table.Load().buckets)
		}
		return n
	}
	full := buckets()
	for range 20 {
		clk.Advance(time.Minute) // each Advance is one maintenance pass
		if c.Len() == 1 {
			break
		}
	}
	assert.Equal(t, 1, c.Len(), "every expired entry reclaimed by the bounded sweep")
	assert.Less(t, buckets(), full/100, "index shrank with the entries")
	assert.Equal(t, uint64(50_000), c.Stats().Evictions[evict.Expired])
	require.NoError(t, c.e.check())
}

// TestCacheClose_StopsBackgroundWork: the clock's goroutine runs while a
// cache uses it and exits when the last one is closed or collected.
func TestCacheClose_StopsBackgroundWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewCoarse(time.Millisecond)
		a := Must(Options[string, int]{Capacity: 10, Clock: clk})
		b := Must(Options[string, int]{Capacity: 10, Clock: clk})
		require.True(t, testhook.CoarseRunning(clk))
		require.NoError(t, a.Close())
		require.NoError(t, a.Close())
		require.True(t, testhook.CoarseRunning(clk), "b still uses the clock")
		b.Close()
		require.False(t, testhook.CoarseRunning(clk))
		// The goroutine exits at once: synctest.Test fails with a deadlock
		// if any bubble goroutine is still blocked when it returns.
	})
}

func TestCacheCleanup_ReleasesClockWhenCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewCoarse(time.Millisecond)
		func() {
			c := Must(Options[string, int]{Capacity: 10, Clock: clk})
			c.Set("a", 1)
		}()
		for i := 0; testhook.CoarseRunning(clk) && i < 1000; i++ {
			runtime.GC()
			runtime.Gosched() // the cleanup runs on a runtime goroutine
			time.Sleep(time.Millisecond)
		}
		require.False(t, testhook.CoarseRunning(clk), "a forgotten cache releases its clock when collected")
		time.Sleep(clk.Resolution())
	})
}

// TestCacheExpiry_CoarseClockBound: with a coarse clock the entry is never
// served more than one resolution after its deadline.
func TestCacheExpiry_CoarseClockBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := 10 * time.Millisecond
		clk := clock.NewCoarse(res)
		c := Must(Options[string, int]{Capacity: 10, Clock: clk, TTL: 100 * time.Millisecond})
		defer c.Close()
		set := time.Now()
		c.Set("k", 1)
		for {
			if _, ok := c.Get("k"); !ok {
				break
			}
			require.LessOrEqual(t, time.Since(set), 100*time.Millisecond+res, "served past deadline + resolution")
			time.Sleep(time.Millisecond) // fake time inside the bubble
		}
		assert.GreaterOrEqual(t, time.Since(set), 100*time.Millisecond-res, "expired too early")
	})
}

func TestCacheOptions_DefaultShards(t *testing.T) {
	c := Must(Options[string, int]{Capacity: 1})
	assert.Len(t, c.e.shards, 1)
	c.Close()
	c = Must(Options[string, int]{Capacity: 1 << 20})
	assert.GreaterOrEqual(t, len(c.e.shards), runtime.GOMAXPROCS(0))
	c.Close()
	// Small caches get fewer shards, each of at least minShardCapacity.
	for _, n := range []int{100, 255, 256, 372, 521, 616, 1000, 1415, 4000} {
		c = Must(Options[string, int]{Capacity: n})
		if len(c.e.shards) > 1 {
			assert.GreaterOrEqual(t, n/len(c.e.shards), minShardCapacity, "capacity %d: %d shards", n, len(c.e.shards))
		}
		if n >= 2*minShardCapacity {
			assert.Greater(t, len(c.e.shards), 1, "capacity %d", n)
		}
		c.Close()
	}
	assert.Panics(t, func() { Must(Options[string, int]{}) })
}

// TestDefaultHash_Kinds: named, sized and array key types get the fast
// hashes, and distinct keys spread over shards.
func TestDefaultHash_Kinds(t *testing.T) {
	type myString string
	type myInt16 int16
	s := MakeSeed()
	assert.Equal(t, HashString(s, "abc"), DefaultHash[myString]()(s, "abc"))
	assert.Equal(t, HashUint64(s, uint64(uint16(7))), DefaultHash[myInt16]()(s, 7))
	assert.Equal(t, HashBytes(s, []byte{1, 2, 3}), DefaultHash[[3]byte]()(s, [3]byte{1, 2, 3}))
	seen := map[uint64]bool{}
	h := DefaultHash[struct{ A, B int }]()
	for i := range 1000 {
		seen[h(s, struct{ A, B int }{i, -i})>>56] = true
		require.Equal(t, h(s, struct{ A, B int }{i, -i}), h(s, struct{ A, B int }{i, -i}))
	}
	assert.Greater(t, len(seen), 200, "top byte spread")
	_ = strconv.Itoa
}

// TestNodeSize pins the per-entry node size for 8-byte keys and values: 48
// bytes, one Go size class; the stored hash bits live in padding.
func TestNodeSize(t *testing.T) {
	if !is64bit {
		t.Skip("sizes are for 64-bit platforms")
	}
	assert.Equal(t, uintptr(48), unsafe.Sizeof(node[uint64, uint64]{}))
	assert.Equal(t, uintptr(64), unsafe.Sizeof(bucket[uint64, uint64]{}), "a bucket is one cache line")
}

func TestValueModeOf(t *testing.T) {
	type pair struct{ A, B int32 }
	type token struct{ s string }
	word := valueNode // 64-bit atomics need 8-byte alignment, not guaranteed on 32-bit platforms
	if is64bit {
		word = valueWord64
	}
	assert.Equal(t, word, valueModeOf[uint64]())
	assert.Equal(t, word, valueModeOf[float64]())
	assert.Equal(t, valueWord32, valueModeOf[int32]())
	assert.Equal(t, valueNode, valueModeOf[pair](), "8 bytes but only 4-aligned")
	assert.Equal(t, valuePtr, valueModeOf[*token]())
	assert.Equal(t, valuePtr, valueModeOf[map[string]int]())
	assert.Equal(t, valuePtr, valueModeOf[func()]())
	assert.Equal(t, valueNode, valueModeOf[string]())
	assert.Equal(t, valueNode, valueModeOf[bool](), "no 8-bit atomics")
	assert.Equal(t, valueNode, valueModeOf[any]())
	assert.Equal(t, valueNode, valueModeOf[[]byte]())
	assert.Equal(t, valueNode, valueModeOf[struct{ p *int }](), "pointers need a pointer store")
}

// TestCacheSet_ExistingAllocs: updating a live entry allocates nothing for
// word-sized and pointer values; other values take one new node.
func TestCacheSet_ExistingAllocs(t *testing.T) {
	words := Must(Options[uint64, uint64]{Capacity: 100, TTL: time.Hour})
	defer words.Close()
	words.Set(1, 1)
	type token struct{ s string }
	ptrs := Must(Options[string, *token]{Capacity: 100})
	defer ptrs.Close()
	tok := &token{"x"}
	ptrs.Set("k", tok)
	strs := Must(Options[string, string]{Capacity: 100})
	defer strs.Close()
	strs.Set("k", "v")
	var i uint64
	wordAllocs := testing.AllocsPerRun(1000, func() { i++; words.Set(1, i) })
	if is64bit {
		assert.Zero(t, wordAllocs, "uint64")
	}
	assert.Zero(t, testing.AllocsPerRun(1000, func() { ptrs.Set("k", tok) }), "pointer")
	assert.Equal(t, 1.0, testing.AllocsPerRun(1000, func() { strs.Set("k", "w") }), "string: a new node")
	v, _ := words.Get(1)
	assert.Equal(t, i, v)
}

// TestCacheSet_InPlaceRace: readers of a key updated in place always see a
// value some writer stored, never a torn one, and after the writers stop,
// the last one.
func TestCacheSet_InPlaceRace(t *testing.T) {
	c := Must(Options[int, uint64]{Capacity: 16})
	defer c.Close()
	c.Set(0, 0)
	stop := readUntilStopped(2, func() bool {
		v, ok := c.Get(0)
		if !ok || v>>32 != v&0xffffffff {
			t.Errorf("torn or missing value %#x, %v", v, ok)
			return false
		}
		return true
	})
	for i := range uint64(100_000) {
		c.SetTTL(0, i<<32|i, time.Duration(i%2)*time.Hour)
	}
	stop()
	v, _ := c.Get(0)
	assert.Equal(t, uint64(99_999)<<32|99_999, v)
}

// TestCacheDeleteFunc_SparesRewrittenEntries: an entry updated in place after
// the predicate judged it is not deleted on the strength of its old value.
func TestCacheDeleteFunc_SparesRewrittenEntries(t *testing.T) {
	c := Must(Options[string, uint64]{Capacity: 10})
	defer c.Close()
	c.Set("a", 1)
	n := c.DeleteFunc(func(k string, v uint64) bool {
		c.Set("a", 2) // rewritten while DeleteFunc runs
		return v == 1
	})
	assert.Equal(t, 0, n)
	v, ok := c.Get("a")
	assert.True(t, ok)
	assert.Equal(t, uint64(2), v)
}
