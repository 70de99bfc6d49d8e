package generated

import (
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// TestGeneratedCache_FollowsBubbleTimeAndIsCollected runs issue 10 items 2
// and 8 on a generated cache: inside a synctest bubble it expires entries by
// the bubble's time and, closed, leaves nothing behind; forgotten with an
// OnEvict that refers to it, it is collected.
func TestGeneratedCache_FollowsBubbleTimeAndIsCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := NewStringCache(shard.Options[string, string]{Capacity: 10, TTL: time.Minute})
		require.NoError(t, err)
		defer c.Close()
		c.Set("k", "v")
		time.Sleep(61 * time.Second)
		_, ok := c.Get("k")
		assert.False(t, ok, "gone after 61 s of bubble time")
	})

	collected := make(chan struct{})
	func() {
		var c *StringCache
		c = mustNew(NewStringCache(shard.Options[string, string]{Capacity: 10,
			OnEvict: func(k, _ string, _ evict.Reason) { c.Delete(k + "'") }}))
		c.Set("a", "1")
		c.Delete("a")
		runtime.AddCleanup(c, func(ch chan struct{}) { close(ch) }, collected)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the forgotten generated cache was not collected in 10 s")
		}
	}
}

func mustNew[C any](c C, err error) C {
	if err != nil {
		panic(err)
	}
	return c
}
