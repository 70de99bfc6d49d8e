package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hotcache/hotcache/gen"
)

// e2eProgram uses caches generated into package p and checks what users
// rely on: equal keys find the entry (also -0 for +0, and struct keys built
// separately), and a stale file was regenerated.
const e2eProgram = `package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	"example.com/e2e/p"
	"github.com/hotcache/hotcache/shard"
)

func check(ok bool, what string) {
	if !ok {
		fmt.Println("FAIL:", what)
		os.Exit(1)
	}
}

func main() {
	pc, err := p.NewPermCache(shard.Options[p.PermKey, *p.Token]{Capacity: 100})
	check(err == nil, "NewPermCache")
	tok := &p.Token{V: "t"}
	pc.Set(p.PermKey{User: 1, Perm: "read", Sum: p.Digest{1}, Inner: p.Inner{Tags: [2]string{"a", "b"}}}, tok)
	got, ok := pc.Get(p.PermKey{User: 1, Perm: "re" + "ad", Sum: p.Digest{1}, Inner: p.Inner{Tags: [2]string{"a", "b"}}})
	check(ok && got == tok, "struct key Get")
	_, ok = pc.Get(p.PermKey{User: 1, Perm: "read", Inner: p.Inner{Tags: [2]string{"b", "a"}}})
	check(!ok, "a different key misses")

	fc, err := p.NewFuncCache(shard.Options[float64, map[string]func(...int) (chan<- error, <-chan struct{ A int ` + "`json:\"a\"`" + ` })]{Capacity: 10})
	check(err == nil, "NewFuncCache")
	fc.Set(math.Copysign(0, -1), nil)
	_, ok = fc.Get(0)
	check(ok, "-0 and +0 are one key")

	// Get hashes a string key of 8 to 16 bytes inline and others with a
	// call; Set always with the call: both must agree at every length.
	hc, err := p.NewHostCache(shard.Options[p.Host, int]{Capacity: 100})
	check(err == nil, "NewHostCache")
	for n := 0; n <= 40; n++ {
		hc.Set(p.Host(strings.Repeat("h", n)), n)
	}
	for n := 0; n <= 40; n++ {
		v, ok := hc.Get(p.Host(strings.Repeat("h", n)))
		check(ok && v == n, fmt.Sprintf("named string key of %d bytes", n))
	}
	_, ok = hc.Get("hhhhhhhhhx")
	check(!ok, "a different key of the same length misses")
	uc, err := p.NewUUIDCache(shard.Options[p.UUID, int]{Capacity: 10})
	check(err == nil, "NewUUIDCache")
	uc.Set(p.UUID{15: 1}, 1)
	v1, ok := uc.Get(p.UUID{15: 1})
	check(ok && v1 == 1, "UUID key Get")
	_, ok = uc.Get(p.UUID{14: 1})
	check(!ok, "a different UUID misses")

	oc, err := p.NewOldCache(shard.Options[string, string]{Capacity: 10})
	check(err == nil, "NewOldCache")
	oc.Set("k", "v")
	v, ok := oc.Get("k")
	check(ok && v == "v", "regenerated OldCache")
	check(oc.Close() == nil, "Close")
	fmt.Println("ok")
}
`

// TestCachegen_EndToEnd generates caches into a package of a temporary
// module (replaced to this repository), then vets it and builds and runs a
// program that uses them. It takes about 10 s (25 s under -race on a busy
// machine): most of it is the go command compiling.
func TestCachegen_EndToEnd(t *testing.T) {
	root := goCmd(t, ".", "list", "-m", "-f", "{{.Dir}}")
	tmp := t.TempDir()
	// Packages p and clash of gen's testdata (clash declares names that
	// the generated file's imports must avoid).
	pdir, clashDir := filepath.Join(tmp, "p"), filepath.Join(tmp, "clash")
	for _, dir := range []string{pdir, clashDir} {
		require.NoError(t, os.Mkdir(dir, 0o755))
		files, err := filepath.Glob(filepath.Join(root, "gen", "testdata", "src", filepath.Base(dir), "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644))
		}
	}
	gomod := "module example.com/e2e\n\ngo 1.25\n\nrequire github.com/hotcache/hotcache v0.0.0\n\nreplace github.com/hotcache/hotcache => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "main.go"), []byte(e2eProgram), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644))
	goCmd(t, tmp, "mod", "tidy")

	// The command repairs the stale file that p/old_cache.go is; then one
	// load serves the other caches (what a go:generate line per cache
	// would write, faster).
	var stderr bytes.Buffer
	require.Equal(t, exitOK, run(pdir, []string{"-name=OldCache", "-key=string", "-value=string"}, &stderr, &stderr), "%s", &stderr)
	pkg, err := gen.Load(pdir)
	require.NoError(t, err)
	for _, cfg := range []gen.Config{
		{Name: "PermCache", Key: "PermKey", Value: "*Token"},
		{Name: "DigestCache", Key: "Digest", Value: "[]byte"},
		{Name: "HostCache", Key: "Host", Value: "int"},
		{Name: "UUIDCache", Key: "UUID", Value: "int"},
		{Name: "smallCache", Key: "Small", Value: "any"},
		{Name: "AddrCache", Key: "netip.Addr", Value: "evict.Reason"},
		{Name: "PairCache", Key: "[4]uint32", Value: "Pair[string, *Token]"},
		{Name: "FuncCache", Key: "float64", Value: "map[string]func(...int) (chan<- error, <-chan struct{ A int `json:\"a\"` })"},
		{Name: "FixtureCache", Key: "Fixture", Value: "int"},
	} {
		f, err := gen.Generate(pkg, cfg)
		require.NoError(t, err)
		require.NoError(t, writeAtomic(filepath.Join(pdir, f.Name), f.Src))
	}
	assert.FileExists(t, filepath.Join(pdir, "fixture_cache_test.go"), "a test-file type gives a _test.go output")
	stderr.Reset()
	require.Equal(t, exitOK, run(clashDir, []string{"-name=KeyCache", "-key=Key", "-value=string"}, &stderr, &stderr), "%s", &stderr)

	goCmd(t, tmp, "vet", "./...") // type-checks everything, the _test.go output too
	assert.Equal(t, "ok", goCmd(t, tmp, "run", "."))

	// The acceptance case: a non-comparable key is refused, naming the
	// type and the field, and nothing is written.
	before, err := os.ReadDir(pdir)
	require.NoError(t, err)
	stderr.Reset()
	assert.Equal(t, exitError, run(pdir, []string{"-name=BadCache", "-key=Bad", "-value=int"}, &stderr, &stderr))
	assert.Equal(t, "cachegen: key type Bad is not comparable: field S has type []string (a slice)\n", stderr.String())
	after, err := os.ReadDir(pdir)
	require.NoError(t, err)
	assert.Equal(t, len(before), len(after), "no file written")
}

// goCmd runs the go command in dir and returns its trimmed
// output; it fails the test with the output on error.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}
