package evictq_test

import (
	"container/heap"
	"container/list"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/evictq"
)

// lfu is an LFU with a history (it counts keys it does not hold, and admits
// a key only if it is at least as frequent as the least frequent cached
// one) that halves its counts every agePeriod × capacity uses, as TinyLFU
// does: the frequency reference of TestQueueAdmission_FollowsPhases, exact
// where the queue's sketch estimates, and told nothing about phases.
type lfu struct {
	cap   int
	uses  int
	count map[uint64]int
	pos   map[uint64]int // index in keys, for cached keys
	keys  []uint64       // a min-heap by count
}

func newLFU(capacity int) *lfu {
	return &lfu{cap: capacity, count: map[uint64]int{}, pos: map[uint64]int{}}
}

func (c *lfu) Len() int           { return len(c.keys) }
func (c *lfu) Less(i, j int) bool { return c.count[c.keys[i]] < c.count[c.keys[j]] }
func (c *lfu) Swap(i, j int) {
	c.keys[i], c.keys[j] = c.keys[j], c.keys[i]
	c.pos[c.keys[i]], c.pos[c.keys[j]] = i, j
}
func (c *lfu) Push(x any) { k := x.(uint64); c.pos[k] = len(c.keys); c.keys = append(c.keys, k) }
func (c *lfu) Pop() any {
	k := c.keys[len(c.keys)-1]
	c.keys = c.keys[:len(c.keys)-1]
	delete(c.pos, k)
	return k
}

// agePeriod is how many uses per cached entry the lfu counts between two
// halvings (TinyLFU's choice).
const agePeriod = 10

// age halves every count, forgetting keys not cached whose count reaches
// zero.
func (c *lfu) age() {
	for k, n := range c.count {
		if n /= 2; n == 0 {
			if _, cached := c.pos[k]; !cached {
				delete(c.count, k)
				continue
			}
		}
		c.count[k] = n
	}
	heap.Init(c)
}

func (c *lfu) access(k uint64) bool {
	if c.uses++; c.uses%(agePeriod*c.cap) == 0 {
		c.age()
	}
	c.count[k]++
	if i, ok := c.pos[k]; ok {
		heap.Fix(c, i)
		return true
	}
	if len(c.keys) >= c.cap {
		if c.count[c.keys[0]] > c.count[k] {
			return false // less frequent than everything cached: not admitted
		}
		heap.Pop(c)
	}
	heap.Push(c, k)
	return false
}

// phase is one part of a phase-shifting stream.
type phase struct {
	name string
	next func(i int) uint64
}

// phases returns the three kinds of phase, on disjoint keys, for a cache of
// 1000 entries: Zipf(1.1) over 50 000 keys (frequency wins), a moving
// working set where 30% of the requests are new keys and the rest re-use
// one of the 500 newest (recency wins: no key stays popular), and a loop
// over 2000 keys (LRU never hits; keeping any fixed 1000 hits half).
func phases(seed uint64) []phase {
	r := rand.New(rand.NewPCG(seed, 7))
	z := rand.NewZipf(r, 1.1, 1, 50_000-1)
	fresh := uint64(0)
	return []phase{
		{"frequency", func(int) uint64 { return 1<<40 + z.Uint64() }},
		{"recency", func(int) uint64 {
			if fresh < 500 || r.IntN(10) < 3 {
				fresh++
				return 2<<40 + fresh
			}
			return 2<<40 + fresh - uint64(r.IntN(500))
		}},
		{"loop", func(i int) uint64 { return 3<<40 + uint64(i%2000) }},
	}
}

