package core

import "iter"

// Coldest returns an iterator over the live entries in the order the
// policy would evict them: in each shard, the entries the eviction hand
// would choose on its first pass (not visited since it last passed them),
// in the order it reaches them, then the others (visited: they survive
// one pass), in the same order; with admission, the window's entries come
// first within each of the two, oldest first, as they are the next to
// compete for a place (see evictq.Queue.EvictionOrder). The shards are
// interleaved: the first of each shard's not-visited entries, then the
// second of each, and so on, then likewise the visited ones, since the
// shards evict independently and evenly. Expired entries, which the policy
// evicts before any of these, are never yielded.
//
// The order is a snapshot per shard, taken under the shard's lock (a walk
// of its queue copying node pointers, 8 bytes per entry, pooled), one shard
// after the other, so it is best effort under concurrent writes: an entry
// written since may be missed, one removed since is skipped, a value is
// the one held when it is yielded, and no key is yielded twice. The loop
// body runs with no lock held and may call the engine.
func (e *Engine[K, V]) Coldest() iter.Seq2[K, V] { return e.ordered(false) }

// Hottest is Coldest in reverse (the same sequence, walked backwards): the
// entries the policy would keep longest first.
func (e *Engine[K, V]) Hottest() iter.Seq2[K, V] { return e.ordered(true) }

// run is one shard's part of an ordered snapshot: buf[start:split] are its
// not-visited entries and buf[split:end] its visited ones, each in
// eviction order.
type run struct{ start, split, end int }

func (e *Engine[K, V]) ordered(hottest bool) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		e.walkOrdered(hottest, func(n *node[K, V]) bool { return yield(n.Item.key, e.value(n)) })
	}
}

// walkOrdered calls f with the live nodes in Coldest's order (Hottest's
// with hottest) until f returns false.
func (e *Engine[K, V]) walkOrdered(hottest bool, f func(*node[K, V]) bool) {
	bp := e.snapshotBuf()
	defer e.putSnapshotBuf(bp)
	buf, runs, writes := e.orderSnapshot((*bp)[:0])
	*bp = buf
	// A node is passed on only if it is live and still indexed: a lookup,
	// made only if its shard was written since the snapshot.
	emit := func(i, pos int) bool {
		n, s := buf[pos], &e.shards[i]
		if n.Expired(e.now()) {
			return true
		}
		if s.writes() != writes[i] && s.table.Load().find(e.hash(e.seed, n.Item.key), n.Item.key) != n {
			return true
		}
		return f(n)
	}
	longest := [2]int{} // the longest run of each class
	for _, r := range runs {
		longest[0] = max(longest[0], r.split-r.start)
		longest[1] = max(longest[1], r.end-r.split)
	}
	// Coldest: not visited, then visited; in each, rank by rank, each rank
	// shard by shard. Hottest walks the same sequence backwards.
	for c := range 2 {
		visited := c == 1
		if hottest {
			visited = c == 0
		}
		cls := 0
		if visited {
			cls = 1
		}
		for j := range longest[cls] {
			rank := j
			if hottest {
				rank = longest[cls] - 1 - j
			}
			for i := range runs {
				if hottest {
					i = len(runs) - 1 - i
				}
				lo, hi := runs[i].start, runs[i].split
				if visited {
					lo, hi = runs[i].split, runs[i].end
				}
				if rank < hi-lo && !emit(i, lo+rank) {
					return
				}
			}
		}
	}
}

// orderSnapshot appends every shard's unexpired entries to buf in
// eviction order, not-visited before visited (see Coldest), locking one
// shard at a time, and returns buf, each shard's run of it, and each
// shard's write count (see shard.writes) when it was copied.
func (e *Engine[K, V]) orderSnapshot(buf []*node[K, V]) ([]*node[K, V], []run, []uint64) {
	runs := make([]run, len(e.shards))
	writes := make([]uint64, len(e.shards))
	var warm []*node[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		now := e.now()
		warm = warm[:0]
		runs[i].start = len(buf)
		s.mu.Lock()
		writes[i] = s.writes()
		s.queue.EvictionOrder(func(n *node[K, V]) bool {
			switch {
			case n.Expired(now):
			case n.Visited(): // read once: a reader may set it meanwhile
				warm = append(warm, n)
			default:
				buf = append(buf, n)
			}
			return true
		})
		s.mu.Unlock()
		runs[i].split = len(buf)
		buf = append(buf, warm...)
		runs[i].end = len(buf)
	}
	clear(warm)
	return buf, runs, writes
}

// forEach calls f for every node in t. Lock-free; a node written during the
// walk may or may not be seen.
func forEach[K comparable, V any](t *table[K, V], f func(*node[K, V])) {
	for i := range t.buckets {
		t.eachInChain(i, f)
	}
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
		bp := e.snapshotBuf()
		defer e.putSnapshotBuf(bp)
		for i := range e.shards {
			s := &e.shards[i]
			w := s.writes()
			t := s.table.Load()
			buf := (*bp)[:0]
			for bi := range t.buckets {
				buf = t.appendChain(buf, bi)
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

// snapshotBuf returns a buffer for a snapshot of node pointers (All's,
// Coldest's and Hottest's), from a pool so that an iteration allocates
// nothing in the steady state; putSnapshotBuf returns it.
func (e *Engine[K, V]) snapshotBuf() *[]*node[K, V] {
	if bp, _ := e.snapshots.Get().(*[]*node[K, V]); bp != nil {
		return bp
	}
	return new([]*node[K, V])
}

// putSnapshotBuf returns bp to the pool, empty: the pool keeps no node
// alive.
func (e *Engine[K, V]) putSnapshotBuf(bp *[]*node[K, V]) {
	clear(*bp)
	*bp = (*bp)[:0]
	e.snapshots.Put(bp)
}
