package evictq

// Policy is the queue's eviction algorithm, with the values of
// evict.Policy (the type users set in Options): the engine converts one to
// the other. The queue keeps types of its own so that package evict can
// import this package (for the deprecated aliases of the queue types it
// once exported) while evict.Policy and evict.Reason stay defined in evict,
// where users see them; evict's tests check that the values agree.
type Policy uint8

const (
	SIEVE Policy = iota // evict.SIEVE
	CLOCK               // evict.CLOCK
)

// Reason is why the queue let a node go, with the values of evict.Reason.
type Reason uint8

const (
	Capacity Reason = iota + 1 // evict.Capacity
	Expired                    // evict.Expired
)
