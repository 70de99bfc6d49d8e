package core_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGetCallsNothing guards the shape of the read path. Engine.Get is
// compiled where it is instantiated — in a user's package, or generated
// code's — which imports shard (and shardimpl) but not this package; there
// the compiler inlines the index walk, the node's deadline and visited bit
// and their atomic loads only because inlineBodies in package shard
// instantiates Get and so puts those bodies in shard's export data. A change
// that loses that turns each into a call (10–15% of a hit) and fails
// nothing else. The test compiles, for amd64, package generated (which
// instantiates Engine[uint64, uint64] through shardimpl) and
// testdata/usecache (a shard.Cache[uint64, uint64], through shard alone),
// and reads the assembly of that Get: the only calls allowed are the slow
// path of the coarse clock, the sliding expiry's extension (off the hit
// path unless Options.ExpireAfterAccess is set), a clock behind an interface, the runtime's
// stack check, and bounds checks only in the hit counters of Options.CountHits: the shard,
// bucket and slot indexes of the walk are unchecked by construction (see Engine.Get), and
// a change that brings a check back fails here.
func TestGetCallsNothing(t *testing.T) {
	for _, pkg := range []string{
		"github.com/hotcache/hotcache/generated",
		"github.com/hotcache/hotcache/internal/core/testdata/usecache",
	} {
		t.Run(pkg[strings.LastIndex(pkg, "/")+1:], func(t *testing.T) {
			calls := callsIn(t, pkg, "core.(*Engine[go.shape.uint64,go.shape.uint64]).Get STEXT", engineGetMayCall)
			require.Empty(t, calls, "Engine.Get makes calls it should inline")
		})
	}
	// shard.Cache.Get is one call of Engine.GetKey, which hashes a uint64
	// key inline and then walks the index as Get does. (The key kind is a
	// field, so the string case's call of hashOther is compiled in too, on
	// a branch a uint64 key never takes.)
	t.Run("GetKey", func(t *testing.T) {
		pkg := "github.com/hotcache/hotcache/internal/core/testdata/usecache"
		calls := callsIn(t, pkg, "core.(*Engine[go.shape.uint64,go.shape.uint64]).GetKey STEXT", func(line string) bool {
			return engineGetMayCall(line) || strings.Contains(line, "core.hashOther(SB)")
		})
		require.Empty(t, calls, "Engine.GetKey makes calls it should inline")
		calls = callsIn(t, pkg, "shard.(*Cache[go.shape.uint64,go.shape.uint64]).Get STEXT", func(line string) bool {
			return strings.Contains(line, "core.(*Engine[go.shape.uint64,go.shape.uint64]).GetKey(SB)") ||
				strings.Contains(line, "runtime.morestack")
		})
		require.Empty(t, calls, "shard.Cache.Get makes calls beyond Engine.GetKey")
	})
}

// TestGetCallsNothing_StringKeys guards the string keys' read path (issue
// 22): shard.Cache[string, V].Get and a generated string-keyed cache's Get
// hash a key of 8 to 16 bytes with no call (core.HashString8to16 inlined:
// no maphash, no wrapper of the hash) and any other key with one call of
// core.hashOther; then they call Engine.Get, whose string instance calls,
// besides what the uint64 one may, only runtime.memequal (the key compare
// once the lengths are equal).
func TestGetCallsNothing_StringKeys(t *testing.T) {
	cacheGetMayCall := func(line string) bool {
		return strings.Contains(line, "core.(*Engine[go.shape.string,") && (strings.Contains(line, "]).Get(SB)") || strings.Contains(line, "]).GetKey(SB)")) ||
			strings.Contains(line, "core.hashOther(SB)") ||
			strings.Contains(line, ").hashOf(SB)") || // Options.Hash (KindUser): shard.Cache only
			strings.Contains(line, "runtime.morestack") ||
			strings.Contains(line, "runtime.panicBounds")
	}
	for _, c := range []struct{ pkg, fn string }{
		{"github.com/hotcache/hotcache/internal/core/testdata/usecache", "shard.(*Cache[go.shape.string,go.shape.uint64]).Get STEXT"},
		{"github.com/hotcache/hotcache/generated", "generated.(*StringCache).Get STEXT"},
		{"github.com/hotcache/hotcache/generated", "generated.(*CounterCache).Get STEXT"},
	} {
		t.Run(c.fn[:strings.Index(c.fn, " ")], func(t *testing.T) {
			calls := callsIn(t, c.pkg, c.fn, cacheGetMayCall)
			require.Empty(t, calls, "Get makes calls beyond Engine.Get and the hash of a key outside 8..16 bytes")
		})
	}
	t.Run("Engine.Get", func(t *testing.T) {
		calls := callsIn(t, "github.com/hotcache/hotcache/internal/core/testdata/usecache",
			"core.(*Engine[go.shape.string,go.shape.uint64]).Get STEXT",
			func(line string) bool {
				return engineGetMayCall(line) || strings.Contains(line, "runtime.memequal(SB)")
			})
		require.Empty(t, calls, "Engine.Get makes calls it should inline")
	})
	t.Run("Engine.GetKey", func(t *testing.T) {
		calls := callsIn(t, "github.com/hotcache/hotcache/internal/core/testdata/usecache",
			"core.(*Engine[go.shape.string,go.shape.uint64]).GetKey STEXT",
			func(line string) bool {
				return engineGetMayCall(line) || strings.Contains(line, "runtime.memequal(SB)") ||
					strings.Contains(line, "core.hashOther(SB)")
			})
		require.Empty(t, calls, "Engine.GetKey makes calls beyond the hash of a key outside 8..16 bytes")
	})
}

// engineGetMayCall reports whether a CALL line of Engine.Get's assembly is
// one it may make: the slow path of the coarse clock (its goroutine is not
// running), the sliding expiry (Options.ExpireAfterAccess: at most once per
// tick per entry), an indirect call (Options.Clock behind the interface),
// the runtime's stack check, and bounds checks only in Options.CountHits'
// stripes (stats.go): the shard, bucket and slot indexes of the flat read
// path need none.
func engineGetMayCall(line string) bool {
	return strings.Contains(line, "runtime.panicBounds") && strings.Contains(line, "/stats.go:") ||
		strings.Contains(line, "runtime.morestack") ||
		strings.Contains(line, "clock.(*Coarse).exact") ||
		strings.Contains(line, ").slide(") ||
		!strings.Contains(line, "(SB)")
}

// asm caches each package's amd64 assembly: building it takes seconds.
var asm sync.Map // package path → string

// callsIn compiles pkg for amd64 and returns the CALL lines in the
// assembly of the function whose STEXT header contains fn, except those
// allowed reports true for; it fails the test if fn has no assembly.
func callsIn(t *testing.T, pkg, fn string, allowed func(string) bool) []string {
	t.Helper()
	out, ok := asm.Load(pkg)
	if !ok {
		cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags="+pkg+"=-S", pkg)
		cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOOS=linux", "CGO_ENABLED=0")
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		out, _ = asm.LoadOrStore(pkg, string(b))
	}
	var calls []string
	found, in := false, false
	sc := bufio.NewScanner(strings.NewReader(out.(string)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, " STEXT") {
			in = strings.Contains(line, fn)
			found = found || in
			continue
		}
		if in && strings.Contains(line, "\tCALL\t") && !allowed(line) {
			calls = append(calls, strings.TrimSpace(line))
		}
	}
	require.NoError(t, sc.Err())
	require.True(t, found, "no assembly for %s in the build output", fn)
	return calls
}
