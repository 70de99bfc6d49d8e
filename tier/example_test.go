package tier_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/tier"
)

type Perm struct {
	User, Registry string
	Allowed        bool
}

// Each replica of a service builds the same cache; a write on one is seen
// by all. (This example needs a Redis on localhost:6379, so it has no
// Output line and is only compiled by go test.)
func Example() {
	perms, err := tier.New(tier.Options[Perm]{
		Addrs:  []string{"localhost:6379"},
		Prefix: "perm:",
		TTL:    5 * time.Minute,
		L1:     shard.Options[string, Perm]{Capacity: 100_000},
	})
	if err != nil {
		log.Fatal(err) // e.g. tier: cannot connect to Redis at localhost:6379: dial tcp ...
	}
	defer perms.Close()

	ctx := context.Background()
	check := func(ctx context.Context, key string) (Perm, error) {
		// The expensive check: runs once across all replicas per key and TTL.
		return Perm{User: "alice", Registry: "r7", Allowed: true}, nil
	}
	p, err := perms.GetOrLoad(ctx, "alice/r7/read", check)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Allowed)

	// Revoke: every replica's next Get misses, within milliseconds.
	if err := perms.Delete(ctx, "alice/r7/read"); err != nil {
		log.Fatal(err)
	}
	// Or drop everything cached about one user.
	if _, err := perms.InvalidatePrefix(ctx, "alice/"); err != nil {
		log.Fatal(err)
	}
}
