package gen_test

import (
	"flag"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/gen"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// loaded caches one Load per testdata package.
var loaded sync.Map // dir and tags → *gen.Package

func load(t *testing.T, pkg string, tags ...string) *gen.Package {
	t.Helper()
	dir := filepath.Join("testdata", "src", pkg)
	id := dir + " " + strings.Join(tags, ",")
	if p, ok := loaded.Load(id); ok {
		return p.(*gen.Package)
	}
	p, err := gen.Load(dir, tags...)
	require.NoError(t, err)
	loaded.Store(id, p)
	return p
}

// goldenCases are checked against testdata/golden/<name>.golden: the output
// file's name and source, or the error message.
var goldenCases = []struct {
	name string
	pkg  string // under testdata/src
	cfg  gen.Config
}{
	// Output.
	{"string", "p", gen.Config{Name: "StringCache", Key: "string", Value: "string"}},
	{"struct_key", "p", gen.Config{Name: "PermCache", Key: "PermKey", Value: "*Token"}},
	{"named_array_key", "p", gen.Config{Name: "DigestCache", Key: "Digest", Value: "[]byte"}},
	{"named_string_key", "p", gen.Config{Name: "HostCache", Key: "Host", Value: "int"}},
	{"short_array_key", "p", gen.Config{Name: "UUIDCache", Key: "UUID", Value: "int"}},
	{"unexported_name", "p", gen.Config{Name: "smallCache", Key: "Small", Value: "any"}},
	{"imported_types", "p", gen.Config{Name: "AddrCache", Key: "netip.Addr", Value: "evict.Reason"}},
	{"generic_value", "p", gen.Config{Name: "PairCache", Key: "[4]uint32", Value: "Pair[string, *Token]"}},
	{"composite_value", "p", gen.Config{Name: "FuncCache", Key: "float64", Value: "map[string]func(...int) (chan<- error, <-chan struct{ A int `json:\"a\"` })"}},
	{"test_type", "p", gen.Config{Name: "FixtureCache", Key: "Fixture", Value: "int"}},
	{"stale", "p", gen.Config{Name: "OldCache", Key: "string", Value: "string"}},
	{"output_and_tags", "p", gen.Config{Name: "TagCache", Key: "Tagged", Value: "int", Output: "tag_cache.go", Tags: []string{"a", "tagged"}}},
	{"err_type_needs_tag", "p", gen.Config{Name: "TagCache", Key: "Tagged", Value: "int"}},
	{"import_clash", "clash", gen.Config{Name: "KeyCache", Key: "Key", Value: "string"}},

	// Errors.
	{"err_key_slice_field", "p", gen.Config{Name: "BadCache", Key: "Bad", Value: "int"}},
	{"err_key_nested_field", "p", gen.Config{Name: "BadCache", Key: "Outer", Value: "int"}},
	{"err_key_array_element", "p", gen.Config{Name: "BadCache", Key: "[2]Bad", Value: "int"}},
	{"err_key_slice", "p", gen.Config{Name: "BadCache", Key: "[]byte", Value: "int"}},
	{"err_key_map", "p", gen.Config{Name: "BadCache", Key: "map[string]int", Value: "int"}},
	{"err_unknown_type", "p", gen.Config{Name: "X", Key: "Nope", Value: "int"}},
	{"err_unknown_package", "p", gen.Config{Name: "X", Key: "string", Value: "foo.Bar"}},
	{"err_unexported_type", "p", gen.Config{Name: "X", Key: "netip.addr", Value: "int"}},
	{"err_not_a_type", "p", gen.Config{Name: "X", Key: "string", Value: "Answer"}},
	{"err_generic_uninstantiated", "p", gen.Config{Name: "X", Key: "string", Value: "Pair"}},
	{"err_name_collision", "p", gen.Config{Name: "Taken", Key: "string", Value: "int"}},
	{"err_constructor_collision", "p", gen.Config{Name: "Used", Key: "string", Value: "int"}},
	{"err_test_file_collision", "p", gen.Config{Name: "TestOnly", Key: "string", Value: "int"}},
	{"err_test_type_output", "p", gen.Config{Name: "FixtureCache", Key: "Fixture", Value: "int", Output: "fixture.go"}},
	{"err_invalid_name", "p", gen.Config{Name: "1x", Key: "string", Value: "int"}},
	{"err_predeclared_name", "p", gen.Config{Name: "string", Key: "string", Value: "int"}},
	{"err_local_name", "p", gen.Config{Name: "c", Key: "string", Value: "int"}},
	{"err_init_name", "p", gen.Config{Name: "init", Key: "string", Value: "int"}},
	{"err_key_syntax", "p", gen.Config{Name: "X", Key: "[32byte", Value: "int"}},
	{"err_key_newline", "p", gen.Config{Name: "X", Key: "map[string]\nint", Value: "int"}},
	{"err_missing_value", "p", gen.Config{Name: "X", Key: "string"}},
	{"err_output_not_go", "p", gen.Config{Name: "X", Key: "string", Value: "int", Output: "x.txt"}},
}

func TestGenerate_Golden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			f, err := gen.Generate(load(t, tc.pkg, tc.cfg.Tags...), tc.cfg)
			if err != nil {
				got = "error: " + err.Error() + "\n"
			} else {
				got = "-- " + f.Name + " --\n" + string(f.Src)
			}
			assert.Equal(t, strings.HasPrefix(tc.name, "err_"), err != nil, "err_ cases, and only they, fail: %v", err)

			golden := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./gen -update")
			assert.Equal(t, string(want), got, "run go test ./gen -update if the change is intended")
		})
	}
}

