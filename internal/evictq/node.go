package evictq

import "sync/atomic"

// Node is an entry of a [Queue], carrying the caller's Item. A node belongs
// to at most one queue at a time.
//
// Item is written before the node is published to readers; a caller that
// changes it afterwards must do so atomically (shard does, for word-sized
// values). The deadline and the visited bit are atomic; the queue links are
// owned by the queue's caller.
type Node[T any] struct {
	meta // first, so the deadline is 64-bit aligned on 32-bit platforms

	// Item is the caller's payload (a cache stores the key and value here).
	Item T

	newer *Node[T]
	older *Node[T]
}

// meta is the part of a node that lock-free readers use. It is not generic
// on purpose: the compiler inlines its methods, atomics included, into
// other packages' generic code (a Get of shard), which it does not do for
// the methods of a generic type (measured with go1.26: a call per atomic
// load).
type meta struct {
	deadline atomic.Int64 // nanoseconds; 0 = never expires
	// visited is the visited bit (bit 0) and the node's weight (bits 1 to
	// 31). The weight is set before the node is published and never
	// changes after, so a reader's Store of the word it loaded with the bit
	// set writes back the same weight: the weight costs no space and the
	// read path no extra atomic.
	visited atomic.Uint32
	hash    uint32 // the caller's hash bits (HashMask) and windowBit; fills padding, so free
}

// HashMask selects the bits of a caller's hash that a node keeps (see
// [Node.Hash]).
const HashMask = 1<<31 - 1

// NewNode returns a node holding item that expires at deadline (0 = never).
// hash is the caller's hash of the item; the node keeps hash&HashMask, so
// that the caller can re-index it without hashing again and the policy can
// estimate its frequency.
func NewNode[T any](item T, deadline int64, hash uint64) *Node[T] {
	n := &Node[T]{Item: item}
	n.hash = uint32(hash & HashMask)
	n.deadline.Store(deadline)
	return n
}

// Init sets up a zero node that the caller allocated itself (embedded at
// the start of a larger struct, say) as NewNode would: it must not be in a
// queue or visible to other goroutines yet.
func (n *Node[T]) Init(item T, deadline int64, hash uint64) {
	n.Item, n.hash = item, uint32(hash&HashMask)
	n.deadline.Store(deadline)
}

// SetDeadline changes the node's deadline (0 = never). Safe to call
// concurrently with readers; the caller serializes writers.
func (m *meta) SetDeadline(d int64) { m.deadline.Store(d) }

// Unvisit clears the visited bit. The caller serializes writers; readers
// may set the bit concurrently.
func (m *meta) Unvisit() { m.visited.Store(m.visited.Load() &^ 1) }

// SetWeight sets the weight the node carries for its caller (0 to
// evict.MaxWeight; the queue does not read it). Call it only before the node is
// visible to other goroutines: a weight never changes while readers may
// set the visited bit.
func (m *meta) SetWeight(w uint32) { m.visited.Store(w << 1) }

// Weight returns the weight given by SetWeight (0 if none was).
func (m *meta) Weight() uint32 { return m.visited.Load() >> 1 }

// Hash returns the hash bits the node was created with (hash&HashMask).
func (m *meta) Hash() uint64 { return uint64(m.hash & HashMask) }

// Deadline returns the node's deadline in nanoseconds, or 0 if it never
// expires.
func (m *meta) Deadline() int64 { return m.deadline.Load() }

// Expired reports whether the node's deadline has passed at now.
func (m *meta) Expired(now int64) bool {
	d := m.deadline.Load()
	return d != 0 && now >= d
}

// Visit marks the node as recently used. It writes only if the bit is not
// already set, so that a hot node's cache line stays shared between cores.
// Safe to call concurrently with every other method.
func (m *meta) Visit() {
	if v := m.visited.Load(); v&1 == 0 {
		m.visited.Store(v | 1)
	}
}

// Visited reports whether the node was used since the hand last passed it.
func (m *meta) Visited() bool { return m.visited.Load()&1 != 0 }

// windowBit marks, in Node.hash, a node that is in the admission window.
const windowBit = 1 << 31
