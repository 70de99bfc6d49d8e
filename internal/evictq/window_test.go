package evictq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/evictq"
)

// admSim is a single-threaded cache of uint64 keys over a Queue with
// admission, checking the queue's invariants after every access.
type admSim struct {
	t     *testing.T
	q     *evictq.Queue[uint64]
	nodes map[uint64]*evictq.Node[uint64]
	cap   int
	steps int
}

func newAdmSim(t *testing.T, capacity int) *admSim {
	q := evictq.NewQueue[uint64](evictq.SIEVE)
	q.EnableAdmission(capacity)
	return &admSim{t: t, q: q, nodes: map[uint64]*evictq.Node[uint64]{}, cap: capacity}
}

func (s *admSim) access(k uint64) bool {
	if n, ok := s.nodes[k]; ok {
		n.Visit()
		return true
	}
	if s.q.Len() >= s.cap {
		v, _ := s.q.Evict(0)
		delete(s.nodes, v.Item)
	}
	n := evictq.NewNode(k, 0, mix(k))
	s.q.Push(n)
	s.nodes[k] = n
	if s.steps++; s.steps%1000 == 0 {
		require.NoError(s.t, s.q.Check())
	}
	return false
}

func (s *admSim) window() int {
	_, c := s.q.WindowLen()
	return c
}

// recency runs n steps of a recency-heavy pattern from key base: each step
// uses a new key, then an earlier one again, 1 to 200 new keys back. An LRU
// of 1,000 entries would hit every second use; the admission filter rejects
// those keys, seen once, unless the window keeps them until they come back.
// It returns the hit ratio of the last quarter.
func (s *admSim) recency(base uint64, n int) float64 {
	hits := 0
	for i := range uint64(n) {
		s.access(base + i)
		if d := 1 + mix(i)%200; d <= i && s.access(base+i-d) && i >= uint64(n)*3/4 {
			hits++
		}
	}
	return float64(hits) / float64(2*n/4)
}

// TestWindow_GrowsOnRecency: on the recency pattern, the keys rejected
// come back while their ghosts are remembered (at first only those that
// return soonest), so the window grows, step by step, until it keeps most
// of them, and the hit ratio approaches the 50% of LRU.
func TestWindow_GrowsOnRecency(t *testing.T) {
	const capacity = 1000
	s := newAdmSim(t, capacity)
	require.Equal(t, evictq.WindowCap(capacity), s.window())
	r := s.recency(0, 200_000)
	assert.Greater(t, s.window(), 150, "the window grew towards the longest reuse distance")
	assert.LessOrEqual(t, s.window(), capacity*evictq.MaxWindowPercent/100)
	assert.Greater(t, r, 0.45, "second uses hit once the window has grown")

}

// TestWindow_ShrinksOnFrequency: Zipf-distributed keys (a frequency-heavy
// workload) interleaved with keys used once. Starting from a large window
// (grown by the recency pattern), the popular keys the small main queue
// loses come back while their ghosts are remembered, and the window
// shrinks (one entry per ghost, so slowly), so that the main queue holds
// the popular keys and the hit ratio nears that of a cache that kept its
// small initial window throughout.
func TestWindow_ShrinksOnFrequency(t *testing.T) {
	const capacity = 1000
	s := newAdmSim(t, capacity)
	s.recency(0, 100_000)
	grown := s.window()
	require.Greater(t, grown, 150)
	keys := zipfKeys(1.1, 800_000, 100_000)
	hits := 0
	for i, k := range keys {
		if s.access(1<<50+k) && i >= len(keys)*3/4 {
			hits++
		}
		s.access(1<<40 + uint64(i)) // used once
	}
	t.Logf("window %d -> %d; hits %d", grown, s.window(), hits)
	assert.Less(t, s.window(), grown*3/4, "the window shrank")

	fixed := newAdmSim(t, capacity) // the initial window throughout
	fixedHits := 0
	for i, k := range keys {
		if fixed.access(1<<50+k) && i >= len(keys)*3/4 {
			fixedHits++
		}
		fixed.access(1<<40 + uint64(i))
	}
	t.Logf("fixed hits %d window %d", fixedHits, fixed.window())
	assert.InDelta(t, float64(fixedHits), float64(hits), 0.02*float64(len(keys)/4), "as good as a small window from the start")
}

