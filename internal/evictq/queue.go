package evictq

import "fmt"

// Queue is a SIEVE or CLOCK eviction queue, optionally with a TinyLFU
// admission filter in front (see [Queue.EnableAdmission]). Its zero value is
// an empty SIEVE queue without admission. Queue is not safe for concurrent
// use: callers serialize every method (a cache holds its shard lock).
type Queue[T any] struct {
	policy Policy
	main   list[T]  // the policy's queue
	hand   *Node[T] // SIEVE: next node of main to examine; nil means its tail
	len    int      // nodes in main and the window

	// Admission (TinyLFU): new nodes enter a FIFO window, sized by win; the
	// oldest window node enters the main queue only if the sketch says it
	// is used more often than the main queue's victim.
	capacity int
	window   list[T] // nodes here carry windowBit
	wlen     int
	sketch   Sketch
	win      Window
	margin   int // Margin(capacity)
}

// list is a doubly linked list of nodes, head the newest, tail the oldest.
type list[T any] struct{ head, tail *Node[T] }

// push inserts n as the newest node.
func (l *list[T]) push(n *Node[T]) {
	n.older, n.newer = l.head, nil
	if l.head != nil {
		l.head.newer = n
	} else {
		l.tail = n
	}
	l.head = n
}

// unlink removes n, which must be in l.
func (l *list[T]) unlink(n *Node[T]) {
	if n.newer != nil {
		n.newer.older = n.older
	} else {
		l.head = n.older
	}
	if n.older != nil {
		n.older.newer = n.newer
	} else {
		l.tail = n.newer
	}
	n.newer, n.older = nil, nil
}

// replace puts n, which must not be in a list, in old's place.
func (l *list[T]) replace(old, n *Node[T]) {
	n.newer, n.older = old.newer, old.older
	if n.newer != nil {
		n.newer.older = n
	} else {
		l.head = n
	}
	if n.older != nil {
		n.older.newer = n
	} else {
		l.tail = n
	}
	old.newer, old.older = nil, nil
}

// NewQueue returns an empty queue using policy p.
func NewQueue[T any](p Policy) *Queue[T] { return &Queue[T]{policy: p} }

// Init empties the queue and sets its policy, keeping admission if it was
// enabled. Nodes still linked are abandoned, not unlinked.
func (q *Queue[T]) Init(p Policy) {
	c := q.capacity
	*q = Queue[T]{policy: p}
	if c > 0 {
		q.EnableAdmission(c)
	}
}

// EnableAdmission puts a TinyLFU admission filter in front of the policy,
// for a cache of the given capacity: new nodes enter a FIFO window, and a
// node leaving the window replaces the policy's victim only if a frequency
// sketch estimates it was used more often. This resists scans and loops
// larger than the cache, which plain SIEVE and CLOCK (like LRU) do not. The
// window starts at WindowPercent of the capacity and adapts between
// MinWindow and MaxWindowPercent (see [Window]): recency-heavy workloads
// grow it, so that the queue behaves more like its plain policy, and
// frequency-heavy ones shrink it. Call it on an empty queue, or before the
// queue's first eviction (nodes pushed before then stay in the main queue,
// as without admission: a cache bounded by weight sizes admission from the
// entries it holds when it first evicts). The sketch's
// and the window's memory (about 4 bytes per entry) is allocated at the
// first eviction.
//
// Frequencies are counted without touching the read path: a node counts a
// use when it is inserted or replaced, and when the hand (or the window's
// end) finds its visited bit set.
func (q *Queue[T]) EnableAdmission(capacity int) {
	q.capacity = max(capacity, 1)
	q.margin = Margin(q.capacity)
	q.win.Init(q.capacity)
}

// Admission reports whether the admission filter is enabled.
func (q *Queue[T]) Admission() bool { return q.capacity > 0 }

// WindowCap returns the admission window's initial size for a queue of the
// given capacity: WindowPercent of it, but at least MinWindow entries, and
// at most all entries but one (so that the main queue can keep a visited
// node: a window the size of the cache would be a FIFO).
func WindowCap(capacity int) int {
	return min(max(MinWindow, capacity*WindowPercent/100), maxWindow(capacity))
}

func (q *Queue[T]) windowCap() int { return q.win.Cap() }

// WindowLen returns the number of nodes in the admission window and the
// window's current capacity (0, 0 without admission). It is for tests,
// statistics and invariant checks.
func (q *Queue[T]) WindowLen() (n, capacity int) {
	if !q.Admission() {
		return 0, 0
	}
	return q.wlen, q.win.Cap()
}

