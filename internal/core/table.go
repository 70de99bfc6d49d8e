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
// (seven hash bits with the top bit set); an overflow bucket keeps its
// owner in the two bytes above (see table). Readers load meta, find the slots
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
//
// Overflow buckets come from the table's free lists (free, one per group of
// groupSize chains), which chunks of fresh buckets refill (spare), and go
// back to them once a removal leaves them empty at the end of their chain
// (trim). A full cache thus inserts without allocating a bucket: its
// chains grow and shrink around a steady total, and the free lists hold
// what they last held at most (issue 22: an insert allocated an overflow
// bucket whenever a chain outgrew every length it had had, 1.003
// allocations per insert, and the 1M-entry benchmark held 1.5 B of
// overflow buckets per entry when filled and 6.1 B two turnovers later).
//
// A bucket moves to another chain only within its group, and carries its
// chain (its owner, the chain's index within the group) in the two top
// bytes of meta, which no tag can match (their top bits stay clear; see
// matches). Lock-free walkers see it as follows. A reader looking for a
// key that has left a bucket moved to another chain reads that chain's
// nodes and compares keys, as it does with any stale tag; it cannot miss
// a key of its own chain, since a bucket moves only once it is empty and
// last in its chain. A walker that collects every node (eachInChain,
// appendChain) would see the moved bucket's new nodes twice, once there
// and once from their own chain: it checks the owner before and after
// reading a bucket's slots, and ends the chain if it changed. spare sets
// the new owner before it stores a slot, so a node read from a bucket
// whose owner reads the same afterwards was in that bucket while it
// belonged to the walker's chain (a bucket that came back to the chain in
// between was emptied first: such a node has left the table).
type table[K comparable, V any] struct {
	mask    uint64
	base    unsafe.Pointer // &buckets[0], for Engine.Get's unchecked index
	buckets []bucket[K, V]
	free    []*bucket[K, V] // per group, free overflow buckets linked by next; nil until the first overflow
}

func newTable[K comparable, V any](nbuckets int) *table[K, V] {
	bs := make([]bucket[K, V], nbuckets)
	return &table[K, V]{mask: uint64(nbuckets - 1), base: unsafe.Pointer(&bs[0]), buckets: bs}
}

// groupBits is the log2 of the number of chains in a group: an owner is
// 14 bits, 7 in each of meta's two top bytes.
const (
	groupBits = 14
	groupSize = 1 << groupBits

	tagMask   = 1<<(8*slotsPerBucket) - 1 // the slots' tags in meta
	ownerMask = 0x7f7f << (8 * slotsPerBucket)
)

// ownerOf returns the owner bits of meta for an overflow bucket of chain bi.
func ownerOf(bi uint64) uint64 {
	o := bi & (groupSize - 1)
	return (o&0x7f | o>>7<<8) << (8 * slotsPerBucket)
}

// chunkOf returns how many fresh overflow buckets a table of nbuckets
// buckets allocates at once: about 1/128 of a group (a twentieth of the
// overflow a group needs at the maximum load), at least 1, at most 127. A
// chunk is one short of a power of two because the runtime puts an 8-byte
// header before an allocation of over 512 bytes that holds pointers: 128
// buckets would take 8200 bytes, rounded up to the 9472-byte size class,
// and 127 fit 8192. Filling a table, the last chunk of a group is half
// unused on average (0.07 B per entry at 1M entries); a full cache, whose
// overflow varies by a few buckets around its mean, allocates none once
// it has turned over.
func chunkOf(nbuckets int) int {
	return min(max(min(nbuckets, groupSize)/128, 2), 128) - 1
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
// a false positive above a true match (borrow propagation), but never one of
// the owner bytes, whose top bits are clear (t's is set); callers check the
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
// shard lock. It allocates only when every bucket of the chain is full and
// the free list of its group is empty (see spare).
func (t *table[K, V]) insert(h uint64, n *node[K, V]) {
	bi := h & t.mask
	b := &t.buckets[bi]
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
			nb := t.spare(bi)
			nb.slots[0].Store(n)
			nb.meta.Store(ownerOf(bi) | tg)
			b.next.Store(nb)
			return
		}
		b = next
	}
}

