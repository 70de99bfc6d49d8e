package core

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/evictq"
)

// TestInsert_AtMostOneAllocation: an insert into a full cache allocates
// its node and nothing else, over many keys and with uint64 and string
// keys, once the cache has turned over a few times (issue 22: the insert
// that found its chain full allocated an overflow bucket, 1.003 allocations
// per insert). Counted as a fraction over all inserts (testing.AllocsPerRun
// truncates 1.003 to 1), the least of three tries, as allocations by other
// goroutines only add.
func TestInsert_AtMostOneAllocation(t *testing.T) {
	const capacity, inserts = 20_000, 50_000
	keys := make([]uint64, 6*capacity+5*inserts)
	for i := range keys {
		keys[i] = uint64(i)*0x9e3779b97f4a7c15 + 1
	}
	t.Run("uint64", func(t *testing.T) { insertAllocs(t, keys, capacity, inserts) })
	strs := make([]string, len(keys))
	for i, k := range keys {
		strs[i] = "user:" + strconv.FormatUint(k, 16)
	}
	t.Run("string", func(t *testing.T) { insertAllocs(t, strs, capacity, inserts) })
}

func insertAllocs[K comparable](t *testing.T, keys []K, capacity, inserts int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c := Must(Options[K, int]{Capacity: capacity})
	defer c.Close()
	next := 0
	set := func() { c.Set(keys[next], next); next++ }
	for range 6 * capacity { // fill, then turn over five times
		set()
	}
	require.Equal(t, capacity, c.Len(), "the cache is full")
	best := uint64(1 << 62)
	var m runtime.MemStats
	for range 3 {
		runtime.ReadMemStats(&m)
		before := m.Mallocs
		for range inserts {
			set()
		}
		runtime.ReadMemStats(&m)
		best = min(best, m.Mallocs-before)
	}
	assert.LessOrEqual(t, best, uint64(inserts), "allocations over %d inserts into a full cache (%.4f per insert)", inserts, float64(best)/float64(inserts))
	assert.LessOrEqual(t, testing.AllocsPerRun(inserts, set), 1.0, "testing.AllocsPerRun")
	require.NoError(t, c.e.check())
}

// chainTest is a table the tests below drive directly: nb chains, keys
// whose hash is their chain in the low bits and a tag from the key.
type chainTest struct {
	t     *table[uint64, uint64]
	nodes map[uint64]*node[uint64, uint64]
}

func chainHash(k uint64, nb int) uint64 { return k%uint64(nb) | k<<24 }

func (ct *chainTest) insert(k uint64) {
	n := evictq.NewNode(entry[uint64, uint64]{key: k, val: k}, 0, chainHash(k, len(ct.t.buckets)))
	ct.t.insert(chainHash(k, len(ct.t.buckets)), n)
	ct.nodes[k] = n
}

func (ct *chainTest) remove(k uint64) {
	if !ct.t.remove(chainHash(k, len(ct.t.buckets)), ct.nodes[k]) {
		panic(fmt.Sprintf("key %d not in the table", k))
	}
	delete(ct.nodes, k)
}

// checkChains verifies the overflow buckets of t: each bucket of chain bi
// after the first is owned by bi and holds only nodes of bi, no bucket is
// in two chains or in a chain and a free list, every free bucket is empty,
// the last bucket of a chain is its first or holds a node; it returns the
// overflow buckets in chains and in free lists.
func checkChains(t *table[uint64, uint64]) (used, free int, err error) {
	seen := map[*bucket[uint64, uint64]]bool{}
	for bi := range t.buckets {
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			if seen[b] {
				return 0, 0, fmt.Errorf("chain %d: a bucket seen twice", bi)
			}
			seen[b] = true
			m := b.meta.Load()
			if b != &t.buckets[bi] {
				used++
				if m&ownerMask != ownerOf(uint64(bi)) {
					return 0, 0, fmt.Errorf("chain %d: owner %#x", bi, m&ownerMask)
				}
				if b.next.Load() == nil && m&tagMask == 0 {
					return 0, 0, fmt.Errorf("chain %d: ends in an empty overflow bucket", bi)
				}
			}
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil && n.Hash()&t.mask != uint64(bi) {
					return 0, 0, fmt.Errorf("chain %d: holds a node of chain %d", bi, n.Hash()&t.mask)
				}
			}
		}
	}
	for g, b := range t.free {
		for ; b != nil; b = b.next.Load() {
			if seen[b] {
				return 0, 0, fmt.Errorf("group %d: a free bucket is in a chain or twice in free lists", g)
			}
			seen[b] = true
			free++
			if b.meta.Load()&tagMask != 0 {
				return 0, 0, fmt.Errorf("group %d: a free bucket holds a node", g)
			}
		}
	}
	return used, free, nil
}

