package evictq

// Window sizes a TinyLFU admission window adaptively; a [Queue] with
// admission uses one, and exposes it so that a model of the queue can make
// the same decisions.
//
// It remembers, as ghosts, the keys that most recently left the cache, in
// two equal sets: the last GhostPercent of the capacity that the window
// evicted (candidates the admission filter rejected), and as many that the
// main queue evicted. When a key comes back (a miss, reported by
// [Window.Miss]) while its ghost is remembered, the ghost tells which part
// of the cache would have kept it had it been a little larger: a window
// ghost means a larger window would have hit, a main ghost that a larger
// main queue would have. The window grows or shrinks accordingly, by
// 1/WindowStepDivisor of the capacity (at least one entry, at most
// MaxWindowStep), between
// MinWindow and MaxWindowPercent of the capacity, much as ARC balances its
// two lists (Megiddo and Modha, FAST 2003). Keeping the
// two sets equal in size, rather than one shared history, compares the two
// parts at the same margin: the window sees every new key, so its ghosts
// turn over much faster than the main queue's.
//
// The signal comes only from misses and evictions, which a cache sees under
// its lock; reads are not counted. The decisions depend only on the calls
// received, never on time. The ghosts are 16-bit fingerprints, four to a
// word, replaced oldest first within each word: about 0.1 byte per entry of
// capacity, allocated at the first eviction.
//
// The zero Window is unusable; call Init. Not safe for concurrent use.
type Window struct {
	capacity int
	size     int      // the window's current capacity
	ghosts   []uint64 // buckets of four 16-bit ghosts, newest in the low bits
}

// Init sets the window up for a queue of the given capacity, at its initial
// size, with no ghosts.
func (w *Window) Init(capacity int) {
	*w = Window{capacity: max(capacity, 1)}
	w.size = WindowCap(w.capacity)
}

// clamp bounds a window size to [MinWindow, MaxWindowPercent of the
// capacity], leaving at least one entry to the main queue (see WindowCap).
func (w *Window) clamp(n int) int {
	hi := maxWindow(w.capacity)
	return min(max(n, MinWindow, 1), max(w.capacity*MaxWindowPercent/100, 1), hi)
}

// maxWindow is the largest window a queue of the given capacity may have:
// all but one entry, so that a visited node can stay in the main queue
// while new ones come and go (a window the size of the cache is a FIFO);
// one entry for a one-entry queue.
func maxWindow(capacity int) int { return max(capacity-1, 1) }

// Cap returns the window's current capacity.
func (w *Window) Cap() int { return w.size }

// ghost returns the bucket index (in a table of n buckets) and the
// fingerprint of hash h.
func ghost(h uint64, n int) (int, uint64) {
	m := (h & HashMask) * 0x9e3779b97f4a7c15
	b := int((m >> 32) * uint64(n) >> 32)
	fp := (m >> 16) & 0xffff
	if fp == 0 {
		fp = 1
	}
	return b, fp
}

// table returns the ghost table of the given kind (0: window, 1: main).
func (w *Window) table(kind int) []uint64 {
	if w.ghosts == nil {
		n := max(w.capacity*GhostPercent/100/4, 1)
		w.ghosts = make([]uint64, 2*n)
	}
	n := len(w.ghosts) / 2
	return w.ghosts[kind*n : (kind+1)*n]
}

// remember records a ghost of hash h of the given kind.
func (w *Window) remember(h uint64, kind int) {
	t := w.table(kind)
	b, fp := ghost(h, len(t))
	t[b] = t[b]<<16 | fp
}

// forget removes the ghost with fingerprint fp from bucket b of the table
// of the given kind and reports whether there was one.
func (w *Window) forget(b int, fp uint64, kind int) bool {
	t := w.table(kind)
	g := t[b]
	for i := uint(0); i < 64; i += 16 {
		if g>>i&0xffff == fp {
			t[b] = g &^ (0xffff << i)
			return true
		}
	}
	return false
}

// Rejected records that the window evicted the node with hash h.
func (w *Window) Rejected(h uint64) { w.remember(h, 0) }

// Evicted records that the main queue evicted the node with hash h.
func (w *Window) Evicted(h uint64) { w.remember(h, 1) }

// Miss reports that the key with hash h is being inserted after a miss.
// If its ghost is remembered, the window grows (a window ghost) or shrinks
// (a main ghost), and the ghost is forgotten.
func (w *Window) Miss(h uint64) {
	if w.ghosts == nil {
		return
	}
	b, fp := ghost(h, len(w.ghosts)/2) // the two tables are the same size
	d := 0
	if w.forget(b, fp, 0) {
		d++
	}
	if w.forget(b, fp, 1) {
		d--
	}
	w.size = w.clamp(w.size + d*min(max(1, w.capacity/WindowStepDivisor), MaxWindowStep))
}
