package evict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/evictq"
)

func TestPolicyReason_String(t *testing.T) {
	assert.Equal(t, "SIEVE", evict.SIEVE.String())
	assert.Equal(t, "CLOCK", evict.CLOCK.String())
	assert.Equal(t, "Policy(7)", evict.Policy(7).String())
	assert.False(t, evict.Policy(7).Valid())
	for r, want := range map[evict.Reason]string{evict.Capacity: "capacity", evict.Expired: "expired", evict.Deleted: "deleted", evict.Replaced: "replaced", 0: "Reason(0)"} {
		assert.Equal(t, want, r.String())
	}
}

// TestDeprecatedNames_StillBuild: code written against the versions that
// exported the queue from this package keeps building and working through
// the deprecated aliases.
func TestDeprecatedNames_StillBuild(t *testing.T) {
	q := evict.NewQueue[int](evict.CLOCK)
	if q.Policy() != evict.CLOCK {
		t.Fatalf("Policy() = %v, want evict.CLOCK", q.Policy())
	}
	var n *evict.Node[int] = evict.NewNode(7, 0, 42)
	q.Push(n)
	if q.Len() != 1 || n.Hash() != 42&evict.HashMask {
		t.Fatalf("Len %d, Hash %d after Push", q.Len(), n.Hash())
	}
	v, r := q.Evict(0)
	if v != n || r != evict.Capacity {
		t.Fatalf("Evict = %v, %v; want the node, evict.Capacity", v, r)
	}
	var _ evict.Sketch
	var _ evict.Window
	if evict.WindowCap(1000) <= 0 || evict.AdmitMargin < 0 {
		t.Fatalf("evict.WindowCap(1000) = %d, evict.AdmitMargin = %d", evict.WindowCap(1000), evict.AdmitMargin)
	}
}

// TestPolicyReason_AgreeWithTheQueue: the engine converts Policy and Reason
// to and from the queue's own types by value, so the values must agree.
func TestPolicyReason_AgreeWithTheQueue(t *testing.T) {
	assert.Equal(t, uint8(evict.SIEVE), uint8(evictq.SIEVE))
	assert.Equal(t, uint8(evict.CLOCK), uint8(evictq.CLOCK))
	assert.Equal(t, uint8(evict.Capacity), uint8(evictq.Capacity))
	assert.Equal(t, uint8(evict.Expired), uint8(evictq.Expired))
}
