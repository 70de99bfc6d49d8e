// Package budget keeps a whole cache's bounds, Capacity and MaxWeight, and
// what the cache uses of them, across its independently locked shards.
//
// The rule it owns: an entry is inserted only with room taken for it, so
// the entries a cache holds never exceed its bounds, except while a write
// that found nothing to evict in its own shard is in flight (it forces its
// room, and its caller evicts in other shards until the budget is no
// longer over). Room is taken from the usage with a compare-and-swap, or
// handed over, without touching the usage, by the entries a write evicts
// or replaces: a full cache's writes evict for their room and only load
// the usage.
//
// The protocol, as the engine (internal/core) runs it under a shard lock:
//
//	var r budget.Room
//	for !b.Take(&r, w) {          // room from the usage
//		victim := evict one entry of this shard
//		r.Hand(victim's weight)  // its room becomes the write's
//	}
//	insert the entry; r.Spend()   // or b.GiveBack(&r) if nothing was written
//
// and an entry that leaves for any other reason returns its room with
// Release.
//
// Files: budget.go (Budget, Room). Locking: none; every field is atomic,
// and a Room belongs to the goroutine of its write. No callbacks run here.
package budget
