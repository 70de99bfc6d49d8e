package shard_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/shard"
)

// A registry token carries its own expiry. The cache keeps each token for
// 80% of its lifetime (the kubelet's and Flux's rule: ExpiryFraction), so
// that no caller gets one about to expire, and for at most an hour
// (MaxTTL); however many reconciles need a registry's token at once, it is
// fetched once.
func ExampleCache_GetOrLoad_registryToken() {
	type Token struct {
		Value               string
		IssuedAt, ExpiresAt time.Time
	}
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) // for a deterministic example
	tokens := shard.Must(shard.Options[string, Token]{
		Capacity:       1000,
		Clock:          clk,
		Expiry:         func(_ string, t Token) time.Time { return t.ExpiresAt },
		ExpiryFraction: 0.8,
		MaxTTL:         time.Hour,
	})
	defer tokens.Close()

	lifetime := map[string]time.Duration{"ghcr.io": 30 * time.Minute, "quay.io": 12 * time.Hour}
	var fetches atomic.Int32
	fetch := func(_ context.Context, registry string) (Token, error) {
		n := fetches.Add(1)
		now := clk.Time()
		return Token{fmt.Sprintf("token-%d", n), now, now.Add(lifetime[registry])}, nil
	}

	var wg sync.WaitGroup
	for i := range 100 { // 100 concurrent reconciles over two registries
		wg.Go(func() {
			registry := []string{"ghcr.io", "quay.io"}[i%2]
			if _, err := tokens.GetOrLoad(context.Background(), registry, fetch); err != nil {
				panic(err)
			}
		})
	}
	wg.Wait()
	fmt.Println("fetches:", fetches.Load())
	for _, registry := range []string{"ghcr.io", "quay.io"} {
		_, exp, _ := tokens.GetWithExpiry(registry)
		fmt.Printf("%s token cached for %v\n", registry, exp.Sub(clk.Time()))
	}

	clk.Advance(24 * time.Minute)
	t, _ := tokens.GetOrLoad(context.Background(), "ghcr.io", fetch)
	fmt.Println("ghcr.io after 24m:", t.Value)
	// Output:
	// fetches: 2
	// ghcr.io token cached for 24m0s
	// quay.io token cached for 1h0m0s
	// ghcr.io after 24m: token-3
}

// Helm repository indexes are large and expensive to parse. The cache holds
// pointers to at most Capacity of them and, when full, evicts the one least
// in use (SIEVE keeps the index that readers keep coming back to); however
// many goroutines need an index at once, it is loaded and parsed once.
func ExampleCache_GetOrLoad_helmIndex() {
	type Index struct {
		Charts map[string][]string // chart name to versions
	}
	var parses atomic.Int32
	indexes := shard.Must(shard.Options[string, *Index]{
		Capacity: 2,
		OnEvict: func(url string, _ *Index, r evict.Reason) {
			fmt.Println("evicted", url, "for", r)
		},
	})
	defer indexes.Close()
	load := func(_ context.Context, url string) (*Index, error) {
		parses.Add(1)
		idx := &Index{Charts: make(map[string][]string, 10_000)}
		for i := range 10_000 {
			idx.Charts[fmt.Sprintf("chart-%d", i)] = []string{"1.0.0", "1.1.0"}
		}
		return idx, nil
	}
	ctx := context.Background()
	const popular = "https://charts.example.com/index.yaml"

	var wg sync.WaitGroup
	for range 200 { // 200 readers of one index, twice each
		wg.Go(func() {
			for range 2 {
				idx, err := indexes.GetOrLoad(ctx, popular, load)
				if err != nil || len(idx.Charts["chart-42"]) != 2 {
					panic("bad index")
				}
			}
		})
	}
	wg.Wait()
	fmt.Println("parses:", parses.Load())

	indexes.GetOrLoad(ctx, "https://b.example.com/index.yaml", load)
	indexes.GetOrLoad(ctx, "https://c.example.com/index.yaml", load)
	_, ok := indexes.Peek(popular)
	fmt.Println("parses:", parses.Load(), "cached:", indexes.Len(), "popular index kept:", ok)
	// Output:
	// parses: 1
	// evicted https://b.example.com/index.yaml for capacity
	// parses: 3 cached: 2 popular index kept: true
}

