package core

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Get returns the value of k and true if a live entry holds it. Lock-free;
// on a hit it sets the entry's visited bit if it is not already set.
//
// This is the product's hot path, so it is written out: the index walk of
// table.lookup, then the deadline, the visited bit and the value, all inlined
// (see inlineBodies in packages shard and shardimpl). A call per step
// cost 10–15% of a hit.
func (e *Engine[K, V]) Get(h uint64, k K) (V, bool) {
	// uint8: tables has 256 entries and h>>shift < len(shards) <= 256, so
	// the index needs no bounds check.
	t := e.tables[uint8(h>>e.shift)].Load()
	// Safety: t.mask is len(t.buckets)-1, so the bucket is in the array.
	b := (*bucket[K, V])(unsafe.Add(t.base, uintptr(h&t.mask)*unsafe.Sizeof(bucket[K, V]{})))
	tg := tag(h)
	for {
		for m := matches(b.meta.Load(), tg); m != 0; m &= m - 1 {
			// Safety: matches reports only bytes whose top bit is set in
			// meta, and only the slotsPerBucket low bytes can have it.
			n := (*atomic.Pointer[node[K, V]])(unsafe.Add(unsafe.Pointer(&b.slots), uintptr(bits.TrailingZeros64(m)>>3)*unsafe.Sizeof(b.slots[0]))).Load()
			if n == nil || n.Item.key != k {
				continue
			}
			// The deadline is read before the value: a writer updating in
			// place stores the value first, so a fresh deadline implies a
			// fresh value.
			if d := n.Deadline(); d != 0 {
				var now int64
				if c := e.coarse; c != nil {
					now = c.Now() // e.now, inlined
				} else {
					now = e.clk.Now()
				}
				if now >= d {
					e.miss()
					var zero V
					return zero, false
				}
				if d-now < e.slideBelow {
					e.slide(n, d, now) // Options.ExpireAfterAccess (access.go)
				}
			}
			n.Visit()
			e.hit()
			return e.value(n), true
		}
		if b = b.next.Load(); b == nil {
			e.miss()
			var zero V
			return zero, false
		}
	}
}

// GetKey is [Engine.Get] of k hashed with the engine's own hash (the hash
// NewEngine was given, or the default one): shard.Cache.Get is this one
// call. The default hashes of 8-byte integers and of 8–32-byte strings are
// inlined; other keys take one call. After the hash it is Get's body, line
// for line (TestGetKey_IsGet checks that the two stay the same): a Get
// behind a second call cost ~15% of a hit.
func (e *Engine[K, V]) GetKey(k K) (V, bool) {
	var h uint64
	switch e.kind {
	case KindWord:
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		h = HashUint64(e.seed, *(*uint64)(unsafe.Pointer(&k)))
	case KindString:
		// Safety: KindString means K's underlying type is string.
		s := *(*string)(unsafe.Pointer(&k))
		switch n := len(s); {
		case n >= 8 && n <= 16:
			h = HashString8to16(e.seed, s)
		case n > 16 && n <= 32:
			// hashPair, written out: its parts inline, it does not.
			p := unsafe.Pointer(unsafe.StringData(s))
			h = mum(mul16(unsafe.Add(p, n-16), e.seed.s0, e.seed.word)^mul16(p, e.seed.s1, e.seed.word)^uint64(n), e.seed.s1)
		default:
			h = HashString(e.seed, s)
		}
	default:
		h = e.hash(e.seed, k)
	}
	// uint8: tables has 256 entries and h>>shift < len(shards) <= 256, so
	// the index needs no bounds check.
	t := e.tables[uint8(h>>e.shift)].Load()
	// Safety: t.mask is len(t.buckets)-1, so the bucket is in the array.
	b := (*bucket[K, V])(unsafe.Add(t.base, uintptr(h&t.mask)*unsafe.Sizeof(bucket[K, V]{})))
	tg := tag(h)
	for {
		for m := matches(b.meta.Load(), tg); m != 0; m &= m - 1 {
			// Safety: matches reports only bytes whose top bit is set in
			// meta, and only the slotsPerBucket low bytes can have it.
			n := (*atomic.Pointer[node[K, V]])(unsafe.Add(unsafe.Pointer(&b.slots), uintptr(bits.TrailingZeros64(m)>>3)*unsafe.Sizeof(b.slots[0]))).Load()
			if n == nil || n.Item.key != k {
				continue
			}
			// The deadline is read before the value: a writer updating in
			// place stores the value first, so a fresh deadline implies a
			// fresh value.
			if d := n.Deadline(); d != 0 {
				var now int64
				if c := e.coarse; c != nil {
					now = c.Now() // e.now, inlined
				} else {
					now = e.clk.Now()
				}
				if now >= d {
					e.miss()
					var zero V
					return zero, false
				}
				if d-now < e.slideBelow {
					e.slide(n, d, now) // Options.ExpireAfterAccess (access.go)
				}
			}
			n.Visit()
			e.hit()
			return e.value(n), true
		}
		if b = b.next.Load(); b == nil {
			e.miss()
			var zero V
			return zero, false
		}
	}
}

// HashKey returns the hash of k that every method taking a hash expects:
// the engine's own hash (the one NewEngine was given, or the default one).
// The default hashes of 8-byte integers and strings are called directly,
// not through a func value. GetKey writes the same hash out inline
// (TestGetKey_SameHashAsTheOtherMethods checks that they agree).
func (e *Engine[K, V]) HashKey(k K) uint64 {
	switch e.kind {
	case KindWord:
		// Safety: KindWord means K's underlying type is an 8-byte integer.
		return HashUint64(e.seed, *(*uint64)(unsafe.Pointer(&k)))
	case KindString:
		// Safety: KindString means K's underlying type is string.
		return HashString(e.seed, *(*string)(unsafe.Pointer(&k)))
	}
	return e.hash(e.seed, k)
}

// hit and miss count a read for Stats if Options.CountHits asked for it.
func (e *Engine[K, V]) hit() {
	if e.reads.stripes != nil {
		e.reads.hit()
	}
}

func (e *Engine[K, V]) miss() {
	if e.reads.stripes != nil {
		e.reads.miss()
	}
}

// Peek is Get without the visited bit and without counting.
func (e *Engine[K, V]) Peek(h uint64, k K) (V, bool) {
	v, _, ok := e.GetWithDeadline(h, k)
	return v, ok
}

// GetWithDeadline is Peek that also returns the entry's deadline in
// nanoseconds since the Unix epoch (0 if it never expires).
func (e *Engine[K, V]) GetWithDeadline(h uint64, k K) (V, int64, bool) {
	if n := e.shard(h).table.Load().find(h, k); n != nil {
		if d := n.Deadline(); d == 0 || e.now() < d {
			return e.value(n), d, true
		}
	}
	var zero V
	return zero, 0, false
}
