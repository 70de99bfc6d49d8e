package evict

import "github.com/hotcache/hotcache/internal/evictq"

// The engine's eviction machinery moved to its internal package evictq
// (issue 22: the public packages keep what a user chooses). The names
// below keep code written against earlier versions building; new code has
// no use for them.

// Queue is the engine's eviction queue: evictq's, with the methods that
// take or return a Policy or a Reason in this package's types.
//
// Deprecated: engine machinery, now internal; it will be removed.
type Queue[T any] struct {
	evictq.Queue[T]
}

// NewQueue returns an empty queue evicting by p.
//
// Deprecated: engine machinery, now internal; it will be removed.
func NewQueue[T any](p Policy) *Queue[T] {
	q := &Queue[T]{}
	q.Init(p)
	return q
}

// Init empties q and sets its policy.
//
// Deprecated: engine machinery, now internal; it will be removed.
func (q *Queue[T]) Init(p Policy) { q.Queue.Init(evictq.Policy(p)) }

// Policy returns the queue's policy.
//
// Deprecated: engine machinery, now internal; it will be removed.
func (q *Queue[T]) Policy() Policy { return Policy(q.Queue.Policy()) }

// Evict removes and returns the node the policy chooses, and why.
//
// Deprecated: engine machinery, now internal; it will be removed.
func (q *Queue[T]) Evict(now int64) (*Node[T], Reason) {
	n, r := q.Queue.Evict(now)
	return n, Reason(r)
}

// Node is an entry of a Queue.
//
// Deprecated: engine machinery, now internal; it will be removed.
type Node[T any] = evictq.Node[T]

// NewNode returns a node holding item that expires at deadline (0 = never),
// keeping hash&HashMask.
//
// Deprecated: engine machinery, now internal; it will be removed.
func NewNode[T any](item T, deadline int64, hash uint64) *Node[T] {
	return evictq.NewNode(item, deadline, hash)
}

// Sketch is the admission filter's frequency sketch.
//
// Deprecated: engine machinery, now internal; it will be removed.
type Sketch = evictq.Sketch

// Window is the admission filter's adaptive window.
//
// Deprecated: engine machinery, now internal; it will be removed.
type Window = evictq.Window

// WindowCap returns the largest admission window of a queue of capacity
// entries.
//
// Deprecated: engine machinery, now internal; it will be removed.
func WindowCap(capacity int) int { return evictq.WindowCap(capacity) }

// HashMask selects the bits of a caller's hash that a node keeps.
//
// Deprecated: engine machinery, now internal; it will be removed.
const HashMask = evictq.HashMask

// AdmitMargin is how many more uses the sketch must count for a candidate
// than for the victim it would replace, in small queues.
//
// Deprecated: engine machinery, now internal; it will be removed.
const AdmitMargin = evictq.AdmitMargin
