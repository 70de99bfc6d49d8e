package core

import "github.com/hotcache/hotcache/evict"

// Sweep budgets: each maintenance pass examines sweepBatch slots of a shard
// at a time, and goes on with the next batch while more than a quarter of
// the batch had expired, up to sweepMax slots per shard per pass.
const (
	sweepBatch = 64
	sweepMax   = 64 * 1024
)

// Sweep reclaims expired entries without a full scan: per shard it examines
// batches of buckets from where the last sweep stopped, and goes on while the
// batch was mostly expired. It returns the number of entries reclaimed. The
// background maintenance calls it; tests call it to make reclamation happen
// at a chosen point.
func (e *Engine[K, V]) Sweep() int {
	total := 0
	var gone []*node[K, V]
	var out victims[K, V]
	for i := range e.shards {
		s := &e.shards[i]
		e.sweepNegative(s)
		for examined := 0; examined < sweepMax; {
			s.mu.Lock()
			seen, expired := s.sweep(e, sweepBatch, &gone, &out)
			s.mu.Unlock()
			out.fire(e)
			gone = gone[:0]
			examined += seen
			total += expired
			if seen == 0 || expired*4 <= seen {
				break
			}
		}
	}
	return total
}

// sweep examines up to budget entries from the shard's sweep position,
// removes the expired ones (appending them to gone) and returns how many it
// examined and removed. Caller holds s.mu.
func (s *shard[K, V]) sweep(e *Engine[K, V], budget int, gone *[]*node[K, V], out *victims[K, V]) (seen, expired int) {
	if s.count.Load() == 0 {
		return 0, 0
	}
	now := e.now()
	t := s.table.Load()
	for steps := 0; steps < len(t.buckets) && seen < budget; steps++ {
		bi := s.sweepPos & t.mask
		s.sweepPos++
		for b := &t.buckets[bi]; b != nil; b = b.next.Load() {
			for j := range b.slots {
				n := b.slots[j].Load()
				if n == nil {
					continue
				}
				seen++
				if n.Expired(now) {
					expired++
					*gone = append(*gone, n)
				}
			}
		}
	}
	for _, n := range *gone {
		s.unlink(e, s.table.Load(), n.Hash(), n, evict.Expired, out)
	}
	return seen, expired
}
