package evict

import "fmt"

// Policy selects an eviction algorithm. The zero value is SIEVE.
type Policy uint8

const (
	// SIEVE keeps visited entries in place and sweeps a persistent hand from
	// the oldest entry towards the newest. It is the default.
	SIEVE Policy = iota
	// CLOCK gives visited entries a second chance by moving them to the head
	// of the queue (FIFO-reinsertion).
	CLOCK
)

// String returns "SIEVE", "CLOCK" or "Policy(n)".
func (p Policy) String() string {
	switch p {
	case SIEVE:
		return "SIEVE"
	case CLOCK:
		return "CLOCK"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool { return p <= CLOCK }

// Reason tells why an entry left a cache.
type Reason uint8

const (
	// Capacity: the cache was full and the policy chose the entry.
	Capacity Reason = iota + 1
	// Expired: the entry's deadline passed and the cache reclaimed it.
	Expired
	// Deleted: the user removed the entry (Delete, DeleteFunc, Clear).
	Deleted
	// Replaced: a write stored a new value under the entry's key.
	Replaced
)

// NumReasons is one more than the largest Reason, for arrays indexed by
// Reason.
const NumReasons = int(Replaced) + 1

// String returns the reason's name in lower case, e.g. "capacity".
func (r Reason) String() string {
	switch r {
	case Capacity:
		return "capacity"
	case Expired:
		return "expired"
	case Deleted:
		return "deleted"
	case Replaced:
		return "replaced"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// MaxWeight is the largest weight an entry can carry: a Weigher's result
// above it is not stored (see shard.Options.Weigher).
const MaxWeight = 1<<31 - 1
