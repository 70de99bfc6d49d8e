package core

import (
	"fmt"

	"github.com/hotcache/hotcache/internal/evictq"
)

// check walks every shard, its index and its eviction queue under the shard
// lock and returns an error describing the first inconsistency: a queue
// whose links or length are broken, a node indexed but not queued or the
// reverse, a node in the wrong shard or bucket, a tag that does not match
// its node, a count or weight that disagrees, more entries than Capacity
// or more weight than MaxWeight in the whole cache, or a cache-wide usage
// that is not the sum of the shards'. Call it when no write is in flight.
func (e *Engine[K, V]) check() error {
	var count int64
	var weight uint64
	for i := range e.shards {
		s := &e.shards[i]
		s.mu.Lock()
		err := s.check(e, i)
		count += s.count.Load()
		weight += s.weight.Load()
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("shard %d: %w", i, err)
		}
	}
	usedCount, usedWeight := e.budget.Used()
	switch {
	case e.budget.Capacity() > 0 && count > e.budget.Capacity():
		return fmt.Errorf("%d entries over capacity %d", count, e.budget.Capacity())
	case e.budget.MaxWeight() > 0 && weight > e.budget.MaxWeight():
		return fmt.Errorf("weight %d over MaxWeight %d", weight, e.budget.MaxWeight())
	case e.budget.Capacity() > 0 && usedCount != count:
		return fmt.Errorf("usage counts %d entries, shards hold %d", usedCount, count)
	case e.budget.MaxWeight() > 0 && usedWeight != weight:
		return fmt.Errorf("usage counts weight %d, shards hold %d", usedWeight, weight)
	}
	return nil
}

func (s *shard[K, V]) check(e *Engine[K, V], idx int) error {
	if err := s.queue.Check(); err != nil {
		return err
	}
	queued := map[*node[K, V]]bool{}
	s.queue.Each(func(n *node[K, V]) { queued[n] = true })
	t := s.table.Load()
	indexed := 0
	var weight uint64
	for bi := range t.buckets {
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			meta := b.meta.Load()
			for j := range b.slots {
				n := b.slots[j].Load()
				tg := meta >> (8 * j) & 0xff
				if n == nil {
					if tg != 0 {
						return fmt.Errorf("bucket %d slot %d: tag %#x on an empty slot", bi, j, tg)
					}
					continue
				}
				h := e.hash(e.seed, n.Item.key)
				switch {
				case n.Hash() != h&evictq.HashMask:
					return fmt.Errorf("key %v: node keeps hash %#x, want %#x", n.Item.key, n.Hash(), h&evictq.HashMask)
				case tg != tag(h):
					return fmt.Errorf("key %v: tag %#x, want %#x", n.Item.key, tg, tag(h))
				case int(h>>e.shift) != idx:
					return fmt.Errorf("key %v: belongs to shard %d", n.Item.key, h>>e.shift)
				case h&t.mask != uint64(bi):
					return fmt.Errorf("key %v: in bucket %d, belongs in %d", n.Item.key, bi, h&t.mask)
				case !queued[n]:
					return fmt.Errorf("key %v: indexed but not queued", n.Item.key)
				}
				indexed++
				weight += uint64(n.Weight())
			}
		}
	}
	if indexed != len(queued) {
		return fmt.Errorf("%d nodes indexed, %d queued", indexed, len(queued))
	}
	if c := int(s.count.Load()); c != indexed {
		return fmt.Errorf("count %d, %d nodes indexed", c, indexed)
	}
	if w := s.weight.Load(); w != weight {
		return fmt.Errorf("weight %d, nodes weigh %d", w, weight)
	}
	return nil
}
