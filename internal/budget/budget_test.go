package budget_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/internal/budget"
)

func TestBudgetTake_StopsAtTheBounds(t *testing.T) {
	var b budget.Budget
	b.Init(2, 10)
	var r1, r2, r3 budget.Room
	require.True(t, b.Take(&r1, 4))
	require.True(t, b.Take(&r2, 6))
	assert.False(t, b.Take(&r3, 1), "no entry slot left")
	c, w := b.Used()
	assert.Equal(t, int64(2), c)
	assert.Equal(t, uint64(10), w)
	b.GiveBack(&r3)
	assert.Equal(t, budget.Room{}, r3)

	// An evicted entry hands its room over: the usage does not move.
	r3.Hand(6)
	require.True(t, b.Take(&r3, 5), "the victim's room suffices")
	c, w = b.Used()
	assert.Equal(t, int64(2), c)
	assert.Equal(t, uint64(9), w, "the excess weight went back")
	assert.False(t, b.Over())
}

func TestBudgetTake_GivesBackExcessSlots(t *testing.T) {
	var b budget.Budget
	b.Init(3, 0)
	for range 3 {
		var r budget.Room
		require.True(t, b.Take(&r, 0))
	}
	var r budget.Room
	for range 3 { // a write that evicted three entries holds their room
		r.Hand(0)
	}
	require.True(t, b.Take(&r, 0))
	c, _ := b.Used()
	assert.Equal(t, int64(1), c, "one slot kept, two returned")
}

func TestBudgetForce_OverUntilReleased(t *testing.T) {
	var b budget.Budget
	b.Init(1, 0)
	var r1, r2 budget.Room
	require.True(t, b.Take(&r1, 0))
	require.False(t, b.Take(&r2, 0))
	b.Force(&r2, 0)
	assert.True(t, b.Over())
	b.Release(0) // another shard evicts
	assert.False(t, b.Over())
	b.Readmit(0)
	assert.True(t, b.Over())
	b.ReleaseAll(2, 0)
	c, _ := b.Used()
	assert.Equal(t, int64(0), c)
}

func TestBudget_Unbounded(t *testing.T) {
	var b budget.Budget
	b.Init(0, 0)
	var r budget.Room
	for range 100 {
		require.True(t, b.Take(&r, 7))
		r.Spend()
	}
	c, w := b.Used()
	assert.Zero(t, c, "without bounds nothing is counted")
	assert.Zero(t, w)
	assert.False(t, b.Over())
}

// TestBudgetTake_ConcurrentNeverOver: writers racing for room never take
// more than the bounds, and what they give back is counted once.
func TestBudgetTake_ConcurrentNeverOver(t *testing.T) {
	var b budget.Budget
	b.Init(50, 500)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				var r budget.Room
				w := uint64(1 + (g+i)%20)
				if !b.Take(&r, w) {
					b.GiveBack(&r)
					continue
				}
				c, u := b.Used()
				assert.LessOrEqual(t, c, int64(50))
				assert.LessOrEqual(t, u, uint64(500))
				b.GiveBack(&r)
			}
		}()
	}
	wg.Wait()
	c, u := b.Used()
	assert.Zero(t, c)
	assert.Zero(t, u)
}