// TestWindow_Bounds: the window stays between its least size and
// MaxWindowPercent of the capacity, leaves the main queue at least one
// entry, and small queues stay consistent.
func TestWindow_Bounds(t *testing.T) {
	for _, capacity := range []int{1, 2, 3, 4, 5, 8, 17, 100} {
		s := newAdmSim(t, capacity)
		for i := range uint64(20_000) {
			// A mix of recency (short reuse) and one-hit keys.
			s.access(i % 7 * 1000)
			s.access(i)
			s.access(i / 2)
			_, c := s.q.WindowLen()
			require.GreaterOrEqual(t, c, 1)
			require.LessOrEqual(t, c, max(capacity-1, 1), "capacity %d", capacity)
			if capacity >= 10 {
				require.GreaterOrEqual(t, c, evictq.MinWindow)
				require.LessOrEqual(t, c, capacity*evictq.MaxWindowPercent/100)
			}
		}
	}
}

// TestWindow_Deterministic: the same calls make the same decisions.
func TestWindow_Deterministic(t *testing.T) {
	run := func() []int {
		s := newAdmSim(t, 300)
		var sizes []int
		for i := range uint64(50_000) {
			s.access(mix(i) % 2000)
			if i%1000 == 0 {
				sizes = append(sizes, s.window())
			}
		}
		return sizes
	}
	assert.Equal(t, run(), run())
}

// TestWindow_Miss: ghost bookkeeping at the API level.
func TestWindow_Miss(t *testing.T) {
	var w evictq.Window
	w.Init(1000)
	start, step := w.Cap(), min(1000/evictq.WindowStepDivisor, evictq.MaxWindowStep)
	require.Greater(t, step, 1, "a step that scales with the capacity")
	w.Miss(1) // no ghosts yet: nothing happens
	assert.Equal(t, start, w.Cap())
	w.Rejected(42)
	w.Miss(42)
	assert.Equal(t, start+step, w.Cap(), "a window ghost grows the window")
	w.Miss(42)
	assert.Equal(t, start+step, w.Cap(), "a ghost counts once")
	w.Evicted(43)
	w.Miss(43)
	assert.Equal(t, start, w.Cap(), "a main ghost shrinks it")
	w.Evicted(44)
	w.Miss(44)
	assert.Equal(t, max(start-step, evictq.MinWindow), w.Cap(), "main ghosts shrink it")
	for range 100 {
		w.Evicted(45)
		w.Miss(45)
	}
	assert.Equal(t, evictq.MinWindow, w.Cap(), "never below MinWindow")
	for range 1000 {
		w.Rejected(46)
		w.Miss(46)
	}
	assert.Equal(t, 1000*evictq.MaxWindowPercent/100, w.Cap(), "never above MaxWindowPercent")
}

// TestQueueAdmission_MarginByCapacity: a candidate estimated one or two
// uses more frequent than the main queue's victim is admitted, in the
// victim's place, only if that is more than the queue's margin: two uses
// below SmallCapacity (SmallMargin), one below MarginlessCapacity
// (AdmitMargin), none from there on.
func TestQueueAdmission_MarginByCapacity(t *testing.T) {
	assert.Equal(t, evictq.SmallMargin, evictq.Margin(evictq.SmallCapacity-1))
	assert.Equal(t, evictq.AdmitMargin, evictq.Margin(evictq.SmallCapacity))
	assert.Equal(t, evictq.AdmitMargin, evictq.Margin(evictq.MarginlessCapacity-1))
	assert.Equal(t, 0, evictq.Margin(evictq.MarginlessCapacity))
	for _, capacity := range []int{37, evictq.SmallCapacity - 1, evictq.SmallCapacity, 1000, evictq.MarginlessCapacity - 1, evictq.MarginlessCapacity, 2 * evictq.MarginlessCapacity} {
		for ahead := 1; ahead <= 2; ahead++ {
			q := evictq.NewQueue[uint64](evictq.SIEVE)
			q.EnableAdmission(capacity)
			for k := range uint64(capacity) {
				q.Push(evictq.NewNode(k, 0, mix(k)))
			}
			// The first eviction sizes the sketch (counting nothing
			// before); the node pushed after it is counted once, its miss.
			q.Evict(0)
			q.Push(evictq.NewNode(uint64(capacity), 0, mix(uint64(capacity))))
			var cand *evictq.Node[uint64]
			q.EvictionOrder(func(n *evictq.Node[uint64]) bool { cand = n; return false })
			// Every node but the newest counts 0 uses; the candidate (the
			// window's oldest) gets ahead more than the victim.
			for range ahead {
				q.Touch(cand)
			}
			v, r := q.Evict(0)
			require.Equal(t, evictq.Capacity, r)
			require.NoError(t, q.Check())
			if ahead <= evictq.Margin(capacity) {
				assert.Same(t, cand, v, "capacity %d: a candidate %d uses ahead is rejected", capacity, ahead)
			} else {
				assert.NotSame(t, cand, v, "capacity %d: a candidate %d uses ahead is admitted", capacity, ahead)
				assert.Equal(t, capacity, q.Len()+1)
			}
		}
	}
}