// Helm repository indexes range from kilobytes to tens of megabytes, so an
// entry count does not bound their memory; a weigher does. Each index
// weighs its size in KiB, and the cache holds at most 64 MiB of them: it
// evicts as many indexes as a new one needs room for, and never stores an
// index larger than the whole budget (a write of one removes the older
// index of that repository instead).
func ExampleOptions_weigher() {
	type Index struct {
		URL  string
		Size int // bytes of YAML parsed
	}
	const KiB, MiB = 1 << 10, 1 << 20
	indexes := shard.Must(shard.Options[string, *Index]{
		MaxWeight: 64 * MiB / KiB,
		Weigher:   func(_ string, idx *Index) uint32 { return uint32(idx.Size / KiB) },
		Shards:    1, // a few large entries: one shard, so this example's output is deterministic
		OnEvict: func(url string, idx *Index, r evict.Reason) {
			fmt.Printf("evicted %s (%d MiB) for %v\n", url, idx.Size/MiB, r)
		},
	})
	defer indexes.Close()
	show := func() {
		fmt.Printf("%d indexes, %d MiB\n", indexes.Len(), indexes.Stats().Weight*KiB/MiB)
	}

	for _, idx := range []*Index{
		{"https://a.example.com/index.yaml", 20 * MiB},
		{"https://b.example.com/index.yaml", 30 * MiB},
		{"https://c.example.com/index.yaml", 10 * MiB},
	} {
		indexes.Set(idx.URL, idx)
	}
	show()
	indexes.Get("https://a.example.com/index.yaml") // in use: a stays

	d := &Index{"https://d.example.com/index.yaml", 25 * MiB}
	indexes.Set(d.URL, d)
	show()

	huge := &Index{"https://c.example.com/index.yaml", 100 * MiB}
	indexes.Set(huge.URL, huge)
	_, ok := indexes.Get(huge.URL)
	fmt.Println("100 MiB index cached:", ok)
	show()
	// Output:
	// 3 indexes, 60 MiB
	// evicted https://b.example.com/index.yaml (30 MiB) for capacity
	// 3 indexes, 55 MiB
	// evicted https://c.example.com/index.yaml (10 MiB) for replaced
	// 100 MiB index cached: false
	// 2 indexes, 45 MiB
}

// A permission check is computed once per (user, registry, permission) and
// trusted for five minutes; the thousands of identical checks a client
// command makes in between are cache hits.
func ExampleCache_GetOrLoad_permissionCheck() {
	type Check struct {
		UserID, RegistryID int64
		Permission         string
	}
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	allowed := shard.Must(shard.Options[Check, bool]{Capacity: 100_000, TTL: 5 * time.Minute, Clock: clk})
	defer allowed.Close()
	var evaluations atomic.Int32
	evaluate := func(_ context.Context, c Check) (bool, error) {
		evaluations.Add(1)
		return c.Permission == "pull", nil // the expensive policy evaluation
	}
	ctx := context.Background()

	pull := Check{UserID: 7, RegistryID: 3, Permission: "pull"}
	var ok bool
	for range 1000 {
		ok, _ = allowed.GetOrLoad(ctx, pull, evaluate)
	}
	fmt.Println("pull allowed:", ok, "evaluations:", evaluations.Load())

	push := Check{UserID: 7, RegistryID: 3, Permission: "push"}
	ok, _ = allowed.GetOrLoad(ctx, push, evaluate)
	fmt.Println("push allowed:", ok, "evaluations:", evaluations.Load())

	clk.Advance(5 * time.Minute)
	allowed.GetOrLoad(ctx, pull, evaluate)
	fmt.Println("after 5 minutes, evaluations:", evaluations.Load())
	// Output:
	// pull allowed: true evaluations: 1
	// push allowed: false evaluations: 2
	// after 5 minutes, evaluations: 3
}