// TestTable_OverflowBucketsAreReused: a table whose chains keep changing
// length while its entry count stays put allocates overflow buckets up to
// its peak, and then reuses them (before, each chain kept the buckets of
// its longest length ever: a 1M-entry cache went from 1.5 B of overflow
// per entry when filled to 6.1 B two turnovers later, and on); removals
// leave no empty bucket at the end of a chain, and the invariants of
// checkChains hold throughout.
func TestTable_OverflowBucketsAreReused(t *testing.T) {
	const nb, entries = 256, 256 * 9 / 2 // the maximum load: chains of 4.5 on average
	ct := &chainTest{t: newTable[uint64, uint64](nb), nodes: map[uint64]*node[uint64, uint64]{}}
	rng := rand.New(rand.NewPCG(1, 2))
	live := make([]uint64, 0, entries)
	next := uint64(0)
	for range entries {
		ct.insert(next)
		live = append(live, next)
		next++
	}
	turn := func() (total int) {
		for range entries {
			i := rng.IntN(len(live))
			ct.remove(live[i])
			ct.insert(next)
			live[i] = next
			next++
		}
		used, free, err := checkChains(ct.t)
		require.NoError(t, err)
		return used + free
	}
	for range 5 {
		turn()
	}
	after5 := turn()
	for range 20 {
		turn()
	}
	after26 := turn()
	// The peak of a varying total still creeps up, but slowly (75 to 77
	// buckets here; without the free lists, 187 to 255).
	assert.LessOrEqual(t, after26, after5+after5/10+2*chunkOf(nb), "overflow buckets after 5 turnovers: %d; after 26: %d", after5, after26)
	for _, k := range live {
		assert.NotNil(t, ct.t.find(chainHash(k, nb), k), "key %d", k)
	}
	for _, k := range live {
		ct.remove(k)
	}
	used, free, err := checkChains(ct.t)
	require.NoError(t, err)
	assert.Zero(t, used, "an empty table has no overflow bucket in a chain")
	assert.Equal(t, after26, free, "every overflow bucket is free")
}

// TestTable_WalkersWhileBucketsMove: while a writer (holding the lock, as
// a shard's writers do) removes and inserts keys so that overflow buckets
// keep moving between chains, lock-free readers always find the keys that
// stay in the table, and lock-free walks of every chain (eachInChain, as
// All and DeleteFunc walk them, and appendChain) see each of those keys,
// and no node twice.
func TestTable_WalkersWhileBucketsMove(t *testing.T) {
	const nb = 16
	ct := &chainTest{t: newTable[uint64, uint64](nb), nodes: map[uint64]*node[uint64, uint64]{}}
	// Each chain: 6 keys that come and go (its first bucket), 6 that stay
	// (its second), then keys that come and go (its later buckets, which
	// move between chains as they empty and fill).
	var stay, churn []uint64
	next := uint64(0)
	add := func(list *[]uint64) {
		for range nb {
			ct.insert(next)
			*list = append(*list, next)
			next++
		}
	}
	for range slotsPerBucket {
		add(&churn)
	}
	for range slotsPerBucket {
		add(&stay)
	}
	for range 2 * slotsPerBucket {
		add(&churn)
	}
	var mu sync.Mutex
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 4))
		for i := 0; i < 200_000 && !stop.Load(); i++ {
			mu.Lock()
			j := rng.IntN(len(churn))
			ct.remove(churn[j])
			// A new key in a random chain: chains grow and shrink, and
			// their buckets move.
			k := next + uint64(rng.IntN(nb))
			next += nb
			ct.insert(k)
			churn[j] = k
			mu.Unlock()
		}
		stop.Store(true)
	}()
	stayed := map[uint64]bool{}
	for _, k := range stay {
		stayed[k] = true
	}
	errs := make(chan error, 3)
	walker := func(collect func(bi int, seen map[*node[uint64, uint64]]bool) error) {
		defer wg.Done()
		for !stop.Load() {
			seen := map[*node[uint64, uint64]]bool{}
			found := 0
			for bi := range nb {
				if err := collect(bi, seen); err != nil {
					errs <- err
					stop.Store(true)
					return
				}
			}
			for n := range seen {
				if stayed[n.Item.key] {
					found++
				}
			}
			if found != len(stay) {
				errs <- fmt.Errorf("a walk saw %d of the %d keys that stay", found, len(stay))
				stop.Store(true)
				return
			}
		}
	}
	wg.Add(3)
	go walker(func(bi int, seen map[*node[uint64, uint64]]bool) (err error) {
		ct.t.eachInChain(bi, func(n *node[uint64, uint64]) {
			if seen[n] && err == nil {
				err = fmt.Errorf("eachInChain: key %d seen twice", n.Item.key)
			}
			seen[n] = true
		})
		return err
	})
	go walker(func(bi int, seen map[*node[uint64, uint64]]bool) error {
		var buf []*node[uint64, uint64]
		for _, n := range ct.t.appendChain(buf, bi) {
			if seen[n] {
				return fmt.Errorf("appendChain: key %d seen twice", n.Item.key)
			}
			seen[n] = true
		}
		return nil
	})
	go func() { // the reader
		defer wg.Done()
		for !stop.Load() {
			for _, k := range stay {
				if ct.t.find(chainHash(k, nb), k) == nil {
					errs <- fmt.Errorf("find missed key %d, which stays", k)
					stop.Store(true)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, _, err := checkChains(ct.t)
	require.NoError(t, err)
}
