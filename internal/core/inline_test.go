package core_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
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
			cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags="+pkg+"=-S", pkg)
			cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOOS=linux", "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)

			const fn = "core.(*Engine[go.shape.uint64,go.shape.uint64]).Get STEXT"
			var calls []string
			found, in := false, false
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if strings.Contains(line, " STEXT") {
					in = strings.Contains(line, fn)
					found = found || in
					continue
				}
				if !in || !strings.Contains(line, "\tCALL\t") {
					continue
				}
				switch {
				case strings.Contains(line, "runtime.panicBounds") && strings.Contains(line, "/stats.go:"), // Options.CountHits' stripes
					strings.Contains(line, "runtime.morestack"),
					strings.Contains(line, "clock.(*Coarse).exact"), // the clock's goroutine is not running
					strings.Contains(line, ").slide("),              // Options.ExpireAfterAccess: at most once per tick per entry
					!strings.Contains(line, "(SB)"):                 // an indirect call: Options.Clock behind the interface
				default:
					calls = append(calls, strings.TrimSpace(line))
				}
			}
			require.NoError(t, sc.Err())
			require.True(t, found, "no assembly for %s in the build output", fn)
			require.Empty(t, calls, "Engine.Get makes calls it should inline")
		})
	}
}