// Signature-verification results are cached by image digest, each for the
// TTL its registry or repository calls for (chosen in Expiry, from the
// result), and a registry's results are all dropped when its trust policy
// changes.
func ExampleCache_DeleteFunc_verificationResults() {
	type Result struct {
		Registry, Repository string
		Verified             bool
		CheckedAt            time.Time
	}
	registryTTL := map[string]time.Duration{"ghcr.io": 10 * time.Minute, "quay.io": time.Hour}
	repositoryTTL := map[string]time.Duration{"ghcr.io/acme/payments": time.Minute}
	ttl := func(r Result) time.Duration {
		if d, ok := repositoryTTL[r.Registry+"/"+r.Repository]; ok {
			return d
		}
		return registryTTL[r.Registry]
	}
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	results := shard.Must(shard.Options[[32]byte, Result]{
		Capacity: 10_000,
		Clock:    clk,
		Expiry:   func(_ [32]byte, r Result) time.Time { return r.CheckedAt.Add(ttl(r)) },
	})
	defer results.Close()

	type image struct{ registry, repository, tag string }
	images := []image{{"ghcr.io", "acme/web", "v1"}, {"ghcr.io", "acme/payments", "v7"}, {"quay.io", "acme/db", "v2"}}
	byDigest := map[[32]byte]image{}
	for _, im := range images {
		byDigest[sha256.Sum256([]byte(im.registry+"/"+im.repository+":"+im.tag))] = im
	}
	verify := func(_ context.Context, digest [32]byte) (Result, error) {
		im, ok := byDigest[digest]
		if !ok {
			return Result{}, shard.ErrNotFound
		}
		return Result{im.registry, im.repository, true, clk.Time()}, nil
	}

	for _, im := range images {
		digest := sha256.Sum256([]byte(im.registry + "/" + im.repository + ":" + im.tag))
		r, _ := results.GetOrLoad(context.Background(), digest, verify)
		_, exp, _ := results.GetWithExpiry(digest)
		fmt.Printf("%s/%s verified=%v for %v\n", r.Registry, r.Repository, r.Verified, exp.Sub(clk.Time()))
	}

	// ghcr.io's trust policy changed: its results no longer hold.
	n := results.DeleteFunc(func(_ [32]byte, r Result) bool { return r.Registry == "ghcr.io" })
	fmt.Println("invalidated:", n, "left:", results.Len())
	// Output:
	// ghcr.io/acme/web verified=true for 10m0s
	// ghcr.io/acme/payments verified=true for 1m0s
	// quay.io/acme/db verified=true for 1h0m0s
	// invalidated: 2 left: 1
}

// Ratify caches signature-verification results with TTL levels: a default
// for every registry, and overrides for some. ExpireAfter gives each result
// its lifetime from the write, by key; 0 falls back to Options.TTL.
func ExampleOptions_ratifyTTLLevels() {
	type Report struct{ Verified bool }
	perRegistry := map[string]time.Duration{
		"registry.internal": 24 * time.Hour, // trusted, rarely re-verified
		"docker.io":         time.Minute,    // re-verify often
	}
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) // for a deterministic example
	results := shard.Must(shard.Options[string, Report]{
		Capacity: 10_000,
		Clock:    clk,
		TTL:      10 * time.Minute, // the default level
		ExpireAfter: func(ref string, _ Report) time.Duration {
			registry, _, _ := strings.Cut(ref, "/")
			return perRegistry[registry] // 0 if not listed: TTL
		},
		MaxTTL: 12 * time.Hour, // no level may exceed this
	})
	defer results.Close()

	for _, ref := range []string{"registry.internal/app@sha256:aa", "docker.io/library/nginx@sha256:bb", "ghcr.io/org/tool@sha256:cc"} {
		results.Set(ref, Report{Verified: true})
		_, exp, _ := results.GetWithExpiry(ref)
		fmt.Printf("%s: %v\n", ref, exp.Sub(clk.Time()))
	}
	// Output:
	// registry.internal/app@sha256:aa: 12h0m0s
	// docker.io/library/nginx@sha256:bb: 1m0s
	// ghcr.io/org/tool@sha256:cc: 10m0s
}
