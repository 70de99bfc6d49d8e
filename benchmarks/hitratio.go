package benchmarks

import "math"

// Replay runs keys through c single-threaded, as a demand-filled cache is
// used: Get, and on a miss Set. It returns the number of hits. Build c with
// Config.Sync so that caches with background work apply each Set before the
// next request.
func Replay(c Cache[uint64], keys []uint64) int {
	hits := 0
	for i, k := range keys {
		if _, ok := c.Get(k); ok {
			hits++
		} else {
			c.Set(k, uint64(i))
		}
	}
	return hits
}

// Unique returns the number of distinct keys (the footprint).
func Unique(keys []uint64) int {
	_, n := dense(keys)
	return n
}

// dense renumbers keys 0, 1, 2, … in order of first appearance.
func dense(keys []uint64) ([]int32, int) {
	ids := make(map[uint64]int32, len(keys)/4)
	out := make([]int32, len(keys))
	for i, k := range keys {
		id, ok := ids[k]
		if !ok {
			id = int32(len(ids))
			ids[k] = id
		}
		out[i] = id
	}
	return out, len(ids)
}

// LRUHits is the number of hits of an exact LRU cache of the given capacity
// on keys (Get; on a miss insert, evicting the least recently used).
func LRUHits(keys []uint64, capacity int) int {
	if capacity <= 0 {
		return 0
	}
	ids, n := dense(keys)
	const none = -1
	prev := make([]int32, n)
	next := make([]int32, n)
	in := make([]bool, n)
	head, tail := int32(none), int32(none) // head is the most recent
	unlink := func(x int32) {
		if prev[x] != none {
			next[prev[x]] = next[x]
		} else {
			head = next[x]
		}
		if next[x] != none {
			prev[next[x]] = prev[x]
		} else {
			tail = prev[x]
		}
	}
	pushFront := func(x int32) {
		prev[x], next[x] = none, head
		if head != none {
			prev[head] = x
		}
		head = x
		if tail == none {
			tail = x
		}
	}
	hits, size := 0, 0
	for _, x := range ids {
		if in[x] {
			hits++
			unlink(x)
			pushFront(x)
			continue
		}
		if size == capacity {
			in[tail] = false
			unlink(tail)
			size--
		}
		in[x] = true
		pushFront(x)
		size++
	}
	return hits
}

// OPTHits is the number of hits of Belady's optimal policy with the given
// capacity on keys, computed offline from each request's next use: on a
// miss, of the cached keys and the requested one, the one used again
// farthest in the future (or never) is not kept. Admission is allowed (the
// requested key itself may be the one not kept), so this bounds every cache
// here, admission-filtered ones included.
func OPTHits(keys []uint64, capacity int) int {
	ids, n := dense(keys)
	// nextUse[i] is the position of the next request for ids[i]; requests
	// never repeated get distinct positions past the end.
	nextUse := make([]int, len(ids))
	last := make([]int, n)
	for i := range last {
		last[i] = math.MaxInt - i
	}
	for i := len(ids) - 1; i >= 0; i-- {
		nextUse[i] = last[ids[i]]
		last[ids[i]] = i
	}
	h := optHeap{pos: make([]int32, n)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	hits := 0
	for i, x := range ids {
		if h.pos[x] >= 0 {
			hits++
			h.update(x, nextUse[i])
			continue
		}
		if len(h.ids) < capacity {
			h.push(x, nextUse[i])
			continue
		}
		if len(h.ids) > 0 && h.prio[0] > nextUse[i] {
			h.replaceTop(x, nextUse[i])
		}
	}
	return hits
}

// optHeap is a max-heap of cached ids by next use, with each id's index.
type optHeap struct {
	ids  []int32
	prio []int
	pos  []int32 // index in ids, or -1 when not cached
}

func (h *optHeap) push(x int32, p int) {
	h.ids = append(h.ids, x)
	h.prio = append(h.prio, p)
	h.pos[x] = int32(len(h.ids) - 1)
	h.up(len(h.ids) - 1)
}

func (h *optHeap) update(x int32, p int) {
	i := int(h.pos[x])
	h.prio[i] = p // a key's next use only grows: sift up
	h.up(i)
}

func (h *optHeap) replaceTop(x int32, p int) {
	h.pos[h.ids[0]] = -1
	h.ids[0], h.prio[0] = x, p
	h.pos[x] = 0
	h.down(0)
}

func (h *optHeap) swap(i, j int) {
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
	h.prio[i], h.prio[j] = h.prio[j], h.prio[i]
	h.pos[h.ids[i]], h.pos[h.ids[j]] = int32(i), int32(j)
}

func (h *optHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h.prio[p] >= h.prio[i] {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *optHeap) down(i int) {
	for {
		l, big := 2*i+1, i
		if l < len(h.ids) && h.prio[l] > h.prio[big] {
			big = l
		}
		if r := l + 1; r < len(h.ids) && h.prio[r] > h.prio[big] {
			big = r
		}
		if big == i {
			return
		}
		h.swap(i, big)
		i = big
	}
}
