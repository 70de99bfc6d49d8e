package evict

import (
	"os"
	"strconv"
	"strings"
)

// tunables (temporary, for experiments).
var (
	tuneMaxPct   = 80
	tuneStartPct = 1
	tuneStep     = 1
	tuneGhostPct = 100
)

func init() {
	for _, kv := range strings.Split(os.Getenv("HC_TUNE"), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(v)
		switch k {
		case "max":
			tuneMaxPct = n
		case "start":
			tuneStartPct = n
		case "step":
			tuneStep = n
		case "ghost":
			tuneGhostPct = n
		}
	}
}

// Window sizes a TinyLFU admission window adaptively. It remembers, as
// ghosts, the keys that recently left the cache: those the window evicted
// (candidates the admission filter rejected) and those the main queue
// evicted. When a key comes back (a miss, reported by [Window.Miss]) while
// its ghost is remembered, the ghost says which part of the cache would
// have kept it: a window ghost means a larger window would have hit, a main
// ghost that a larger main queue would have. The window grows or shrinks by
// one entry accordingly, between MinWindow and MaxWindowPercent of the
// capacity, as ARC balances its two lists (Megiddo and Modha, FAST 2003).
//
// The signal comes only from misses and evictions, which a cache sees under
// its lock; reads are not counted. The decisions depend only on the calls
// received, never on time. The ghosts cost 2 bytes per entry of capacity,
// allocated at the first eviction.
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
	w.size = w.clamp(w.capacity * tuneStartPct / 100)
}

func (w *Window) clamp(n int) int {
	hi := max(w.capacity*tuneMaxPct/100, 1)
	return min(max(n, MinWindow, 1), hi, w.capacity)
}

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
		n := max(w.capacity*tuneGhostPct/100/4, 1)
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

// forget removes the ghost of hash h of the given kind and reports whether
// there was one.
func (w *Window) forget(h uint64, kind int) bool {
	t := w.table(kind)
	b, fp := ghost(h, len(t))
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
	d := 0
	if w.forget(h, 0) {
		d += tuneStep
	}
	if w.forget(h, 1) {
		d -= tuneStep
	}
	w.size = w.clamp(w.size + d)
}
