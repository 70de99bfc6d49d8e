package conformance

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// The tests of the operations for running caches: bounds changed by a
// configuration reload (SetCapacity, SetMaxWeight), the policy's order
// (Hottest, Coldest), warm restarts (SaveTo, LoadFrom) and the sliding
// lifetime (Options.ExpireAfterAccess).

// reasons records OnEvict's calls.
type reasons[K comparable] struct {
	mu   sync.Mutex
	keys []K
	by   map[evict.Reason]int
}

func (r *reasons[K]) add(k K, why evict.Reason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.by == nil {
		r.by = map[evict.Reason]int{}
	}
	r.keys = append(r.keys, k)
	r.by[why]++
}

func (r *reasons[K]) count(why evict.Reason) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.by[why]
}

// setCapacity: bad input changes nothing; shrinking evicts down to the new
// bound before returning, for capacity, keeping the entries the policy
// keeps; growing takes effect at once; a shrink while writers run leaves
// the bound holding once they stop.
func (s Suite[K, V]) setCapacity(t *testing.T) {
	var ev reasons[K]
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Shards: 1, NoAdmission: true,
		OnEvict: func(k K, _ V, r evict.Reason) { ev.add(k, r) }})
	for i := range 100 {
		c.Set(s.Key(i), s.Val(i))
	}
	for _, n := range []int{-1, 0} {
		err := c.SetCapacity(n)
		require.Error(t, err)
		assert.Contains(t, err.Error(), fmt.Sprintf("SetCapacity(%d): capacity must be > 0", n))
	}
	require.Equal(t, 100, c.Len(), "a rejected SetCapacity evicts nothing")
	for i := range 10 {
		c.Get(s.Key(i * 10)) // used: SIEVE keeps them through one pass
	}
	require.NoError(t, c.SetCapacity(40))
	assert.Equal(t, 40, c.Len(), "shrinking evicts down to the new bound before it returns")
	assert.Equal(t, 60, ev.count(evict.Capacity), "evicted for capacity")
	for i := range 10 {
		_, ok := c.Peek(s.Key(i * 10))
		assert.True(t, ok, "key %d was used and survives the shrink", i*10)
	}
	c.Set(s.Key(1000), s.Val(1000))
	assert.Equal(t, 40, c.Len(), "a write into the shrunk cache evicts one")

	require.NoError(t, c.SetCapacity(200))
	before := ev.count(evict.Capacity)
	for i := range 160 {
		c.Set(s.Key(2000+i), s.Val(i))
	}
	assert.Equal(t, 200, c.Len(), "growing takes effect at once")
	assert.Equal(t, before, ev.count(evict.Capacity), "nothing evicted while the cache grows into its new bound")

	w := s.build(t, shard.Options[K, V]{MaxWeight: 10, Weigher: func(K, V) uint32 { return 1 }})
	w.Set(s.Key(1), s.Val(1))
	err := w.SetCapacity(5)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "built without Capacity")
	_, ok := w.Get(s.Key(1))
	assert.True(t, ok, "a rejected SetCapacity loses nothing")

	// Writers and readers run while the cache shrinks and grows.
	for _, shards := range []int{1, 4} {
		c := s.build(t, shard.Options[K, V]{Capacity: 400, Shards: shards})
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := s.Key(g*100000 + i%1000)
					c.Set(k, s.Val(i))
					c.Get(k)
				}
			}()
		}
		for _, n := range []int{300, 50, 10, 200, 20} {
			require.NoError(t, c.SetCapacity(n))
		}
		close(stop)
		wg.Wait()
		assert.LessOrEqual(t, c.Len(), 20, "shards=%d: the last bound holds once writes stop", shards)
		for i := range 100 {
			c.Set(s.Key(900000+i), s.Val(i))
		}
		assert.Equal(t, 20, c.Len(), "shards=%d", shards)
	}
}