// Policy returns the queue's policy.
func (q *Queue[T]) Policy() Policy { return q.policy }

// Len returns the number of nodes in the queue.
func (q *Queue[T]) Len() int { return q.len }

// Push inserts n as the newest node. The caller pushes a node for a key it
// did not hold (a miss); with admission, the window's adaptation reads that
// as a miss of n's hash (see [Window.Miss]).
func (q *Queue[T]) Push(n *Node[T]) {
	q.len++
	if !q.Admission() {
		q.main.push(n)
		return
	}
	q.sketch.Increment(n.Hash())
	q.win.Miss(n.Hash())
	n.hash |= windowBit
	q.window.push(n)
	q.wlen++
	for q.wlen > q.windowCap() {
		// The cache had room, or the window shrank: the oldest window node
		// moves on unopposed.
		q.promote(q.window.tail)
	}
}

// promote moves window node c to the head of the main queue, counting a use
// if it was visited in the window.
func (q *Queue[T]) promote(c *Node[T]) {
	q.unlinkWindow(c)
	if c.Visited() {
		q.sketch.Increment(c.Hash())
	}
	q.main.push(c)
}

// Remove unlinks n, which must be in q.
func (q *Queue[T]) Remove(n *Node[T]) {
	q.len--
	if n.hash&windowBit != 0 {
		q.unlinkWindow(n)
		return
	}
	if q.hand == n {
		q.hand = n.newer
	}
	q.main.unlink(n)
}

func (q *Queue[T]) unlinkWindow(n *Node[T]) {
	q.window.unlink(n)
	n.hash &^= windowBit
	q.wlen--
}

// Replace puts n, which must not be in a queue, in old's place; old must be
// in q and leaves it. The visited bit is not copied: callers decide (a
// visited bit is how a write to a live entry counts as a use, as a read
// does; see Touch for a write to an expired one).
func (q *Queue[T]) Replace(old, n *Node[T]) {
	if old.hash&windowBit != 0 {
		q.window.replace(old, n)
		n.hash |= windowBit
		old.hash &^= windowBit
	} else {
		q.main.replace(old, n)
	}
	if q.hand == old {
		q.hand = n
	}
}

// Touch counts a use of n, which is in q, in the admission filter's sketch
// at once (a no-op without admission). A cache calls it when a write
// revives an expired entry, which is a miss like an insert; a write to a
// live entry only sets the visited bit, like a read, and the hand counts
// it (writes to hot keys then cost no sketch update).
func (q *Queue[T]) Touch(n *Node[T]) { q.sketch.Increment(n.Hash()) }

// Evict chooses a victim, removes it from the queue and returns it with the
// reason: Expired if its deadline has passed at now, Capacity otherwise. It
// returns nil, 0 when the queue is empty.
//
// The hand walks from the oldest node of the main queue towards the newest
// (wrapping around), choosing the first node that is expired or not visited
// and clearing the visited bit of every node it passes; under CLOCK a passed
// node moves to the head instead of staying in place. With admission, when
// the window is full its oldest node competes with that choice: it takes the
// victim's place in the main queue if the sketch estimates it more frequent,
// and is evicted itself otherwise (the main queue's victim then stays, the
// hand on it); while the window is below its capacity, the main queue's
// victim is evicted without a contest. An expired node is evicted first
// either way. The window's adaptation remembers each node evicted for
// capacity (see [Window]).
func (q *Queue[T]) Evict(now int64) (*Node[T], Reason) {
	if q.len == 0 {
		return nil, 0
	}
	if q.Admission() && q.sketch.Size() == 0 {
		q.sketch.Resize(q.capacity)
	}
	if q.Admission() && q.wlen > 0 && (q.wlen >= q.windowCap() || q.main.head == nil) {
		c := q.window.tail
		if c.Expired(now) || q.main.head == nil {
			q.Remove(c)
			return c, reason(c, now)
		}
		v := q.victim(now)
		if v.Expired(now) {
			q.Remove(v)
			return v, Expired
		}
		if c.Visited() {
			q.sketch.Increment(c.Hash())
			c.Unvisit() // counted once; it must earn the bit again
		}
		if q.sketch.Frequency(c.Hash()) > q.sketch.Frequency(v.Hash())+q.margin {
			q.Remove(v)
			q.win.Evicted(v.Hash())
			q.unlinkWindow(c)
			q.main.push(c)
			return v, Capacity
		}
		q.Remove(c)
		q.win.Rejected(c.Hash())
		return c, Capacity
	}
	v := q.victim(now)
	q.Remove(v)
	r := reason(v, now)
	if r == Capacity && q.Admission() {
		q.win.Evicted(v.Hash())
	}
	return v, r
}

