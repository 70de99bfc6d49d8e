package evictq

// EvictionOrder calls f for every node in the order in which the queue
// examines them for eviction, until f returns false: with admission, the
// window from its oldest node (the next to compete for a place in the main
// queue); then the main queue from the node the SIEVE hand examines next
// towards the newest, wrapping around to the oldest and ending just before
// the hand (under CLOCK, from the oldest to the newest). Which of these
// nodes the queue evicts first also depends on their visited bits, their
// deadlines and, with admission, their frequencies: see [Queue.Evict].
// f must not modify the queue.
func (q *Queue[T]) EvictionOrder(f func(*Node[T]) bool) {
	for n := q.window.tail; n != nil; n = n.newer {
		if !f(n) {
			return
		}
	}
	start := q.hand
	if start == nil || q.policy == CLOCK {
		start = q.main.tail
	}
	for n := start; n != nil; n = n.newer {
		if !f(n) {
			return
		}
	}
	if start == q.main.tail {
		return
	}
	for n := q.main.tail; n != start; n = n.newer {
		if !f(n) {
			return
		}
	}
}

// CompareAndSwapDeadline sets the node's deadline to d if it is still old,
// and reports whether it did. Safe to call concurrently with readers and
// with the writers that SetDeadline serializes: a reader that extends a
// deadline (a sliding expiry) loses to a writer's new one.
func (m *meta) CompareAndSwapDeadline(old, d int64) bool { return m.deadline.CompareAndSwap(old, d) }