// spare returns an empty overflow bucket for chain bi, taken from the free
// list of its group (refilled with a chunk of fresh buckets if empty),
// owned by bi and linked to nothing. Caller holds the shard lock.
func (t *table[K, V]) spare(bi uint64) *bucket[K, V] {
	if t.free == nil {
		t.free = make([]*bucket[K, V], (len(t.buckets)+groupSize-1)>>groupBits)
	}
	g := bi >> groupBits
	b := t.free[g]
	if b == nil {
		bs := make([]bucket[K, V], chunkOf(len(t.buckets)))
		for j := range len(bs) - 1 {
			bs[j].next.Store(&bs[j+1])
		}
		b = &bs[0]
	}
	t.free[g] = b.next.Load()
	b.meta.Store(ownerOf(bi)) // the owner before any slot: see table
	b.next.Store(nil)
	return b
}

// remove deletes node n (hash h) from the table and reports whether it was
// there. Caller holds the shard lock.
func (t *table[K, V]) remove(h uint64, n *node[K, V]) bool {
	bi := h & t.mask
	head := &t.buckets[bi]
	for b := head; b != nil; b = b.next.Load() {
		m := b.meta.Load()
		for i := 0; i < slotsPerBucket; i++ {
			if b.slots[i].Load() == n {
				m &^= 0xff << (i * 8)
				b.meta.Store(m)
				b.slots[i].Store(nil)
				if b != head && m&tagMask == 0 && b.next.Load() == nil {
					t.trim(bi)
				}
				return true
			}
		}
	}
	return false
}

// trim moves the empty overflow buckets at the end of chain bi to the free
// list of its group. Caller holds the shard lock.
func (t *table[K, V]) trim(bi uint64) {
	last := &t.buckets[bi]
	for b := last.next.Load(); b != nil; b = b.next.Load() {
		if b.meta.Load()&tagMask != 0 {
			last = b
		}
	}
	b := last.next.Load()
	last.next.Store(nil)
	g := bi >> groupBits
	for b != nil {
		next := b.next.Load()
		b.next.Store(t.free[g]) // readers still in b go on into the free list: empty buckets, or others' chains
		t.free[g] = b
		b = next
	}
}

// eachInChain calls f for every node in chain bi of t. Lock-free: a node
// written during the walk may or may not be seen, and none is seen twice
// (see table). f may write to the table.
func (t *table[K, V]) eachInChain(bi int, f func(*node[K, V])) {
	var ns [slotsPerBucket]*node[K, V]
	b, own := &t.buckets[bi], ownerOf(uint64(bi))
	for primary := true; b != nil; primary = false {
		if !primary && b.meta.Load()&ownerMask != own {
			return // moved to another chain, so once last in this one
		}
		for j := range b.slots {
			ns[j] = b.slots[j].Load()
		}
		next := b.next.Load()
		if !primary && b.meta.Load()&ownerMask != own {
			return
		}
		for _, n := range ns {
			if n != nil {
				f(n)
			}
		}
		b = next
	}
}

// appendChain appends every node in chain bi of t to buf and returns it:
// eachInChain without a call per node.
func (t *table[K, V]) appendChain(buf []*node[K, V], bi int) []*node[K, V] {
	b, own := &t.buckets[bi], ownerOf(uint64(bi))
	for primary := true; b != nil; primary = false {
		if !primary && b.meta.Load()&ownerMask != own {
			break
		}
		l := len(buf)
		for j := range b.slots {
			if n := b.slots[j].Load(); n != nil {
				buf = append(buf, n)
			}
		}
		next := b.next.Load()
		if !primary && b.meta.Load()&ownerMask != own {
			clear(buf[l:])
			return buf[:l]
		}
		b = next
	}
	return buf
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
