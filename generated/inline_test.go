package generated

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGetIsLean guards issue 22's target "generated caches within 3% of the
// generic ones or faster" in the code itself. It compiles this package and
// a user's instantiation of shard.Cache (internal/core/testdata/usecache)
// for amd64 and reads the assembly of each generated cache's Get:
//
//   - it makes no call but Engine.Get, the runtime's stack check and, where
//     the key type needs one, the hash: core.hashOther for a string (outside
//     8..16 bytes) or a byte array outside 8..16 bytes, the generated hash
//     of a struct key (PermCache). The uint64 mixer and the string hash of
//     8..16 bytes are inlined, and no shardimpl wrapper survives as a call.
//   - Uint64Cache.Get and CounterCache.Get (the generated caches of the
//     benchmarks module's engine comparison) are no bigger, and have no
//     bigger frame, than shard.Cache's Get of the same types, which switches
//     on the key's kind before the same hash and the same Engine.Get.
//
// Engine.Get itself (the index walk) is shared code, guarded by
// TestGetCallsNothing in internal/core for both.
func TestGetIsLean(t *testing.T) {
	gen := funcs(t, "github.com/hotcache/hotcache/generated")
	user := funcs(t, "github.com/hotcache/hotcache/internal/core/testdata/usecache")

	stringHash := []string{"core.hashOther(SB)"}
	for _, c := range []struct {
		cache, key string
		hash       []string // the calls the key's hash may make
	}{
		{"Uint64Cache", "uint64", nil},
		{"StringCache", "string", stringHash},
		{"BytesCache", "string", stringHash},
		{"AnyCache", "string", stringHash},
		{"TokenCache", "string", stringHash},
		{"CounterCache", "string", stringHash},
		{"DigestCache", "[32]uint8", stringHash},
		{"PermCache", "struct {", []string{"generated.(*PermCache).hash(SB)"}},
	} {
		t.Run(c.cache, func(t *testing.T) {
			f, ok := gen["generated.(*"+c.cache+").Get"]
			require.True(t, ok, "no assembly for %s.Get", c.cache)
			for _, call := range f.calls {
				allowed := strings.Contains(call, "core.(*Engine[go.shape."+c.key) && strings.Contains(call, "]).Get(SB)") ||
					strings.Contains(call, "runtime.morestack")
				for _, h := range c.hash {
					allowed = allowed || strings.Contains(call, h)
				}
				assert.True(t, allowed, "%s.Get calls more than Engine.Get and its key's hash: %s", c.cache, call)
			}
		})
	}

	for _, c := range []struct{ cache, generic string }{
		{"Uint64Cache", "shard.(*Cache[go.shape.uint64,go.shape.uint64]).Get"},
		{"CounterCache", "shard.(*Cache[go.shape.string,go.shape.uint64]).Get"},
	} {
		t.Run(c.cache+"/vs_shard.Cache", func(t *testing.T) {
			g, ok := gen["generated.(*"+c.cache+").Get"]
			require.True(t, ok, "no assembly for %s.Get", c.cache)
			s, ok := user[c.generic]
			require.True(t, ok, "no assembly for %s", c.generic)
			assert.LessOrEqual(t, g.size, s.size, "%s.Get has more code than %s", c.cache, c.generic)
			assert.LessOrEqual(t, g.locals, s.locals, "%s.Get has a bigger frame than %s", c.cache, c.generic)
		})
	}
}

// asmFunc is what TestGetIsLean reads of a function's assembly.
type asmFunc struct {
	size, locals int      // bytes of code and of frame (the STEXT header's size= and locals=)
	calls        []string // its CALL lines
}

// asmFuncs caches each package's functions: building the assembly takes
// seconds.
var asmFuncs sync.Map // package path → map[string]asmFunc

var stextRE = regexp.MustCompile(`^\S*?([\w.]+\.\(\*\w+(?:\[[^ ]*\])?\)\.\w+) STEXT.* size=(\d+) args=0x[0-9a-f]+ locals=0x([0-9a-f]+)`)

// funcs compiles pkg for amd64 and returns its methods' assembly by name,
// the name starting at the last path element of the package
// ("generated.(*Uint64Cache).Get", "shard.(*Cache[go.shape.uint64,go.shape.uint64]).Get").
func funcs(t *testing.T, pkg string) map[string]asmFunc {
	t.Helper()
	if fs, ok := asmFuncs.Load(pkg); ok {
		return fs.(map[string]asmFunc)
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, "-gcflags="+pkg+"=-S", pkg)
	cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOOS=linux", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	fs := map[string]asmFunc{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, " STEXT") {
			cur = ""
			m := stextRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			size, _ := strconv.Atoi(m[2])
			locals, _ := strconv.ParseInt(m[3], 16, 64)
			cur = m[1]
			fs[cur] = asmFunc{size: size, locals: int(locals)}
			continue
		}
		if cur != "" && strings.Contains(line, "\tCALL\t") {
			f := fs[cur]
			f.calls = append(f.calls, strings.TrimSpace(line))
			fs[cur] = f
		}
	}
	require.NoError(t, sc.Err())
	asmFuncs.Store(pkg, fs)
	return fs
}
