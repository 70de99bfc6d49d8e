package shard_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/hotcache/hotcache/shard"
)

// Compute counts failed logins per user atomically, and keeps a record
// only if it is newer than the one cached ("set unless newer"): no write
// of the key comes between f's read and its result.
func ExampleCache_Compute() {
	failures := shard.Must(shard.Options[string, int]{Capacity: 1000})
	defer failures.Close()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			failures.Compute("alice", func(n int, _ bool) (int, shard.ComputeOp) { return n + 1, shard.WriteOp })
		})
	}
	wg.Wait()
	n, _ := failures.Get("alice")
	fmt.Println("alice failed", n, "times")

	// Reset the counter once the user logs in: InvalidateOp deletes it.
	failures.Compute("alice", func(int, bool) (int, shard.ComputeOp) { return 0, shard.InvalidateOp })
	_, ok := failures.Get("alice")
	fmt.Println("after login, counted:", ok)

	type Record struct {
		Version int
		Status  string
	}
	records := shard.Must(shard.Options[string, Record]{Capacity: 1000})
	defer records.Close()
	setIfNewer := func(key string, r Record) Record {
		actual, _ := records.Compute(key, func(old Record, found bool) (Record, shard.ComputeOp) {
			if found && old.Version >= r.Version {
				return old, shard.CancelOp
			}
			return r, shard.WriteOp
		})
		return actual
	}
	setIfNewer("deploy/web", Record{2, "ready"})
	fmt.Println(setIfNewer("deploy/web", Record{1, "progressing"})) // a late, older event loses
	// Output:
	// alice failed 50 times
	// after login, counted: false
	// {2 ready}
}

// GetOrLoadAll resolves the verification results of a list of image
// digests with one round trip for the ones not cached: here the second
// call loads only the digest it has not seen, and a digest the backend
// does not know is absent from the result.
func ExampleCache_GetOrLoadAll() {
	results := shard.Must(shard.Options[string, string]{Capacity: 1000})
	defer results.Close()
	verify := func(_ context.Context, digests []string) (map[string]string, error) {
		fmt.Println("verifying", digests)
		out := map[string]string{}
		for _, d := range digests {
			if d != "sha256:unknown" {
				out[d] = "verified"
			}
		}
		return out, nil
	}
	ctx := context.Background()
	got, err := results.GetOrLoadAll(ctx, []string{"sha256:aa", "sha256:bb"}, verify)
	fmt.Println(len(got), err)
	got, err = results.GetOrLoadAll(ctx, []string{"sha256:aa", "sha256:bb", "sha256:cc", "sha256:unknown"}, verify)
	fmt.Println(slices.Sorted(maps.Keys(got)), err)
	// Output:
	// verifying [sha256:aa sha256:bb]
	// 2 <nil>
	// verifying [sha256:cc sha256:unknown]
	// [sha256:aa sha256:bb sha256:cc] <nil>
}

// Refresh reloads a key when a webhook says it changed: readers keep
// getting the cached value meanwhile (no miss storm), and if the source is
// down the old value stays.
func ExampleCache_Refresh() {
	indexes := shard.Must(shard.Options[string, string]{Capacity: 100})
	defer indexes.Close()
	indexes.Set("https://charts.example.com", "index@v1")
	ctx := context.Background()

	down := errors.New("charts.example.com: 503")
	err := indexes.Refresh(ctx, "https://charts.example.com", func(context.Context, string) (string, error) { return "", down })
	v, _ := indexes.Get("https://charts.example.com")
	fmt.Println(err, "- still serving", v)

	err = indexes.Refresh(ctx, "https://charts.example.com", func(context.Context, string) (string, error) { return "index@v2", nil })
	v, _ = indexes.Get("https://charts.example.com")
	fmt.Println(err, "- now serving", v)
	// Output:
	// charts.example.com: 503 - still serving index@v1
	// <nil> - now serving index@v2
}
