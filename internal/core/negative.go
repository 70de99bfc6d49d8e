package core

import "github.com/hotcache/hotcache/internal/evictq"

// forgetFunc forgets the remembered not-founds of s whose key f reports
// true for with the zero value (for DeleteFunc). f runs with no lock held.
func (e *Engine[K, V]) forgetFunc(s *shard[K, V], f func(K, V) bool) {
	t := s.ld.neg.Load()
	if t == nil {
		return
	}
	var zero V
	var doomed []*node[K, error]
	forEach(t, func(n *node[K, error]) {
		if f(n.Item.key, zero) {
			doomed = append(doomed, n)
		}
	})
	if len(doomed) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range doomed {
		t := s.ld.neg.Load()
		if t == nil {
			break
		}
		if _, cur := t.lookup(n.Hash(), n.Item.key); cur == n {
			s.ld.forgetNode(t, n)
		}
	}
	s.ld.sync()
}

// negative returns the error remembered for k (hash h) in s, if it is live.
// Lock-free.
func (e *Engine[K, V]) negative(s *shard[K, V], h uint64, k K) (error, bool) {
	if t := s.ld.neg.Load(); t != nil {
		if n := t.find(h, k); n != nil && !n.Expired(e.now()) {
			return n.Item.val, true
		}
	}
	return nil, false
}

// remember records k (hash h) as not found with err for NegativeTTL.
// Caller holds s.mu and calls l.sync afterwards.
func (e *Engine[K, V]) remember(s *shard[K, V], h uint64, k K, err error) {
	l := &s.ld
	n := evictq.NewNode(entry[K, error]{key: k, val: err}, e.deadline(e.lo.negTTL), h)
	t := l.neg.Load()
	if t == nil {
		t = newTable[K, error](1)
		l.neg.Store(t)
	}
	if slot := t.slot(h, k); slot != nil {
		slot.Store(n) // a new node: readers of the old one see a consistent one
		return
	}
	if l.negCount >= max(s.capacity, 1) {
		// Full: forget the next remembered key from the sweep position,
		// so remembered keys never outnumber the shard's capacity.
		if old := nextNode(t, &l.negPos); old != nil {
			t.remove(old.Hash(), old)
			l.negCount--
		}
	}
	t.insert(h, n)
	if l.negCount++; l.negCount*maxLoadDen > len(t.buckets)*maxLoadNum {
		l.neg.Store(reindex(t, 2*len(t.buckets)))
	}
}

// forget drops the remembered not-found of k (hash h), if any. Caller
// holds s.mu and calls l.sync afterwards.
func (e *Engine[K, V]) forget(s *shard[K, V], h uint64, k K) {
	l := &s.ld
	t := l.neg.Load()
	if t == nil {
		return
	}
	if _, n := t.lookup(h, k); n != nil {
		l.forgetNode(t, n)
	}
}

// forgetNode removes n from t, the neg table, shrinking it when it is
// mostly empty. Caller holds the shard lock and calls sync afterwards.
func (l *loadState[K, V]) forgetNode(t *table[K, error], n *node[K, error]) {
	t.remove(n.Hash(), n)
	l.negCount--
	if len(t.buckets) > 1 && l.negCount*maxLoadDen*8 < len(t.buckets)*maxLoadNum {
		l.neg.Store(reindex(t, bucketsFor(l.negCount)))
	}
}

// nextNode returns the first node at or after bucket *pos of t (wrapping
// around), advancing *pos past its bucket, or nil if t is empty.
func nextNode[K comparable, V any](t *table[K, V], pos *uint64) *node[K, V] {
	for range t.buckets {
		bi := *pos & t.mask
		*pos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil {
					return n
				}
			}
		}
	}
	return nil
}

// reindex returns a table of nbuckets buckets holding t's nodes.
func reindex[K comparable, V any](t *table[K, V], nbuckets int) *table[K, V] {
	nt := newTable[K, V](nbuckets)
	forEach(t, func(n *node[K, V]) { nt.insert(n.Hash(), n) })
	return nt
}

// sweepNegative forgets expired not-founds of s, examining at most
// negativeSweep buckets of them (from where the last sweep stopped) so the
// lock is held briefly.
func (e *Engine[K, V]) sweepNegative(s *shard[K, V]) {
	if s.ld.neg.Load() == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ld.neg.Load()
	if t == nil {
		return
	}
	now := e.now()
	var gone []*node[K, error]
	for steps := 0; steps < len(t.buckets) && steps < negativeSweep; steps++ {
		bi := s.ld.negPos & t.mask
		s.ld.negPos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				if n := b.slots[j].Load(); n != nil && n.Expired(now) {
					gone = append(gone, n)
				}
			}
		}
	}
	for _, n := range gone {
		s.ld.forgetNode(s.ld.neg.Load(), n) // forgetNode may have reindexed
	}
	s.ld.sync()
}

// negativeSweep bounds one sweep of remembered not-founds per shard, in
// buckets (of up to six keys each, plus overflow): about as long under the
// lock as sixteen batches of the entry sweep.
const negativeSweep = 16 * sweepBatch / slotsPerBucket
