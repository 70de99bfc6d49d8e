package evict

import (
	"fmt"
	"sync/atomic"
)

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

// Node is an entry of a [Queue], carrying the caller's Item. A node belongs
// to at most one queue at a time.
//
// Item and the deadline are written before the node is published to readers
// and never change afterwards, so lock-free readers may read them; the
// visited bit is atomic; the queue links are owned by the queue's caller.
type Node[T any] struct {
	// Item is the caller's payload (a cache stores the key and value here).
	Item T

	deadline int64 // nanoseconds; 0 = never expires
	visited  atomic.Uint32
	hash     uint32 // the caller's hash bits (HashMask); fills padding, so free
	newer    *Node[T]
	older    *Node[T]
}

// HashMask selects the bits of a caller's hash that a node keeps (see
// [Node.Hash]).
const HashMask = 1<<31 - 1

// NewNode returns a node holding item that expires at deadline (0 = never).
// hash is the caller's hash of the item; the node keeps hash&HashMask, so
// that the caller can re-index it without hashing again and the policy can
// estimate its frequency.
func NewNode[T any](item T, deadline int64, hash uint64) *Node[T] {
	return &Node[T]{Item: item, deadline: deadline, hash: uint32(hash & HashMask)}
}

// Init sets up a zero node that the caller allocated itself (embedded at
// the start of a larger struct, say) as NewNode would: it must not be in a
// queue or visible to other goroutines yet.
func (n *Node[T]) Init(item T, deadline int64, hash uint64) {
	n.Item, n.deadline, n.hash = item, deadline, uint32(hash&HashMask)
}

// Hash returns the hash bits the node was created with (hash&HashMask).
func (n *Node[T]) Hash() uint64 { return uint64(n.hash & HashMask) }

// Deadline returns the node's deadline in nanoseconds, or 0 if it never
// expires.
func (n *Node[T]) Deadline() int64 { return n.deadline }

// Expired reports whether the node's deadline has passed at now.
func (n *Node[T]) Expired(now int64) bool { return n.deadline != 0 && now >= n.deadline }

// Visit marks the node as recently used. It writes only if the bit is not
// already set, so that a hot node's cache line stays shared between cores.
// Safe to call concurrently with every other method.
func (n *Node[T]) Visit() {
	if n.visited.Load() == 0 {
		n.visited.Store(1)
	}
}

// Visited reports whether the node was used since the hand last passed it.
func (n *Node[T]) Visited() bool { return n.visited.Load() != 0 }

// Queue is a SIEVE or CLOCK eviction queue. Its zero value is an empty SIEVE
// queue. Queue is not safe for concurrent use: callers serialize every method
// (a cache holds its shard lock).
type Queue[T any] struct {
	policy Policy
	head   *Node[T] // newest
	tail   *Node[T] // oldest
	hand   *Node[T] // SIEVE: next node to examine; nil means the tail
	len    int
}

// NewQueue returns an empty queue using policy p.
func NewQueue[T any](p Policy) *Queue[T] { return &Queue[T]{policy: p} }

// Init empties the queue and sets its policy. Nodes still linked are
// abandoned, not unlinked.
func (q *Queue[T]) Init(p Policy) { *q = Queue[T]{policy: p} }

// Policy returns the queue's policy.
func (q *Queue[T]) Policy() Policy { return q.policy }

// Len returns the number of nodes in the queue.
func (q *Queue[T]) Len() int { return q.len }

// Push inserts n as the newest node.
func (q *Queue[T]) Push(n *Node[T]) {
	n.older = q.head
	n.newer = nil
	if q.head != nil {
		q.head.newer = n
	} else {
		q.tail = n
	}
	q.head = n
	q.len++
}

// Remove unlinks n, which must be in q.
func (q *Queue[T]) Remove(n *Node[T]) {
	if q.hand == n {
		q.hand = n.newer
	}
	if n.newer != nil {
		n.newer.older = n.older
	} else {
		q.head = n.older
	}
	if n.older != nil {
		n.older.newer = n.newer
	} else {
		q.tail = n.newer
	}
	n.newer, n.older = nil, nil
	q.len--
}

// Replace puts n, which must not be in a queue, in old's place; old must be
// in q and leaves it. The visited bit is not copied: callers decide.
func (q *Queue[T]) Replace(old, n *Node[T]) {
	n.newer, n.older = old.newer, old.older
	if n.newer != nil {
		n.newer.older = n
	} else {
		q.head = n
	}
	if n.older != nil {
		n.older.newer = n
	} else {
		q.tail = n
	}
	if q.hand == old {
		q.hand = n
	}
	old.newer, old.older = nil, nil
}

// Evict chooses a victim, removes it from the queue and returns it with the
// reason: Expired if its deadline has passed at now, Capacity otherwise. It
// returns nil, 0 when the queue is empty.
//
// The hand walks from the oldest node towards the newest (wrapping around),
// evicting the first node that is expired or not visited and clearing the
// visited bit of every node it passes. Under CLOCK a passed node moves to the
// head instead of staying in place. Evict ends after at most Len()+1 steps.
func (q *Queue[T]) Evict(now int64) (*Node[T], Reason) {
	if q.len == 0 {
		return nil, 0
	}
	if q.policy == CLOCK {
		for {
			n := q.tail
			if n.Expired(now) {
				q.Remove(n)
				return n, Expired
			}
			if !n.Visited() {
				q.Remove(n)
				return n, Capacity
			}
			n.visited.Store(0)
			q.Remove(n)
			q.Push(n)
		}
	}
	n := q.hand
	if n == nil {
		n = q.tail
	}
	for {
		if n.Expired(now) || !n.Visited() {
			reason := Capacity
			if n.Expired(now) {
				reason = Expired
			}
			next := n.newer
			q.Remove(n)
			q.hand = next // nil means: start again at the tail
			return n, reason
		}
		n.visited.Store(0)
		n = n.newer
		if n == nil {
			n = q.tail
		}
	}
}

// Oldest returns the oldest node, or nil if the queue is empty.
func (q *Queue[T]) Oldest() *Node[T] { return q.tail }

// Newer returns the node inserted after n (towards the head), or nil.
func (q *Queue[T]) Newer(n *Node[T]) *Node[T] { return n.newer }

// Hand returns the node the SIEVE hand will examine next (nil means the
// oldest). It is for tests and invariant checks.
func (q *Queue[T]) Hand() *Node[T] { return q.hand }

// Check walks the queue and returns an error describing the first broken
// invariant (links that do not agree, a length that does not match, a hand
// outside the queue), or nil.
func (q *Queue[T]) Check() error {
	count := 0
	handSeen := q.hand == nil
	var prev *Node[T]
	for n := q.tail; n != nil; n = n.newer {
		if n.older != prev {
			return fmt.Errorf("evict: node %d: older link does not match", count)
		}
		if n == q.hand {
			handSeen = true
		}
		prev = n
		count++
		if count > q.len {
			return fmt.Errorf("evict: more nodes linked than Len %d", q.len)
		}
	}
	if prev != q.head {
		return fmt.Errorf("evict: head is not the newest node")
	}
	if count != q.len {
		return fmt.Errorf("evict: %d nodes linked, Len is %d", count, q.len)
	}
	if !handSeen {
		return fmt.Errorf("evict: hand is not in the queue")
	}
	return nil
}
