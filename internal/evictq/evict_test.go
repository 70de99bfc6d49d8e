package evictq_test

import (
	"container/list"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/evictq"
)

// sim is a tiny single-threaded cache over a Queue, as a cache shard uses it.
type sim struct {
	q     *evictq.Queue[string]
	nodes map[string]*evictq.Node[string]
	cap   int
}

func newSim(p evictq.Policy, capacity int) *sim {
	return &sim{q: evictq.NewQueue[string](p), nodes: map[string]*evictq.Node[string]{}, cap: capacity}
}

// access requests key: a hit marks it visited; a miss evicts if full and
// inserts. It returns the evicted key, if any.
func (s *sim) access(key string) (hit bool, evicted string) {
	if n, ok := s.nodes[key]; ok {
		n.Visit()
		return true, ""
	}
	if s.q.Len() >= s.cap {
		v, r := s.q.Evict(0)
		if r != evictq.Capacity {
			panic(fmt.Sprintf("unexpected reason %d", r))
		}
		delete(s.nodes, v.Item)
		evicted = v.Item
	}
	n := evictq.NewNode(key, 0, 0)
	s.q.Push(n)
	s.nodes[key] = n
	return false, evicted
}

// order lists the queue from the newest (head) to the oldest (tail), with
// visited entries marked by '*' and the hand by '>'.
func (s *sim) order() string {
	var parts []string
	hand := s.q.Hand()
	if hand == nil {
		hand = s.q.Oldest()
	}
	for n := s.q.Oldest(); n != nil; n = s.q.Newer(n) {
		p := n.Item
		if n.Visited() {
			p += "*"
		}
		if n == hand {
			p = ">" + p
		}
		parts = append([]string{p}, parts...)
	}
	return strings.Join(parts, " ")
}

// TestQueueEvict_SIEVEPaperExample replays the worked example of the SIEVE
// paper (Zhang et al., NSDI '24, Figure 1 and the animation on the SIEVE
// website): a cache of seven objects A..G, hits on A, B and G; then a miss
// on H makes the hand clear A and B and evict C, leaving the hand at D;
// after hits on A and D, a miss on I clears D, evicts E and leaves the hand
// at F.
func TestQueueEvict_SIEVEPaperExample(t *testing.T) {
	s := newSim(evictq.SIEVE, 7)
	for _, k := range []string{"A", "B", "C", "D", "E", "F", "G"} {
		hit, _ := s.access(k)
		require.False(t, hit)
	}
	for _, k := range []string{"A", "B", "G"} {
		hit, _ := s.access(k)
		require.True(t, hit)
	}
	require.Equal(t, "G* F E D C B* >A*", s.order())

	_, ev := s.access("H")
	assert.Equal(t, "C", ev, "the hand skips visited A and B and evicts C")
	require.Equal(t, "H G* F E >D B A", s.order(), "A and B stay in place with their bits cleared")

	s.access("A")
	s.access("D")
	require.Equal(t, "H G* F E >D* B A*", s.order())
	_, ev = s.access("I")
	assert.Equal(t, "E", ev)
	require.Equal(t, "I H G* >F D B A*", s.order(), "new objects enter at the head, the hand stays in the middle")
	require.NoError(t, s.q.Check())
}

// TestQueueEvict_CLOCK checks second-chance reinsertion: a visited entry at
// the tail moves to the head with its bit cleared.
func TestQueueEvict_CLOCK(t *testing.T) {
	s := newSim(evictq.CLOCK, 3)
	s.access("A")
	s.access("B")
	s.access("C")
	s.access("A")
	_, ev := s.access("D")
	assert.Equal(t, "B", ev)
	assert.Equal(t, "D A C", strings.ReplaceAll(s.order(), ">", ""), "A moved to the head, bit cleared, when the hand passed it")
	require.NoError(t, s.q.Check())
}

// TestQueueEvict_ExpiredFirst: the hand evicts an expired entry it meets even
// if it was visited, with reason Expired.
func TestQueueEvict_ExpiredFirst(t *testing.T) {
	for _, p := range []evictq.Policy{evictq.SIEVE, evictq.CLOCK} {
		q := evictq.NewQueue[string](p)
		a := evictq.NewNode("a", 100, 0)
		b := evictq.NewNode("b", 0, 0)
		q.Push(a)
		q.Push(b)
		a.Visit()
		n, r := q.Evict(100)
		assert.Same(t, a, n, "policy %d", p)
		assert.Equal(t, evictq.Expired, r)
		n, r = q.Evict(100)
		assert.Same(t, b, n)
		assert.Equal(t, evictq.Capacity, r)
		n, _ = q.Evict(100)
		assert.Nil(t, n, "empty queue")
		require.NoError(t, q.Check())
	}
}

func TestQueueRemoveReplace_KeepsHandAndLinks(t *testing.T) {
	q := evictq.NewQueue[int](evictq.SIEVE)
	nodes := make([]*evictq.Node[int], 5)
	for i := range nodes {
		nodes[i] = evictq.NewNode(i, 0, 0)
		q.Push(nodes[i])
	}
	nodes[0].Visit()
	v, _ := q.Evict(0) // clears 0, evicts 1; hand at 2
	require.Equal(t, 1, v.Item)
	require.Same(t, nodes[2], q.Hand())
	q.Remove(nodes[2])
	assert.Same(t, nodes[3], q.Hand(), "removing the hand's node moves the hand to the newer neighbour")
	r := evictq.NewNode(33, 0, 0)
	q.Replace(nodes[3], r)
	assert.Same(t, r, q.Hand(), "a replacement takes over the hand")
	assert.Equal(t, 3, q.Len())
	require.NoError(t, q.Check())
	var items []int
	for n := q.Oldest(); n != nil; n = q.Newer(n) {
		items = append(items, n.Item)
	}
	assert.Equal(t, []int{0, 33, 4}, items)
}

// lru is an exact LRU for comparison.
type lru struct {
	l   *list.List
	m   map[uint64]*list.Element
	cap int
}

func (c *lru) access(k uint64) bool {
	if e, ok := c.m[k]; ok {
		c.l.MoveToFront(e)
		return true
	}
	if c.l.Len() >= c.cap {
		e := c.l.Back()
		c.l.Remove(e)
		delete(c.m, e.Value.(uint64))
	}
	c.m[k] = c.l.PushFront(k)
	return false
}

// TestSIEVE_BeatsLRUOnZipf shows SIEVE's hit ratio is at least an exact
// LRU's on Zipf-distributed streams, at several skews and cache sizes.
func TestSIEVE_BeatsLRUOnZipf(t *testing.T) {
	for _, skew := range []float64{1.01, 1.1, 1.3} {
		for _, capacity := range []int{100, 1000} {
			r := rand.New(rand.NewPCG(1, 2))
			z := rand.NewZipf(r, skew, 1, 100_000)
			s := newSim(evictq.SIEVE, capacity)
			l := &lru{l: list.New(), m: map[uint64]*list.Element{}, cap: capacity}
			var sh, lh int
			const n = 200_000
			for range n {
				k := z.Uint64()
				key := strconv.FormatUint(k, 10)
				if hit, _ := s.access(key); hit {
					sh++
				}
				if l.access(k) {
					lh++
				}
			}
			t.Logf("zipf s=%.2f cap=%d: SIEVE %.4f LRU %.4f", skew, capacity, float64(sh)/n, float64(lh)/n)
			assert.GreaterOrEqual(t, sh, lh, "s=%v cap=%d", skew, capacity)
		}
	}
}
