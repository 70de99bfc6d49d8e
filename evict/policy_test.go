package evict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hotcache/hotcache/evict"
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
