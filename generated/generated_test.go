package generated

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/gen"
	"github.com/hotcache/hotcache/internal/conformance"
	"github.com/hotcache/hotcache/shard"
)

// suite adapts a generated constructor to the conformance suite.
func suite[C conformance.Cache[K, V], K comparable, V any](newCache func(shard.Options[K, V]) (C, error), key func(int) K, val func(int) V) conformance.Suite[K, V] {
	return conformance.Suite[K, V]{
		New: func(o shard.Options[K, V]) (conformance.Cache[K, V], error) {
			c, err := newCache(o)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return c, nil
		},
		Key:         key,
		Val:         val,
		RejectsHash: true,
	}
}

func strKey(i int) string   { return "key-" + strconv.Itoa(i) }
func digest(i int) [32]byte { return sha256.Sum256([]byte(strconv.Itoa(i))) }
func permKey(i int) PermKey {
	return PermKey{User: uint64(i % 97), Registry: uint64(i / 97), Perm: [...]string{"read", "write"}[i%2]}
}

func TestStringCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewStringCache, strKey, func(i int) string { return "val-" + strconv.Itoa(i) }))
}

func TestBytesCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewBytesCache, strKey, func(i int) []byte { return []byte(strconv.Itoa(i)) }))
}

func TestUint64CacheConformance(t *testing.T) {
	s := suite(NewUint64Cache, func(i int) uint64 { return uint64(i) }, func(i int) uint64 { return uint64(i) * 3 })
	s.HashOf = func(c conformance.Cache[uint64, uint64]) func(uint64) uint64 {
		g := c.(*Uint64Cache)
		return func(k uint64) uint64 { return g.hash(g.seed, k) }
	}
	conformance.Run(t, s)
}

func TestAnyCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewAnyCache, strKey, func(i int) any { return i }))
}

func TestDigestCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewDigestCache, digest, func(i int) []byte { return []byte(strconv.Itoa(i)) }))
}

func TestPermCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewPermCache, permKey, func(i int) bool { return i%3 == 0 }))
}

func TestCounterCacheConformance(t *testing.T) {
	s := suite(NewCounterCache, strKey, func(i int) uint64 { return uint64(i) })
	s.HashOf = func(c conformance.Cache[string, uint64]) func(string) uint64 { // the admission differential runs too
		g := c.(*CounterCache)
		return func(k string) uint64 { return g.hash(g.seed, k) }
	}
	conformance.Run(t, s)
}

func TestTokenCacheConformance(t *testing.T) {
	conformance.Run(t, suite(NewTokenCache, strKey, func(i int) *Token { return &Token{Value: strconv.Itoa(i)} }))
}

// With a pointer value, replacing the value of a present key stores it in
// place: no allocation.
func TestTokenCacheSet_ExistingKeyAllocatesNothing(t *testing.T) {
	c, err := NewTokenCache(shard.Options[string, *Token]{Capacity: 16})
	require.NoError(t, err)
	a, b := &Token{Value: "a"}, &Token{Value: "b"}
	c.Set("registry", a)
	allocs := testing.AllocsPerRun(100, func() { c.Set("registry", b); c.Set("registry", a) })
	assert.Zero(t, allocs)
	v, ok := c.Get("registry")
	assert.True(t, ok)
	assert.Same(t, a, v)
}

// A Get hit allocates nothing, also for array keys, whose hash slices the
// key (k[:] must not make the key escape).
func TestGeneratedGet_HitAllocatesNothing(t *testing.T) {
	sc, err := NewStringCache(shard.Options[string, string]{Capacity: 16})
	require.NoError(t, err)
	dc, err := NewDigestCache(shard.Options[[32]byte, []byte]{Capacity: 16})
	require.NoError(t, err)
	pc, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 16})
	require.NoError(t, err)
	sk, dk, pk := strKey(1), digest(1), permKey(1)
	sc.Set(sk, "v")
	dc.Set(dk, []byte("v"))
	pc.Set(pk, true)
	for name, get := range map[string]func() bool{
		"string":   func() bool { _, ok := sc.Get(sk); return ok },
		"[32]byte": func() bool { _, ok := dc.Get(dk); return ok },
		"struct":   func() bool { _, ok := pc.Get(pk); return ok },
	} {
		require.True(t, get(), name)
		assert.Zero(t, testing.AllocsPerRun(100, func() { get() }), "%s key: allocations per Get hit", name)
	}
}

// The generated hash agrees with equality: keys that are == hash alike, so
// a cache finds an entry through any equal key.
func TestPermCache_EqualKeysFindTheEntry(t *testing.T) {
	c, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 16})
	require.NoError(t, err)
	perm := strings.Repeat("w", 5)
	c.Set(PermKey{User: 1, Registry: 2, Perm: perm}, true)
	v, ok := c.Get(PermKey{User: 1, Registry: 2, Perm: "wwwww"}) // a different string header
	assert.True(t, ok)
	assert.True(t, v)
	_, ok = c.Get(PermKey{User: 2, Registry: 1, Perm: "wwwww"})
	assert.False(t, ok, "fields are not interchangeable")
}

// The committed caches are what generate.go's go:generate lines produce now:
// the test regenerates each in memory and names the command to run when one
// is stale.
func TestGeneratedFiles_UpToDate(t *testing.T) {
	cfgs := generateLines(t)
	require.Len(t, cfgs, 8)
	p, err := gen.Load(".")
	require.NoError(t, err)
	for _, cfg := range cfgs {
		t.Run(cfg.Name, func(t *testing.T) {
			f, err := gen.Generate(p, cfg)
			require.NoError(t, err)
			have, err := os.ReadFile(f.Name)
			if err != nil || !bytes.Equal(have, f.Src) {
				t.Errorf("generated/%s is stale or missing: run `go generate ./generated`", f.Name)
			}
		})
	}
}

