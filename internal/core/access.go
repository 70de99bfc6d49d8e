package core

import (
	"fmt"
	"math"
)

// Sliding expiry (Options.ExpireAfterAccess).
//
// A node's deadline is the earlier of its hard deadline (from TTL, a
// per-call TTL, Expiry or ExpireAfter; 0 for none) and its last use plus
// ExpireAfterAccess. A write sets both. A read that finds the deadline
// less than 7/8 of ExpireAfterAccess away moves it to now +
// ExpireAfterAccess (capped at the hard deadline) with one compare-and-swap:
// a hit writes the node at most once per clock tick (the coarse clock's
// reading is the same for a whole tick, so after one extension the
// deadline is a full lifetime away until the next tick), and an entry read
// continuously, once per 1/8 of its lifetime. An idle entry thus expires
// between 7/8 of ExpireAfterAccess and ExpireAfterAccess after its last
// use, then at most one clock resolution late as every deadline is.
//
// The hard deadline lives next to the node (accessNode, see nodes.go), as
// RefreshAhead's refresh time does, and only caches with ExpireAfterAccess
// pay for it.

// slideNum/slideDen is the part of ExpireAfterAccess that must be left,
// at most, before a read extends the deadline: 7/8, so an idle entry may
// expire up to 1/8 early, and a hot entry's cache line is written once
// per 1/8 of its lifetime (and at most once per clock tick).
const slideNum, slideDen = 7, 8

// validateAccess checks Options.ExpireAfterAccess.
func (o *Options[K, V]) validateAccess() error {
	switch {
	case o.ExpireAfterAccess < 0:
		return fmt.Errorf("%sExpireAfterAccess must be >= 0, got %v", errPrefix, o.ExpireAfterAccess)
	case o.ExpireAfterAccess > 0 && o.RefreshAhead != 0:
		return fmt.Errorf("%sExpireAfterAccess and RefreshAhead exclude each other: a refresh is timed from a fixed deadline, which a sliding lifetime keeps moving", errPrefix)
	}
	return nil
}

// slid returns the deadline of an entry used at now whose hard deadline is
// hard (0 = none): now + ExpireAfterAccess, capped at hard.
func (e *Engine[K, V]) slid(hard, now int64) int64 {
	d := int64(math.MaxInt64)
	if now <= math.MaxInt64-e.access {
		d = now + e.access
	}
	if hard != 0 && hard < d {
		d = hard
	}
	return d
}

// setDeadline sets the deadline of n, being rewritten under the shard
// lock, to d: with ExpireAfterAccess, d is the hard deadline and the
// entry counts as used now.
func (e *Engine[K, V]) setDeadline(n *node[K, V], d int64) {
	if e.access != 0 {
		e.accessOf(n).hard.Store(d)
		d = e.slid(d, e.now())
	}
	n.SetDeadline(d)
}

// slide extends the deadline d of n, read live at now, to a lifetime from
// now. A write that changed the deadline since it was read wins. It is
// called from Get only when d is less than slideBelow away, which only
// ExpireAfterAccess makes possible, and is kept out of line so that Get's
// hit path stays as short as without it.
//
//go:noinline
func (e *Engine[K, V]) slide(n *node[K, V], d, now int64) {
	if nd := e.slid(e.accessOf(n).hard.Load(), now); nd > d {
		n.CompareAndSwapDeadline(d, nd)
	}
}

// touch is the sliding expiry of a read that found n live with deadline d
// (GetOrLoad's hit; Get has it inlined).
func (e *Engine[K, V]) touch(n *node[K, V], d int64) {
	if d != 0 && e.slideBelow != 0 {
		if now := e.now(); now < d && d-now < e.slideBelow {
			e.slide(n, d, now)
		}
	}
}

// hardDeadline returns the deadline n was written with: with
// ExpireAfterAccess its hard deadline, else its deadline.
func (e *Engine[K, V]) hardDeadline(n *node[K, V]) int64 {
	if e.access != 0 {
		return e.accessOf(n).hard.Load()
	}
	return n.Deadline()
}
