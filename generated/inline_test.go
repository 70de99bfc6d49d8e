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
//   - a cache whose key is a string or an 8-byte integer (the engine's
//     default hash is the generated one) makes one call, of
//     Engine.GetKey, which hashes the key inline: the same one call as
//     shard.Cache's Get of the same types, with no bigger frame.
//   - any other makes no call but Engine.Get, the runtime's stack check
//     and, where the key type needs one, the hash: core.hashOther for a
//     byte array outside 8..16 bytes, the generated hash of a struct key
//     (PermCache). No shardimpl wrapper survives as a call.
//
// Engine.Get and Engine.GetKey themselves (the index walk) are shared
// code, guarded by TestGetCallsNothing in internal/core.
func TestGetIsLean(t *testing.T) {
	gen := funcs(t, "github.com/hotcache/hotcache/generated")
	user := funcs(t, "github.com/hotcache/hotcache/internal/core/testdata/usecache")

	for _, c := range []struct {
		cache, key string
		getKey     bool     // the engine hashes: Get is one call of Engine.GetKey
		hash       []string // otherwise, the calls the key's hash may make
	}{
		{"Uint64Cache", "uint64", true, nil},
		{"StringCache", "string", true, nil},
		{"BytesCache", "string", true, nil},
		{"AnyCache", "string", true, nil},
		{"TokenCache", "string", true, nil},
		{"CounterCache", "string", true, nil},
		{"DigestCache", "[32]uint8", false, []string{"core.hashOther(SB)"}},
		{"PermCache", "struct {", false, []string{"generated.(*PermCache).hash(SB)"}},
	} {
		t.Run(c.cache, func(t *testing.T) {
			f, ok := gen["generated.(*"+c.cache+").Get"]
			require.True(t, ok, "no assembly for %s.Get", c.cache)
			engine := "]).Get(SB)"
			if c.getKey {
				engine = "]).GetKey(SB)"
			}
			n := 0
			for _, call := range f.calls {
				if strings.Contains(call, "runtime.morestack") {
					continue
				}
				n++
				allowed := strings.Contains(call, "core.(*Engine[go.shape."+c.key) && strings.Contains(call, engine)
				for _, h := range c.hash {
					allowed = allowed || strings.Contains(call, h)
				}
				assert.True(t, allowed, "%s.Get calls more than %s and its key's hash: %s", c.cache, engine, call)
			}
			if c.getKey {
				assert.Equal(t, 1, n, "%s.Get is one call of Engine.GetKey", c.cache)
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
			calls := func(f asmFunc) (out []string) {
				for _, call := range f.calls {
					if i := strings.Index(call, "core.(*Engine["); i >= 0 {
						out = append(out, call[i:])
					}
				}
				return out
			}
			assert.Equal(t, calls(s), calls(g), "%s.Get and %s call the engine alike", c.cache, c.generic)
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
