package shard_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// A controller reloads its configuration: the cache's bound drops from
// 100 to 60 entries without rebuilding it. SetCapacity returns once the
// cache is within the new bound; the entries in use survive.
func ExampleCache_SetCapacity() {
	evicted := 0
	c := shard.Must(shard.Options[int, string]{
		Capacity: 100,
		OnEvict:  func(int, string, evict.Reason) { evicted++ },
	})
	defer c.Close()
	for i := range 100 {
		c.Set(i, fmt.Sprint("v", i))
	}
	c.Get(42) // in use

	if err := c.SetCapacity(-5); err != nil {
		fmt.Println(err)
	}
	if err := c.SetCapacity(60); err != nil {
		panic(err)
	}
	_, kept := c.Peek(42)
	fmt.Println(c.Len(), evicted, kept)
	// Output:
	// shard: SetCapacity(-5): capacity must be > 0
	// 60 40 true
}

// A cache bounded by bytes gets a smaller budget at run time.
func ExampleCache_SetMaxWeight() {
	c := shard.Must(shard.Options[string, []byte]{
		MaxWeight: 1 << 20,
		Weigher:   func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
	})
	defer c.Close()
	for i := range 100 {
		c.Set(fmt.Sprintf("blob-%02d", i), make([]byte, 1000-7)) // 1000 bytes each
	}
	if err := c.SetMaxWeight(10_000); err != nil {
		panic(err)
	}
	fmt.Println(c.Stats().Weight, c.Len())
	// Output: 10000 10
}

// Debugging a cache, or choosing what to warm elsewhere: the entries the
// policy would keep longest, and those it would evict first.
func ExampleCache_Hottest() {
	c := shard.Must(shard.Options[string, int]{Capacity: 10, Shards: 1, NoAdmission: true})
	defer c.Close()
	for i, k := range []string{"a", "b", "c", "d"} {
		c.Set(k, i)
	}
	c.Get("b")
	var hottest []string
	for k := range c.Hottest() {
		hottest = append(hottest, k)
	}
	fmt.Println(hottest)
	for k := range c.Coldest() {
		fmt.Println("next victim:", k)
		break
	}
	// Output:
	// [b d c a]
	// next victim: a
}

// Coldest yields the entries in the order the policy would evict them:
// unused before used, and never an expired one.
func ExampleCache_Coldest() {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := shard.Must(shard.Options[string, int]{Capacity: 10, Shards: 1, NoAdmission: true, Clock: clk})
	defer c.Close()
	c.Set("used", 1)
	c.Set("idle", 2)
	c.SetTTL("gone", 3, time.Second)
	c.Get("used")
	clk.Advance(time.Minute)
	for k, v := range c.Coldest() {
		fmt.Println(k, v)
	}
	// Output:
	// idle 2
	// used 1
}

// A controller restarted by a rollout starts warm: before it stops it
// saves its cache, and the new process loads the snapshot. Entries keep
// what was left of their lifetime, less the time the restart took; those
// that expired meanwhile are skipped.
func ExampleSave() {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	old := shard.Must(shard.Options[string, string]{Capacity: 1000, Clock: clk})
	old.SetTTL("ghcr.io", "token-1", 10*time.Minute)
	old.SetTTL("quay.io", "token-2", 30*time.Second)
	old.Set("docker.io", "token-3") // no expiry
	var snapshot bytes.Buffer       // a file, in a real controller
	if err := shard.Save(&snapshot, old); err != nil {
		panic(err)
	}
	old.Close()

	clk.Advance(time.Minute) // the restart
	fresh := shard.Must(shard.Options[string, string]{Capacity: 1000, Clock: clk})
	defer fresh.Close()
	n, err := shard.Load(&snapshot, fresh)
	if err != nil {
		panic(err)
	}
	_, exp, _ := fresh.GetWithExpiry("ghcr.io")
	fmt.Println(n, exp.Sub(clk.Time()))

	_, err = shard.Load(bytes.NewReader([]byte("not a snapshot")), fresh)
	fmt.Println(err)
	// Output:
	// 2 9m0s
	// shard: bad snapshot: not a hotcache snapshot (reading its header: unexpected EOF)
}

// Sessions expire after 30 minutes without use, and after 12 hours in
// any case: ExpireAfterAccess with TTL, the earlier deadline wins.
func ExampleOptions_expireAfterAccess() {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	sessions := shard.Must(shard.Options[string, string]{
		Capacity:          1000,
		Clock:             clk,
		TTL:               12 * time.Hour,
		ExpireAfterAccess: 30 * time.Minute,
	})
	defer sessions.Close()
	sessions.Set("alice", "session-a")
	sessions.Set("bob", "session-b")
	for range 4 { // alice is active every 20 minutes; bob is not
		clk.Advance(20 * time.Minute)
		sessions.Get("alice")
	}
	_, alice := sessions.Get("alice")
	_, bob := sessions.Get("bob")
	fmt.Println(alice, bob)
	// Output: true false
}