// setMaxWeight: like setCapacity, for the total weight.
func (s Suite[K, V]) setMaxWeight(t *testing.T) {
	var ev reasons[K]
	c := s.build(t, shard.Options[K, V]{MaxWeight: 100, Weigher: func(K, V) uint32 { return 2 },
		OnEvict: func(k K, _ V, r evict.Reason) { ev.add(k, r) }})
	for i := range 50 {
		c.Set(s.Key(i), s.Val(i))
	}
	require.Equal(t, uint64(100), c.Stats().Weight)
	err := c.SetMaxWeight(0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SetMaxWeight(0): MaxWeight must be > 0")
	require.NoError(t, c.SetMaxWeight(41))
	assert.Equal(t, uint64(40), c.Stats().Weight, "shrinking evicts down to the new bound")
	assert.Equal(t, 20, c.Len())
	assert.Equal(t, 30, ev.count(evict.Capacity))
	require.NoError(t, c.SetMaxWeight(1000))
	for i := range 100 {
		c.Set(s.Key(100+i), s.Val(i))
	}
	assert.Equal(t, 120, c.Len(), "growing takes effect at once")

	n := s.build(t, shard.Options[K, V]{Capacity: 10})
	n.Set(s.Key(1), s.Val(1))
	err = n.SetMaxWeight(100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SetMaxWeight(100): the cache has no Weigher")
	_, ok := n.Get(s.Key(1))
	assert.True(t, ok, "a rejected SetMaxWeight loses nothing")
}

// collect returns the keys of seq, failing on a key yielded twice.
func collect[K comparable, V any](t *testing.T, seq func(func(K, V) bool)) []K {
	t.Helper()
	var keys []K
	seen := map[K]bool{}
	for k := range seq {
		require.False(t, seen[k], "key %v yielded twice", k)
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}

// hottestColdest: in one shard without admission the order is exactly the
// policy's: Coldest's first key is the one the next write of a new key
// evicts, used entries come after unused ones, expired entries are never
// yielded, and Hottest is the reverse. With several shards both yield the
// live entries, each once.
func (s Suite[K, V]) hottestColdest(t *testing.T) {
	for _, p := range []evict.Policy{evict.SIEVE, evict.CLOCK} {
		t.Run(p.String(), func(t *testing.T) {
			clk := clock.NewManual(epoch)
			var ev reasons[K]
			c := s.build(t, shard.Options[K, V]{Capacity: 10, Shards: 1, NoAdmission: true, Policy: p, Clock: clk,
				OnEvict: func(k K, _ V, r evict.Reason) { ev.add(k, r) }})
			for i := range 10 {
				c.Set(s.Key(i), s.Val(i))
			}
			c.SetTTL(s.Key(3), s.Val(3), time.Second)
			for _, i := range []int{2, 5, 7} {
				c.Get(s.Key(i))
			}
			c.Peek(s.Key(9)) // not a use
			clk.Set(clk.Time().Add(2 * time.Second))
			keys := func(is ...int) []K {
				var ks []K
				for _, i := range is {
					ks = append(ks, s.Key(i))
				}
				return ks
			}
			assert.Equal(t, keys(0, 1, 4, 6, 8, 9, 2, 5, 7), collect(t, c.Coldest()), "unused oldest first, then used; the expired key 3 never")
			assert.Equal(t, keys(7, 5, 2, 9, 8, 6, 4, 1, 0), collect(t, c.Hottest()))
			for k, v := range c.Coldest() {
				got, _ := c.Peek(k)
				assert.Equal(t, got, v, "Coldest yields the entry's value")
			}
			// Coldest's first key is the next victim, write after write.
			c.Set(s.Key(99), s.Val(99)) // full again: key 3 was reclaimed
			for i := range 25 {
				if i%3 == 0 {
					c.Get(s.Key(100 + i - 1))
				}
				first := collect(t, c.Coldest())[0]
				before := len(ev.keys)
				c.Set(s.Key(100+i), s.Val(i))
				require.Greater(t, len(ev.keys), before, "write %d evicts", i)
				require.Equal(t, first, ev.keys[len(ev.keys)-1], "write %d evicts Coldest's first key", i)
			}
			n := 0
			for range c.Hottest() {
				n++
				if n == 2 {
					break // stopping early must not panic
				}
			}
			assert.Equal(t, 2, n)
		})
	}
	c := s.build(t, shard.Options[K, V]{Capacity: 1000, Shards: 4})
	for i := range 700 {
		c.Set(s.Key(i), s.Val(i))
		if i%3 == 0 {
			c.Get(s.Key(i))
		}
	}
	all := collect(t, c.All())
	assert.ElementsMatch(t, all, collect(t, c.Coldest()), "Coldest yields every live entry once")
	hot := collect(t, c.Hottest())
	assert.ElementsMatch(t, all, hot, "Hottest yields every live entry once")
	cold := collect(t, c.Coldest())
	slices.Reverse(cold)
	assert.Equal(t, cold, hot, "Hottest is Coldest reversed")

	// Writers run during the walks: each key at most once, never a dead one.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.Set(s.Key(i%1500), s.Val(i))
			c.Delete(s.Key((i + 700) % 1500))
		}
	}()
	for range 20 {
		collect(t, c.Coldest())
		collect(t, c.Hottest())
	}
	close(stop)
	wg.Wait()
}

// snapshotHeader mirrors the header of a snapshot (see core/snapshot.go),
// to forge snapshots of other versions.
type snapshotHeader struct {
	Magic   string
	Version int
	Key     string
	Value   string
	Saved   int64
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// saveLoad: a snapshot round-trips values and remaining lifetimes, skips
// what expired between Save and Load, keeps what the loading cache holds;
// a truncated, foreign or other-version snapshot is an error wrapping
// shard.ErrSnapshot that leaves the loading cache as it was.
func (s Suite[K, V]) saveLoad(t *testing.T) {
	clk := clock.NewManual(epoch)
	src := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk})
	src.SetTTL(s.Key(0), s.Val(0), 10*time.Second)
	src.SetTTL(s.Key(1), s.Val(1), time.Minute)
	for i := 2; i < 20; i++ {
		src.Set(s.Key(i), s.Val(i))
	}
	src.SetTTL(s.Key(20), s.Val(20), time.Second)
	clk.Advance(2 * time.Second) // key 20 expires before the save
	var buf bytes.Buffer
	require.NoError(t, src.SaveTo(&buf))
	snap := buf.Bytes()

	dstClk := clock.NewManual(epoch.Add(2*time.Second + 30*time.Second)) // restarted 30 s later
	dst := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: dstClk})
	dst.Set(s.Key(5), s.Val(500)) // the loading cache's own value wins
	n, err := dst.LoadFrom(bytes.NewReader(snap))
	require.NoError(t, err)
	assert.Equal(t, 18, n, "keys 1..19 but 5: key 0 expired meanwhile, 20 before the save, 5 is held")
	_, ok := dst.Get(s.Key(0))
	assert.False(t, ok, "an entry that expired between Save and Load is skipped")
	_, ok = dst.Get(s.Key(20))
	assert.False(t, ok)
	v, exp, ok := dst.GetWithExpiry(s.Key(1))
	require.True(t, ok)
	assert.Equal(t, s.Val(1), v)
	assert.Equal(t, dstClk.Time().Add(time.Minute-2*time.Second-30*time.Second), exp, "the remaining lifetime, less the time since the save")
	v, exp, ok = dst.GetWithExpiry(s.Key(7))
	require.True(t, ok)
	assert.Equal(t, s.Val(7), v)
	assert.True(t, exp.IsZero(), "no expiry stays no expiry")
	v, _ = dst.Get(s.Key(5))
	assert.Equal(t, s.Val(500), v)

	// Truncated at every byte offset: an error, and nothing changes.
	small := s.build(t, shard.Options[K, V]{Capacity: 10, Clock: clk})
	for i := range 3 {
		small.Set(s.Key(i), s.Val(i))
	}
	buf.Reset()
	require.NoError(t, small.SaveTo(&buf))
	snap = buf.Bytes()
	victim := s.build(t, shard.Options[K, V]{Capacity: 2, Clock: clk})
	victim.Set(s.Key(50), s.Val(50))
	victim.Set(s.Key(51), s.Val(51))
	for cut := range len(snap) {
		n, err := victim.LoadFrom(bytes.NewReader(snap[:cut]))
		require.ErrorIs(t, err, shard.ErrSnapshot, "cut at %d of %d", cut, len(snap))
		require.Zero(t, n)
		require.Equal(t, 2, victim.Len(), "cut at %d: nothing stored, nothing evicted", cut)
	}
	_, err = victim.LoadFrom(bytes.NewReader(snap[:len(snap)-1]))
	assert.ErrorContains(t, err, "truncated")
	for _, i := range []int{50, 51} {
		v, ok := victim.Get(s.Key(i))
		require.True(t, ok)
		assert.Equal(t, s.Val(i), v)
	}

	// Another version, another format, other types.
	var h snapshotHeader
	require.NoError(t, gob.NewDecoder(bytes.NewReader(snap)).Decode(&h))
	h.Version = 99
	buf.Reset()
	require.NoError(t, gob.NewEncoder(&buf).Encode(&h))
	_, err = victim.LoadFrom(&buf)
	require.ErrorIs(t, err, shard.ErrSnapshot)
	assert.ErrorContains(t, err, "version 99")
	h.Version, h.Value = 1, "some/pkg.Other"
	buf.Reset()
	require.NoError(t, gob.NewEncoder(&buf).Encode(&h))
	_, err = victim.LoadFrom(&buf)
	require.ErrorIs(t, err, shard.ErrSnapshot)
	assert.ErrorContains(t, err, "some/pkg.Other")
	for name, input := range map[string][]byte{
		"text":        []byte("key=value\n"),
		"empty":       nil,
		"foreign gob": gobOf(t, struct{ Name string }{"x"}),
		"other magic": gobOf(t, snapshotHeader{Magic: "other", Version: 1}),
	} {
		_, err = victim.LoadFrom(bytes.NewReader(input))
		require.ErrorIs(t, err, shard.ErrSnapshot, name)
		assert.ErrorContains(t, err, "not a hotcache snapshot", name)
	}
	assert.Equal(t, 2, victim.Len())

	err = src.SaveTo(failingWriter{})
	require.Error(t, err)
	assert.ErrorContains(t, err, "disk full")

	// A snapshot warms a smaller cache with the hottest entries.
	hot := s.build(t, shard.Options[K, V]{Capacity: 20, Shards: 1, NoAdmission: true, Clock: clk})
	for i := range 20 {
		hot.Set(s.Key(i), s.Val(i))
	}
	for i := range 5 {
		hot.Get(s.Key(i))
	}
	buf.Reset()
	require.NoError(t, hot.SaveTo(&buf))
	cold := s.build(t, shard.Options[K, V]{Capacity: 5, Shards: 1, NoAdmission: true, Clock: clk})
	_, err = cold.LoadFrom(&buf)
	require.NoError(t, err)
	assert.ElementsMatch(t, []K{s.Key(0), s.Key(1), s.Key(2), s.Key(3), s.Key(4)}, collect(t, cold.All()),
		"the hottest entries are loaded last and kept")
}

