package core

import (
	"sync/atomic"
	"unsafe"

	"github.com/hotcache/hotcache/internal/evictq"
)

// How an engine allocates its nodes. A node of an engine with
// ExpireAfterAccess or RefreshAhead carries more than evictq.Node holds (a
// hard deadline; a refresh time), so it is allocated as the first field of
// a larger struct, and the engine reaches that struct from the node that
// the index and the queue hold. Which struct is fixed per engine, by
// NewEngine, in Engine.nodes: every node of an engine is of its kind.
// newNode is the only allocator of an engine's nodes, and accessOf and
// refreshOf the only ways back to the larger struct: each checks the
// engine's kind first and panics on a mismatch, so a conversion can never
// reach past a node's allocation (and checkptr, on under -race, checks
// the conversion itself).

// nodeKind is the struct an engine's nodes are the first field of.
type nodeKind uint8

const (
	plainNodes   nodeKind = iota // evictq.Node alone
	accessNodes                  // accessNode: Options.ExpireAfterAccess
	refreshNodes                 // refreshNode: Options.RefreshAhead
)

// nodeKindOf returns the kind of the nodes of an engine built with opts
// (ExpireAfterAccess and RefreshAhead exclude each other: see
// validateAccess).
func nodeKindOf[K comparable, V any](opts *Options[K, V]) nodeKind {
	switch {
	case opts.ExpireAfterAccess != 0:
		return accessNodes
	case opts.RefreshAhead != 0:
		return refreshNodes
	}
	return plainNodes
}

// accessNode is how an engine with ExpireAfterAccess allocates its nodes:
// the node, then its hard deadline. Tables and queues hold &an.node.
type accessNode[K comparable, V any] struct {
	node node[K, V]
	hard atomic.Int64 // the deadline from TTL or Expiry; 0 = none
}

// refreshNode is how an engine with RefreshAhead allocates its nodes: the
// node, then when to refresh it. Tables and queues hold &rn.node. This
// costs 16 bytes per entry, and only caches with RefreshAhead pay them.
type refreshNode[K comparable, V any] struct {
	node    node[K, V]
	at      int64       // refresh from this time on (nanoseconds); 0 = never
	started atomic.Bool // a refresh of this node has started
}

// newNode returns a node for k=v (hash h) expiring at d, of the engine's
// kind: with ExpireAfterAccess d is its hard deadline and the node's own
// deadline a lifetime from now (capped at d); with RefreshAhead it is due
// for refresh once Options.RefreshAhead of its lifetime has passed.
func (e *Engine[K, V]) newNode(h uint64, k K, v V, d int64) *node[K, V] {
	item := entry[K, V]{key: k, val: v}
	switch e.nodes {
	case accessNodes:
		an := &accessNode[K, V]{}
		an.node.Init(item, e.slid(d, e.now()), h)
		an.hard.Store(d)
		return &an.node
	case refreshNodes:
		rn := &refreshNode[K, V]{}
		rn.node.Init(item, d, h)
		if d != 0 {
			now := e.now()
			rn.at = now + int64(e.lo.refresh*float64(d-now))
		}
		return &rn.node
	}
	return evictq.NewNode(item, d, h)
}

// accessOf returns the accessNode that n, a node of this engine, is the
// first field of. It panics unless the engine's nodes are accessNodes.
func (e *Engine[K, V]) accessOf(n *node[K, V]) *accessNode[K, V] {
	if e.nodes != accessNodes {
		panic("core: accessOf on an engine without ExpireAfterAccess")
	}
	// Safety: every node of an engine whose nodes are accessNodes was
	// allocated by newNode as the first field of an accessNode, so n points
	// to the start of one and the conversion stays inside that allocation.
	return (*accessNode[K, V])(unsafe.Pointer(n))
}

// refreshOf returns the refreshNode that n, a node of this engine, is the
// first field of. It panics unless the engine's nodes are refreshNodes.
func (e *Engine[K, V]) refreshOf(n *node[K, V]) *refreshNode[K, V] {
	if e.nodes != refreshNodes {
		panic("core: refreshOf on an engine without RefreshAhead")
	}
	// Safety: as for accessOf, with refreshNode.
	return (*refreshNode[K, V])(unsafe.Pointer(n))
}
