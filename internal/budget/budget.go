package budget

import "sync/atomic"

// Budget is a whole cache's bounds and what it uses of them: the most
// entries (Capacity, 0 = no bound) and the most total weight (MaxWeight,
// 0 = no bound), and the entries and weight that the shards hold plus the
// room that writes in flight have taken for the entries they are about to
// insert. When no write is in flight, the count is the sum of the shards'
// counts (at most the capacity) and the weight the sum of their weights (at
// most MaxWeight).
//
// A Budget is safe for concurrent use: every field is atomic, and no method
// takes a lock. It must not be copied.
//
// Layout: the usage has a cache line of its own. Writes of new keys change
// it while the cache fills up, and deletions and expiry always, but readers
// never look at it, and a full cache's writes of new keys only load it
// (they evict for their room, which the victim hands over).
type Budget struct {
	capacity  atomic.Int64  // the most entries; 0 = no bound (never turns to or from 0)
	maxWeight atomic.Uint64 // the most total weight; 0 = no bound (likewise)
	_         [64]byte
	count     atomic.Int64
	weight    atomic.Uint64
	_         [48]byte
}

// Room is what a write holds of a Budget for the entry it is about to
// insert: an entry slot (counted only with a capacity) and weight (only
// with a MaxWeight). It is taken from the budget's usage ([Budget.Take],
// [Budget.Force]), or handed over by the entries the write evicts or
// replaces ([Room.Hand]), which then leave the usage as it is. A Room
// belongs to one goroutine.
type Room struct {
	slots  int64
	weight uint64
}

// Hand adds to r the room of an entry of weight w that leaves its shard
// for the write holding r: the entry's room stays counted in the usage,
// now as the write's.
func (r *Room) Hand(w uint64) {
	r.slots++
	r.weight += w
}

// Init sets the bounds of a new Budget: capacity entries, maxWeight total
// weight (0 = no bound, for each).
func (b *Budget) Init(capacity int64, maxWeight uint64) {
	b.capacity.Store(capacity)
	b.maxWeight.Store(maxWeight)
}

// Capacity returns the most entries (0 = no bound).
func (b *Budget) Capacity() int64 { return b.capacity.Load() }

// MaxWeight returns the most total weight (0 = no bound).
func (b *Budget) MaxWeight() uint64 { return b.maxWeight.Load() }

// SetCapacity changes the most entries to n (> 0, and the budget must have
// a capacity already). The cache stores it with every shard locked (see
// core's rebound): a write that took room under the old bound has then
// finished taking it.
func (b *Budget) SetCapacity(n int64) { b.capacity.Store(n) }

// SetMaxWeight changes the most total weight to w (> 0; the budget must
// have a MaxWeight already). As for SetCapacity.
func (b *Budget) SetMaxWeight(w uint64) { b.maxWeight.Store(w) }

// Used returns the entries and the weight counted in the usage (for the
// cache's invariant check: call it when no write is in flight).
func (b *Budget) Used() (count int64, weight uint64) { return b.count.Load(), b.weight.Load() }

// Take completes r to the room of one entry of weight w from the usage,
// giving back any excess, and reports whether it could. Room it took stays
// in r either way.
func (b *Budget) Take(r *Room, w uint64) bool {
	if b.capacity.Load() > 0 {
		if r.slots > 1 {
			b.count.Add(1 - r.slots)
			r.slots = 1
		}
		for r.slots == 0 {
			c := b.count.Load()
			if c >= b.capacity.Load() {
				return false
			}
			if b.count.CompareAndSwap(c, c+1) {
				r.slots = 1
			}
		}
	}
	if b.maxWeight.Load() > 0 {
		if r.weight > w {
			b.weight.Add(-(r.weight - w))
			r.weight = w
		}
		for r.weight < w {
			u := b.weight.Load()
			if u+w-r.weight > b.maxWeight.Load() {
				return false
			}
			if b.weight.CompareAndSwap(u, u+w-r.weight) {
				r.weight = w
			}
		}
	}
	return true
}

// Force completes r to the room of one entry of weight w over the bounds,
// for a write that found nothing left to evict in its own shard: the
// usage may then exceed the bounds (Over reports it) until the write's
// caller has evicted elsewhere.
func (b *Budget) Force(r *Room, w uint64) {
	if b.capacity.Load() > 0 && r.slots == 0 {
		b.count.Add(1)
		r.slots = 1
	}
	if b.maxWeight.Load() > 0 && r.weight < w {
		b.weight.Add(w - r.weight)
		r.weight = w
	}
}

// GiveBack returns room r, taken for a write that wrote no new entry, to
// the usage, and empties r.
func (b *Budget) GiveBack(r *Room) {
	if b.capacity.Load() > 0 && r.slots != 0 {
		b.count.Add(-r.slots)
	}
	if b.maxWeight.Load() > 0 && r.weight != 0 {
		b.weight.Add(-r.weight)
	}
	*r = Room{}
}

// Spend empties r, whose room is now the entry its write inserted.
func (r *Room) Spend() { *r = Room{} }

// Release returns the room of an entry of weight w that has left its
// shard (deleted, expired, evicted) to the usage.
func (b *Budget) Release(w uint64) {
	if b.capacity.Load() > 0 {
		b.count.Add(-1)
	}
	if w != 0 && b.maxWeight.Load() > 0 {
		b.weight.Add(-w)
	}
}

// ReleaseAll returns the room of count entries weighing weight in all (a
// shard's, when it is cleared) to the usage.
func (b *Budget) ReleaseAll(count int64, weight uint64) {
	if b.capacity.Load() > 0 {
		b.count.Add(-count)
	}
	if b.maxWeight.Load() > 0 {
		b.weight.Add(-weight)
	}
}

// Readmit counts again an entry of weight w that a write had taken out of
// its shard and puts back (the reverse of Release).
func (b *Budget) Readmit(w uint64) {
	if b.capacity.Load() > 0 {
		b.count.Add(1)
	}
	if b.maxWeight.Load() > 0 {
		b.weight.Add(w)
	}
}

// Over reports whether the usage exceeds the bounds, which it does only
// while writes that forced their room are in flight (see Force).
func (b *Budget) Over() bool {
	return b.capacity.Load() > 0 && b.count.Load() > b.capacity.Load() ||
		b.maxWeight.Load() > 0 && b.weight.Load() > b.maxWeight.Load()
}