func gobOf(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(v))
	return buf.Bytes()
}

// expireAfterAccess: an entry read within its sliding lifetime lives on,
// an idle one expires; the precision is the documented one (a read
// extends the deadline only once less than 7/8 of the lifetime is left);
// TTL caps it; Peek is not a use; a write renews it; bad options are
// errors.
func (s Suite[K, V]) expireAfterAccess(t *testing.T) {
	clk := clock.NewManual(epoch)
	c := s.build(t, shard.Options[K, V]{Capacity: 100, Clock: clk, ExpireAfterAccess: 8 * time.Second})
	k := s.Key(1)
	c.Set(k, s.Val(1))
	_, exp, _ := c.GetWithExpiry(k)
	assert.True(t, epoch.Add(8*time.Second).Equal(exp), "a write starts a whole lifetime: %v", exp)
	clk.Advance(500 * time.Millisecond)
	c.Get(k)
	_, exp, _ = c.GetWithExpiry(k)
	assert.True(t, epoch.Add(8*time.Second).Equal(exp), "more than 7/8 left: the read does not write the entry: %v", exp)
	clk.Advance(1500 * time.Millisecond) // 2 s since the write: 6 s left
	c.Get(k)
	_, exp, _ = c.GetWithExpiry(k)
	assert.Equal(t, clk.Time().Add(8*time.Second), exp, "less than 7/8 left: the read extends it")
	for range 10 { // read every 6 s: it lives on, well past 8 s after the write
		clk.Advance(6 * time.Second)
		_, ok := c.Get(k)
		require.True(t, ok)
	}
	clk.Advance(7 * time.Second)
	_, ok := c.Peek(k)
	require.True(t, ok)
	clk.Advance(time.Second)
	_, ok = c.Peek(k)
	assert.False(t, ok, "idle for ExpireAfterAccess: expired (Peek is not a use)")

	// The earlier deadline wins: TTL caps the sliding lifetime.
	c.SetTTL(s.Key(2), s.Val(2), 10*time.Second)
	for range 4 {
		clk.Advance(2 * time.Second)
		_, ok := c.Get(s.Key(2))
		require.True(t, ok)
	}
	_, exp, _ = c.GetWithExpiry(s.Key(2))
	assert.Equal(t, clk.Time().Add(2*time.Second), exp, "the sliding deadline never passes the TTL's")
	clk.Advance(2 * time.Second)
	_, ok = c.Get(s.Key(2))
	assert.False(t, ok, "read every 2 s, yet expired at its TTL")

	// A GetOrLoad hit is a use, and a write renews the lifetime.
	c.Set(s.Key(3), s.Val(3))
	clk.Advance(5 * time.Second)
	_, err := c.GetOrLoad(t.Context(), s.Key(3), func(ctx context.Context, k K) (V, error) { panic("a hit must not load") })
	require.NoError(t, err)
	clk.Advance(5 * time.Second)
	_, ok = c.Peek(s.Key(3))
	assert.True(t, ok, "extended by the GetOrLoad hit")
	c.Set(s.Key(3), s.Val(4))
	clk.Advance(7 * time.Second)
	_, ok = c.Peek(s.Key(3))
	assert.True(t, ok, "renewed by the write")

	for _, tc := range []struct {
		o    shard.Options[K, V]
		want string
	}{
		{shard.Options[K, V]{Capacity: 1, ExpireAfterAccess: -time.Second}, "shard: ExpireAfterAccess must be >= 0, got -1s"},
		{shard.Options[K, V]{Capacity: 1, TTL: time.Minute, ExpireAfterAccess: time.Second, RefreshAhead: 0.5}, "shard: ExpireAfterAccess and RefreshAhead exclude each other"},
	} {
		_, err := s.New(tc.o)
		assert.ErrorContains(t, err, tc.want)
	}
}
