package tier_test

import (
	"crypto/tls"
	"log"
	"os"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/tier"
	"github.com/redis/rueidis"
)

// A managed Redis (or Redis Cluster) wants credentials and TLS. New takes
// them in Options, and any other rueidis.ClientOption field through
// Options.ClientOption. (Needs such a Redis, so it has no Output line.)
func ExampleNew_managedRedis() {
	perms, err := tier.New(tier.Options[Perm]{
		Addrs:     []string{"my-redis.example.com:6380"},
		Prefix:    "perm:",
		TTL:       5 * time.Minute,
		Local:     shard.Options[string, Perm]{Capacity: 100_000},
		Username:  "app",
		Password:  os.Getenv("REDIS_PASSWORD"),
		TLSConfig: &tls.Config{ServerName: "my-redis.example.com", MinVersion: tls.VersionTLS12},
		ClientOption: func(o *rueidis.ClientOption) {
			o.Dialer.Timeout = 3 * time.Second
			o.ShuffleInit = true // spread the seeds of a Cluster
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer perms.Close()
}

// NewWithClient takes a client configured as the caller likes: here one
// built from the same ClientOption a managed Cluster needs (rueidis finds
// out from the seeds whether they form a Cluster). Its client-side caching
// may stay on. TestManagedRedisCredentialsAndTLS runs this against a TLS
// server with an ACL user.
func ExampleNewWithClient() {
	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress: []string{"my-redis.example.com:6380"},
		Username:    "app",
		Password:    os.Getenv("REDIS_PASSWORD"),
		TLSConfig:   &tls.Config{ServerName: "my-redis.example.com", MinVersion: tls.VersionTLS12},
		ShuffleInit: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	perms, err := tier.NewWithClient(client, tier.Options[Perm]{
		Prefix: "perm:",
		TTL:    5 * time.Minute,
		Local:  shard.Options[string, Perm]{Capacity: 100_000},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer perms.Close()
}
