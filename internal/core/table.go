package core

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/hotcache/hotcache/internal/evictq"
)

// entry is what a node carries: the key and the value, both immutable once
// the node is published.
type entry[K comparable, V any] struct {
	key K
	val V
}

type node[K comparable, V any] = evictq.Node[entry[K, V]]

// slotsPerBucket is 6 so that a bucket (8-byte meta word, 6 slot pointers, an
// overflow pointer) fills one 64-byte cache line on 64-bit platforms.
const slotsPerBucket = 6

// maxLoad is the average number of entries per bucket above which a table
// grows: 3/4 of the slots, so chains stay short.
const maxLoadNum, maxLoadDen = slotsPerBucket * 3, 4

// bucket holds up to slotsPerBucket nodes and links to an overflow bucket.
//
// meta has one byte per slot: 0 for an empty slot, otherwise the slot's tag
// (seven hash bits with the top bit set). Readers load meta, find the slots
// whose tag matches without touching the nodes, and compare full keys only
// there. Writers (holding the shard lock) store a slot before setting its
// tag and clear a tag before clearing its slot, so a reader that sees a tag
// finds a node, a stale node, or nil — and it always checks the key.
type bucket[K comparable, V any] struct {
	meta  atomic.Uint64
	slots [slotsPerBucket]atomic.Pointer[node[K, V]]
	next  atomic.Pointer[bucket[K, V]]
}

// table is a shard's index: a power-of-two array of bucket chains. A table
// is replaced, never resized in place, so readers holding an old table see a
// consistent (if stale) snapshot.
type table[K comparable, V any] struct {
	mask    uint64
	base    unsafe.Pointer // &buckets[0], for Engine.Get's unchecked index
	buckets []bucket[K, V]
}

func newTable[K comparable, V any](nbuckets int) *table[K, V] {
	bs := make([]bucket[K, V], nbuckets)
	return &table[K, V]{mask: uint64(nbuckets - 1), base: unsafe.Pointer(&bs[0]), buckets: bs}
}

// tag returns the meta byte for hash h: bits 24..30 with the top bit set.
// Shard selection uses the top bits and bucket selection the low bits, so
// the tag is independent of both for tables under 2^24 buckets (larger
// tables merely match more often). Nodes keep bits 0..30 of their hash
// (evictq.HashMask), which is all a table needs to re-index them.
func tag(h uint64) uint64 { return (h>>24)&0x7f | 0x80 }

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// matches returns the high bit of every meta byte equal to t. It may report
// a false positive above a true match (borrow propagation); callers check the
// key anyway.
func matches(meta, t uint64) uint64 {
	x := meta ^ (lsb * t)
	return (x - lsb) &^ x & msb
}

// find returns the node for key k with hash h, or nil. Lock-free.
func (t *table[K, V]) find(h uint64, k K) *node[K, V] {
	_, n := t.lookup(h, k)
	return n
}

// slot returns the slot holding key k with hash h, or nil. Caller holds the
// shard lock.
func (t *table[K, V]) slot(h uint64, k K) *atomic.Pointer[node[K, V]] {
	s, _ := t.lookup(h, k)
	return s
}

// lookup returns the slot holding key k with hash h and the node it held
// when k was found there, or nil, nil. Lock-free; Engine.Get has the same
// walk written out.
func (t *table[K, V]) lookup(h uint64, k K) (*atomic.Pointer[node[K, V]], *node[K, V]) {
	b := &t.buckets[h&t.mask]
	tg := tag(h)
	for {
		for m := matches(b.meta.Load(), tg); m != 0; m &= m - 1 {
			s := &b.slots[bits.TrailingZeros64(m)>>3]
			if n := s.Load(); n != nil && n.Item.key == k {
				return s, n
			}
		}
		if b = b.next.Load(); b == nil {
			return nil, nil
		}
	}
}

// insert adds n, whose key (hash h) is not in the table. Caller holds the
// shard lock. It allocates only when every bucket of the chain is full.
func (t *table[K, V]) insert(h uint64, n *node[K, V]) {
	b := &t.buckets[h&t.mask]
	tg := tag(h)
	for {
		m := b.meta.Load()
		for i := 0; i < slotsPerBucket; i++ {
			if m>>(i*8)&0xff == 0 {
				b.slots[i].Store(n)
				b.meta.Store(m | tg<<(i*8))
				return
			}
		}
		next := b.next.Load()
		if next == nil {
			nb := &bucket[K, V]{}
			nb.slots[0].Store(n)
			nb.meta.Store(tg)
			b.next.Store(nb)
			return
		}
		b = next
	}
}

// remove deletes node n (hash h) from the table and reports whether it was
// there. Caller holds the shard lock.
func (t *table[K, V]) remove(h uint64, n *node[K, V]) bool {
	for b := &t.buckets[h&t.mask]; b != nil; b = b.next.Load() {
		m := b.meta.Load()
		for i := 0; i < slotsPerBucket; i++ {
			if b.slots[i].Load() == n {
				b.meta.Store(m &^ (0xff << (i * 8)))
				b.slots[i].Store(nil)
				return true
			}
		}
	}
	return false
}

// bucketsFor returns the number of buckets a shrinking table holding n
// entries gets: the smallest power of two that keeps the load under half the
// maximum, so it does not grow again right away. (A growing table doubles.)
func bucketsFor(n int) int {
	nb := 1
	for nb*maxLoadNum/maxLoadDen < 2*n {
		nb <<= 1
	}
	return nb
}