// TestQueueAdmission_FollowsPhases drives SIEVE with the adaptive admission
// filter through a stream that shifts between frequency-, recency- and
// loop-dominated phases, twice, and checks that over the second half of
// every phase (the first half is the queue's to adapt in; the very first
// phase fills the cache) its hit ratio is within tolerance of the better of
// an exact LRU (recency) and an aging LFU (frequency), and well above the
// worse where the two differ. The policy before AdmitMargin and the scaled
// window step failed it in six of ten phases: 64.9-66.8% on recency phases
// (LRU 69.7-70.3%), 31.8-46.5% on loops (LFU 49.8%).
func TestQueueAdmission_FollowsPhases(t *testing.T) {
	const capacity, phaseLen = 1000, 40_000
	for _, seed := range []uint64{1, 2} {
		ph := phases(seed)
		s := newAdmSim(t, capacity)
		l := &lru{l: list.New(), m: map[uint64]*list.Element{}, cap: capacity}
		f := newLFU(capacity)
		for round := range 2 {
			for p, cur := range ph {
				var sh, lh, fh int
				for i := range phaseLen {
					k := cur.next(round*phaseLen + i)
					hs, hl, hf := s.access(k), l.access(k), f.access(k)
					if i < phaseLen/2 {
						continue // the queue adapts; the references need not
					}
					if hs {
						sh++
					}
					if hl {
						lh++
					}
					if hf {
						fh++
					}
				}
				pct := func(h int) float64 { return 100 * float64(h) / (phaseLen / 2) }
				hs, hl, hf := pct(sh), pct(lh), pct(fh)
				t.Logf("seed %d round %d %-9s: queue %5.1f%%  LRU %5.1f%%  LFU %5.1f%%  window %d", seed, round, cur.name, hs, hl, hf, s.window())
				if round == 0 && p == 0 {
					continue // the cache fills
				}
				best, worst := max(hl, hf), min(hl, hf)
				tol := tolerance
				if cur.name != "frequency" {
					tol = tightTolerance
				}
				assert.GreaterOrEqual(t, hs, best-tol, "seed %d round %d %s: queue %.1f%%, the better of LRU %.1f%% and LFU %.1f%%", seed, round, cur.name, hs, hl, hf)
				if best-worst > 2*tol {
					assert.Greater(t, hs, worst+tol, "seed %d round %d %s: queue %.1f%% follows the worse of LRU %.1f%% and LFU %.1f%%", seed, round, cur.name, hs, hl, hf)
				}
			}
		}
	}
}

// tolerance is how many points below the better reference a phase may end.
// The largest gap is the frequency phase that follows a loop: the loop's
// keys keep high counts in the sketch until it halves them, and while they
// hold the main queue the window grows to make up for it (70.2-70.8%
// against the LFU's 73.2-74.0%, with LRU at 68.8-69.7%). Recency and loop
// phases end within 0.5 points of the better reference (recency equal to
// LRU, loops 0.1-0.3 below the LFU) and are held to tightTolerance.
const (
	tolerance      = 4.0
	tightTolerance = 1.0
)

// TestQueueAdmission_SweepsKeepWhatLRUKeeps replays sweeps that go back
// and forth over more keys than the cache holds (the pattern of the LIRS
// traces backf and zigzag), where any fixed set of entries hits once per
// sweep and LRU, which keeps the keys the sweep turns back to, is optimal.
// The queue must stay within half a point of LRU for each of three hash
// seeds: the admission filter must not trade the entries it holds for
// keys that only look more frequent. With a one-use margin at these
// capacities (AdmitMargin rather than SmallMargin) it fell 0.6 to 1.4
// points short (3.2 to 3.3% at 37 entries, LRU 4.52%).
func TestQueueAdmission_SweepsKeepWhatLRUKeeps(t *testing.T) {
	for _, tc := range []struct{ keys, sweeps, capacity int }{{750, 12, 37}, {2000, 26, 100}} {
		var stream []uint64
		for s := range tc.sweeps {
			for i := range tc.keys {
				if s%2 == 0 {
					stream = append(stream, uint64(i))
				} else {
					stream = append(stream, uint64(tc.keys-1-i))
				}
			}
		}
		l := &lru{l: list.New(), m: map[uint64]*list.Element{}, cap: tc.capacity}
		lh := 0
		for _, k := range stream {
			if l.access(k) {
				lh++
			}
		}
		for seed := range uint64(3) {
			q := evictq.NewQueue[uint64](evictq.SIEVE)
			q.EnableAdmission(tc.capacity)
			m := map[uint64]*evictq.Node[uint64]{}
			qh := 0
			for _, k := range stream {
				if n, ok := m[k]; ok {
					n.Visit()
					qh++
					continue
				}
				if q.Len() >= tc.capacity {
					v, _ := q.Evict(0)
					delete(m, v.Item)
				}
				n := evictq.NewNode(k, 0, mix(k^seed<<32))
				q.Push(n)
				m[k] = n
			}
			require.NoError(t, q.Check())
			pct := func(h int) float64 { return 100 * float64(h) / float64(len(stream)) }
			t.Logf("%d keys, capacity %d, seed %d: queue %.2f%%, LRU %.2f%%", tc.keys, tc.capacity, seed, pct(qh), pct(lh))
			assert.GreaterOrEqual(t, pct(qh), pct(lh)-0.5, "%d keys, capacity %d, seed %d", tc.keys, tc.capacity, seed)
		}
	}
}
