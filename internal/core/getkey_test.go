package core

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/clock"
)

// TestGetKey_IsGet: Engine.GetKey is Engine.Get with the hash computed
// inside (one call for shard.Cache.Get instead of two), written out twice
// because the compiler inlines neither into the other. After GetKey's hash
// (its first two statements) the bodies must be the same code, statement
// for statement: a fix made to one and not the other fails here.
func TestGetKey_IsGet(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "read.go", nil, 0)
	require.NoError(t, err)
	bodies := map[string][]ast.Stmt{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && (fd.Name.Name == "Get" || fd.Name.Name == "GetKey") {
			bodies[fd.Name.Name] = fd.Body.List
		}
	}
	require.Len(t, bodies["Get"], len(bodies["GetKey"])-2, "GetKey is Get after two statements (var h; the hash switch)")
	print := func(stmts []ast.Stmt) string {
		var b bytes.Buffer
		for _, s := range stmts {
			require.NoError(t, printer.Fprint(&b, fset, s))
			b.WriteByte('\n')
		}
		return b.String()
	}
	assert.Equal(t, print(bodies["Get"]), print(bodies["GetKey"][2:]))
}

// TestGetKey_AgreesWithGet: for every key kind GetKey hashes itself (8-byte
// integers, strings inside and outside 8..16 bytes, other types through
// the default hash, a caller's hash), GetKey finds what Get finds with the
// engine's hash, misses what it misses, and honours expiry.
func TestGetKey_AgreesWithGet(t *testing.T) {
	t.Run("uint64", func(t *testing.T) { agree(t, nil, []uint64{0, 1, 1 << 63, 12345}) })
	t.Run("string", func(t *testing.T) {
		agree(t, nil, []string{"", "a", "12345678", "0123456789abcdef", "0123456789abcdefg", "registry.example.com/team/image"})
	})
	t.Run("int32", func(t *testing.T) { agree(t, nil, []int32{-1, 0, 7}) })
	t.Run("struct", func(t *testing.T) {
		type k struct {
			a string
			b int
		}
		agree(t, nil, []k{{"x", 1}, {"x", 2}, {"", 0}})
	})
	t.Run("caller's hash", func(t *testing.T) {
		agree(t, func(_ Seed, k string) uint64 { return uint64(len(k)) }, []string{"a", "bb", "cc", "0123456789"})
	})
}

func agree[K comparable](t *testing.T, hash func(Seed, K) uint64, keys []K) {
	t.Helper()
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	e, err := NewEngine(Options[K, int]{Capacity: 64, Clock: clk}, hash)
	require.NoError(t, err)
	defer e.Close()
	h := func(k K) uint64 { return e.hash(e.seed, k) }
	for i, k := range keys {
		if i%2 == 0 {
			e.Set(h(k), k, i)
		} else {
			e.SetTTL(h(k), k, i, time.Second)
		}
	}
	check := func(when string) {
		for _, k := range keys {
			v1, ok1 := e.Get(h(k), k)
			v2, ok2 := e.GetKey(k)
			assert.Equal(t, ok1, ok2, "%s: %v found by Get: %v, by GetKey: %v", when, k, ok1, ok2)
			assert.Equal(t, v1, v2, "%s: %v", when, k)
		}
	}
	check("fresh")
	for i, k := range keys {
		v, ok := e.GetKey(k)
		require.True(t, ok, "%v", k)
		require.Equal(t, i, v)
	}
	clk.Advance(2 * time.Second)
	check("after the TTL")
	for i, k := range keys {
		_, ok := e.GetKey(k)
		assert.Equal(t, i%2 == 0, ok, "%v: only the entries without TTL are left", k)
	}
}

// HashKey, the hash every method but GetKey is given (shard.Cache hashes
// with it), is the engine's hash, and GetKey's written-out hash agrees with
// it: for strings of every length up to 39 bytes (the inlined 8–16 and
// 17–32 cases and the calls around them) and integers across the sign bit.
func TestHashKey_IsTheEngineHashGetKeyFinds(t *testing.T) {
	se, err := NewEngine(Options[string, int]{Capacity: 1 << 10}, nil)
	require.NoError(t, err)
	defer se.Close()
	for n := range 40 {
		k := string(bytes.Repeat([]byte{'k'}, n))
		require.Equal(t, se.hash(se.seed, k), se.HashKey(k), "%d-byte key", n)
		se.Set(se.HashKey(k), k, n)
		v, ok := se.GetKey(k)
		require.True(t, ok, "GetKey of a %d-byte key stored under HashKey", n)
		require.Equal(t, n, v)
	}
	ue, err := NewEngine(Options[uint64, int]{Capacity: 1 << 10}, nil)
	require.NoError(t, err)
	defer ue.Close()
	for i, k := range []uint64{0, 1, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		require.Equal(t, ue.hash(ue.seed, k), ue.HashKey(k))
		ue.Set(ue.HashKey(k), k, i)
		v, ok := ue.GetKey(k)
		require.True(t, ok, "GetKey(%d) stored under HashKey", k)
		require.Equal(t, i, v)
	}
	user := func(_ Seed, k uint64) uint64 { return k * 7 }
	xe, err := NewEngine(Options[uint64, int]{Capacity: 1 << 10}, user)
	require.NoError(t, err)
	defer xe.Close()
	assert.Equal(t, uint64(21), xe.HashKey(3), "a hash given to NewEngine is the one HashKey uses")
}