// The messages users act on, pinned here as well as in the golden files.
func TestGenerate_BadKeyNamesTypeAndField(t *testing.T) {
	_, err := gen.Generate(load(t, "p"), gen.Config{Name: "BadCache", Key: "Bad", Value: "int"})
	require.EqualError(t, err, "cachegen: key type Bad is not comparable: field S has type []string (a slice)")
}

func TestGenerate_Deterministic(t *testing.T) {
	cfg := gen.Config{Name: "PermCache", Key: "PermKey", Value: "*Token"}
	a, err := gen.Generate(load(t, "p"), cfg)
	require.NoError(t, err)
	p, err := gen.Load(filepath.Join("testdata", "src", "p")) // a fresh load
	require.NoError(t, err)
	b, err := gen.Generate(p, cfg)
	require.NoError(t, err)
	assert.Equal(t, string(a.Src), string(b.Src))
}

func TestDefaultOutput(t *testing.T) {
	for name, want := range map[string]string{
		"TokenCache":     "token_cache.go",
		"Tokens":         "tokens_cache.go",
		"HTTPTokenCache": "http_token_cache.go",
		"userIDCache":    "user_id_cache.go",
		"Cache":          "cache.go",
		"Sha256Cache":    "sha256_cache.go",
	} {
		assert.Equal(t, want, gen.DefaultOutput(name, false), name)
	}
	assert.Equal(t, "token_cache_test.go", gen.DefaultOutput("TokenCache", true))
}

func TestConfigCommand_QuotesForTheShell(t *testing.T) {
	cfg := gen.Config{Name: "X", Key: "[32]byte", Value: "map[string]func() error", Tags: []string{"a", "b"}}
	assert.Equal(t, "cachegen -name=X -key=[32]byte -value='map[string]func() error' -tags=a,b", cfg.Command())
}

func TestConfigConstructor(t *testing.T) {
	assert.Equal(t, "NewTokenCache", gen.Config{Name: "TokenCache"}.Constructor())
	assert.Equal(t, "newTokenCache", gen.Config{Name: "tokenCache"}.Constructor())
}

// TestConfigDeprecated_MarksTypeAndConstructor checks that -deprecated is
// recorded in the header and adds a Deprecated paragraph to the docs of the
// type and of its constructor, and that a multi-line text is refused.
func TestConfigDeprecated_MarksTypeAndConstructor(t *testing.T) {
	cfg := gen.Config{Name: "StrCache", Key: "string", Value: "string", Deprecated: "use shard.Cache[string, string]."}
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "cachegen -name=StrCache -key=string -value=string -deprecated='use shard.Cache[string, string].'", cfg.Command())
	src, err := gen.Render(gen.Spec{Pkg: types.NewPackage("example.com/p", "p"), Name: cfg.Name,
		Key: types.Typ[types.String], Value: types.Typ[types.String], Command: cfg.Command(), Deprecated: cfg.Deprecated})
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(src), "//\n// Deprecated: use shard.Cache[string, string].\n"), "type and constructor docs:\n%s", src)
	assert.Contains(t, string(src), "// Deprecated: use shard.Cache[string, string].\ntype StrCache struct")
	assert.Contains(t, string(src), "// Deprecated: use shard.Cache[string, string].\nfunc NewStrCache(")

	cfg.Deprecated = "two\nlines"
	require.EqualError(t, cfg.Validate(), "cachegen: -deprecated must be on one line")
}