func reason[T any](n *Node[T], now int64) Reason {
	if n.Expired(now) {
		return Expired
	}
	return Capacity
}

// victim walks the main queue's hand to the node the policy would evict
// next (expired or not visited) and returns it without removing it. The
// main queue must not be empty. Under SIEVE the hand is left on the victim,
// so removing it moves the hand to the next newer node.
func (q *Queue[T]) victim(now int64) *Node[T] {
	if q.policy == CLOCK {
		for {
			n := q.main.tail
			if n.Expired(now) || !n.Visited() {
				return n
			}
			q.pass(n)
			q.Remove(n)
			q.len++ // Remove counted it out; it stays
			q.main.push(n)
		}
	}
	n := q.hand
	if n == nil {
		n = q.main.tail
	}
	for {
		if n.Expired(now) || !n.Visited() {
			q.hand = n
			return n
		}
		q.pass(n)
		n = n.newer
		if n == nil {
			n = q.main.tail
		}
	}
}

// pass clears a visited node's bit as the hand passes it, counting the use.
func (q *Queue[T]) pass(n *Node[T]) {
	n.Unvisit()
	q.sketch.Increment(n.Hash())
}

// Oldest returns the oldest node of the main queue, or nil if it is empty.
func (q *Queue[T]) Oldest() *Node[T] { return q.main.tail }

// Newer returns the node inserted after n (towards the head of its list),
// or nil.
func (q *Queue[T]) Newer(n *Node[T]) *Node[T] { return n.newer }

// Each calls f for every node: the main queue from oldest to newest, then
// the window from oldest to newest. f must not modify the queue.
func (q *Queue[T]) Each(f func(*Node[T])) {
	for n := q.main.tail; n != nil; n = n.newer {
		f(n)
	}
	for n := q.window.tail; n != nil; n = n.newer {
		f(n)
	}
}

// Hand returns the node the SIEVE hand will examine next (nil means the
// oldest). It is for tests and invariant checks.
func (q *Queue[T]) Hand() *Node[T] { return q.hand }

// Check walks the queue and returns an error describing the first broken
// invariant (links that do not agree, a length that does not match, a hand
// outside the main queue, a node in the wrong list), or nil.
func (q *Queue[T]) Check() error {
	mainLen, err := checkList(q.main, 0, q.len)
	if err != nil {
		return fmt.Errorf("evict: main queue: %w", err)
	}
	winLen, err := checkList(q.window, windowBit, q.len)
	if err != nil {
		return fmt.Errorf("evict: window: %w", err)
	}
	if mainLen+winLen != q.len {
		return fmt.Errorf("evict: %d nodes linked, Len is %d", mainLen+winLen, q.len)
	}
	if winLen != q.wlen {
		return fmt.Errorf("evict: %d window nodes linked, window length is %d", winLen, q.wlen)
	}
	if q.Admission() && q.wlen > q.windowCap() {
		return fmt.Errorf("evict: window holds %d nodes, more than its %d", q.wlen, q.windowCap())
	}
	if c := q.windowCap(); q.Admission() && (c < min(MinWindow, maxWindow(q.capacity)) || c > maxWindow(q.capacity)) {
		return fmt.Errorf("evict: window capacity %d outside [%d, %d]", c, min(MinWindow, maxWindow(q.capacity)), maxWindow(q.capacity))
	}
	if q.hand != nil {
		found := false
		for n := q.main.tail; n != nil; n = n.newer {
			found = found || n == q.hand
		}
		if !found {
			return fmt.Errorf("evict: hand is not in the main queue")
		}
	}
	return nil
}

func checkList[T any](l list[T], flag uint32, limit int) (int, error) {
	count := 0
	var prev *Node[T]
	for n := l.tail; n != nil; n = n.newer {
		if n.older != prev {
			return count, fmt.Errorf("node %d: older link does not match", count)
		}
		if n.hash&windowBit != flag {
			return count, fmt.Errorf("node %d: window mark is wrong", count)
		}
		prev = n
		count++
		if count > limit {
			return count, fmt.Errorf("more nodes linked than Len %d", limit)
		}
	}
	if prev != l.head {
		return count, fmt.Errorf("head is not the newest node")
	}
	return count, nil
}
