package writeback_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// A read-through cache over a write-behind buffer over a store: writes
// return at once, reads see them at once, and Close stores them.
func Example() {
	ctx := context.Background()
	db := memstore.New[string, string]() // stands in for a database
	buf, err := writeback.New(db, writeback.Options{MaxBatch: 100, MaxDelay: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	cache, err := writeback.NewCache(buf, writeback.CacheOptions[string, string]{Capacity: 1000, MaxTTL: time.Minute})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	_ = cache.Store(ctx, "session:1", "alice")
	_ = cache.Store(ctx, "session:1", "bob") // coalesces with the first
	v, _ := cache.Load(ctx, "session:1")
	fmt.Println("read:", v)

	if err := buf.Close(ctx); err != nil {
		fmt.Println("not stored:", err)
	}
	fmt.Println("stored:", db.Snapshot())
	// Output:
	// read: bob
	// stored: map[session:1:bob]
}