// generateLines returns the configurations of generate.go's go:generate
// lines (flags of the -flag=value form, as written there, and a last
// "-deprecated=text" in double quotes).
func generateLines(t *testing.T) []gen.Config {
	t.Helper()
	f, err := os.Open("generate.go")
	require.NoError(t, err)
	defer f.Close()
	var cfgs []gen.Config
	s := bufio.NewScanner(f)
	for s.Scan() {
		args, ok := strings.CutPrefix(s.Text(), "//go:generate go tool cachegen ")
		if !ok {
			continue
		}
		var cfg gen.Config
		if rest, dep, ok := strings.Cut(args, ` "-deprecated=`); ok { // the one quoted flag, last
			args, cfg.Deprecated = rest, strings.TrimSuffix(dep, `"`)
		}
		for _, arg := range strings.Fields(args) {
			name, val, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
			switch name {
			case "name":
				cfg.Name = val
			case "key":
				cfg.Key = val
			case "value":
				cfg.Value = val
			default:
				t.Fatalf("generate.go: flag %s is not understood by this test", arg)
			}
		}
		cfgs = append(cfgs, cfg)
	}
	require.NoError(t, s.Err())
	return cfgs
}

// GetOrLoad through a generated cache hashes like Get and Set: a loaded
// value is then a Get hit, a Set value is a GetOrLoad hit, and concurrent
// callers of one key share one load.
func TestGeneratedGetOrLoad(t *testing.T) {
	ctx := context.Background()
	pc, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 64, CountHits: true})
	require.NoError(t, err)
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(_ context.Context, k PermKey) (bool, error) {
		loads.Add(1)
		<-release
		return k.Perm == "read", nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, err := pc.GetOrLoad(ctx, permKey(0), load)
			assert.NoError(t, err)
			assert.True(t, v)
		})
	}
	for pc.Stats().Misses < 8 { // every caller has missed and waits on the load
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), loads.Load(), "one load for concurrent callers of one key")
	v, ok := pc.Get(permKey(0))
	assert.True(t, ok && v, "the loaded value is stored")

	sc, err := NewStringCache(shard.Options[string, string]{Capacity: 64})
	require.NoError(t, err)
	sc.Set("k", "set")
	got, err := sc.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) {
		t.Error("load called for a present key")
		return "", nil
	})
	assert.NoError(t, err)
	assert.Equal(t, "set", got)

	boom := errors.New("boom")
	_, err = sc.GetOrLoad(ctx, "missing", func(context.Context, string) (string, error) { return "", boom })
	assert.ErrorIs(t, err, boom)
	_, ok = sc.Get("missing")
	assert.False(t, ok, "a failed load stores nothing")
}

func TestGeneratedConstructor_RejectsHash(t *testing.T) {
	sc, err := NewStringCache(shard.Options[string, string]{Capacity: 16, Hash: func(string) uint64 { return 0 }})
	assert.Nil(t, sc)
	assert.EqualError(t, err, "StringCache: Options.Hash must be nil: the key's hash is generated (seeded per cache)")
	pc, err := NewPermCache(shard.Options[PermKey, bool]{Capacity: 16, Hash: func(PermKey) uint64 { return 0 }})
	assert.Nil(t, pc)
	assert.EqualError(t, err, "PermCache: Options.Hash must be nil: the key's hash is generated (seeded per cache)")
	// Hash is checked first: other invalid options do not hide it.
	_, err = NewUint64Cache(shard.Options[uint64, uint64]{Hash: func(uint64) uint64 { return 0 }})
	assert.ErrorContains(t, err, "Options.Hash must be nil")
}

// TestGetKey_SameHashAsTheOtherMethods: a cache whose engine hashes keys
// itself (Get is Engine.GetKey) must hash them as the generated code of its
// other methods does, or Get would look where Set did not store. Keys of
// every length around the inlined 8..16-byte case, and integers across the
// sign bit, are written with Set and found with Get, Peek and Delete.
func TestGetKey_SameHashAsTheOtherMethods(t *testing.T) {
	sc, err := NewCounterCache(shard.Options[string, uint64]{Capacity: 1 << 12})
	require.NoError(t, err)
	defer sc.Close()
	for n := range 40 {
		k := strings.Repeat("k", n)
		sc.Set(k, uint64(n))
		v, ok := sc.Get(k)
		require.True(t, ok, "Get of a %d-byte key after Set", n)
		require.Equal(t, uint64(n), v)
		_, ok = sc.Peek(k)
		require.True(t, ok, "Peek of a %d-byte key", n)
		require.True(t, sc.Delete(k), "Delete of a %d-byte key", n)
		_, ok = sc.Get(k)
		require.False(t, ok, "Get of a %d-byte key after Delete", n)
	}
	uc, err := NewUint64Cache(shard.Options[uint64, uint64]{Capacity: 1 << 12})
	require.NoError(t, err)
	defer uc.Close()
	for _, k := range []uint64{0, 1, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		uc.Set(k, k)
		v, ok := uc.Get(k)
		require.True(t, ok, "Get(%d) after Set", k)
		require.Equal(t, k, v)
		require.True(t, uc.Delete(k))
		_, ok = uc.Get(k)
		require.False(t, ok, "Get(%d) after Delete", k)
	}
}
