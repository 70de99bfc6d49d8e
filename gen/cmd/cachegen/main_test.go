package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testPkg is a package with a non-comparable type Bad and a declared Taken.
var testPkg = filepath.Join("..", "..", "testdata", "src", "p")

func runCmd(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(dir, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun_HelpPrintsTheManual(t *testing.T) {
	code, stdout, stderr := runCmd(t, testPkg, "-h")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stderr)
	assert.True(t, strings.HasPrefix(stdout, "Cachegen generates a cache"), stdout)
	for _, flag := range []string{"-name", "-key", "-value", "-output", "-tags", "go get -tool", "//go:generate go tool cachegen"} {
		assert.Contains(t, stdout, flag)
	}
	assert.NotContains(t, stdout, "package main")
}

func TestRun_UsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "cachegen: -name is required"},
		{[]string{"-name=X", "-value=int"}, "cachegen: -key is required"},
		{[]string{"-name=X", "-key=string", "-value=int", "-bogus"}, "cachegen: flag provided but not defined: -bogus"},
		{[]string{"-name=X", "-key=string", "-value=int", "extra"}, `cachegen: unexpected arguments ["extra"]: cachegen works on the package in the current directory`},
		{[]string{"-name=x-y", "-key=string", "-value=int"}, "cachegen: -name=x-y is not a valid Go identifier"},
		{[]string{"-name=X", "-key=string", "-value=int", "-tags=a,,b"}, `cachegen: -tags: "" is not a build tag`},
	} {
		code, stdout, stderr := runCmd(t, testPkg, tc.args...)
		assert.Equal(t, exitUsage, code, "%q", tc.args)
		assert.Empty(t, stdout)
		assert.Equal(t, tc.want+"\nrun 'cachegen -h' for usage\n", stderr, "%q", tc.args)
	}
	// go/parser words its message; the start is ours.
	code, _, stderr := runCmd(t, testPkg, "-name=X", "-key=map[", "-value=int")
	assert.Equal(t, exitUsage, code)
	assert.True(t, strings.HasPrefix(stderr, "cachegen: -key=map[ is not a Go type expression: "), stderr)
}

func TestRun_ErrorsExit1AndWriteNothing(t *testing.T) {
	before := dirNames(t, testPkg)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-name=BadCache", "-key=Bad", "-value=int"}, "cachegen: key type Bad is not comparable: field S has type []string (a slice)"},
		{[]string{"-name=X", "-key=Nope", "-value=int"}, "cachegen: cannot resolve key type Nope in package p: undefined: Nope"},
		{[]string{"-name=Taken", "-key=string", "-value=int"}, "cachegen: cannot declare Taken: package p already declares it at existing.go:4:6"},
	} {
		code, stdout, stderr := runCmd(t, testPkg, tc.args...)
		assert.Equal(t, exitError, code, "%q", tc.args)
		assert.Empty(t, stdout)
		assert.Equal(t, tc.want+"\n", stderr, "%q", tc.args)
	}
	assert.Equal(t, before, dirNames(t, testPkg), "no file written or left behind")

	dir := t.TempDir()
	code, _, stderr := runCmd(t, dir, "-name=X", "-key=string", "-value=int")
	assert.Equal(t, exitError, code)
	assert.Equal(t, "cachegen: loading the package in "+dir+": no Go package\n", stderr)
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x_cache.go")
	require.NoError(t, writeAtomic(file, []byte("one")))
	require.NoError(t, writeAtomic(file, []byte("two")))
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "two", string(got))
	info, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	assert.Equal(t, []string{"x_cache.go"}, dirNames(t, dir), "no temporary file left")

	// An up-to-date file is not rewritten: a read-only one stays as it is.
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	assert.NoError(t, writeAtomic(file, []byte("two")))

	assert.Error(t, writeAtomic(filepath.Join(dir, "missing", "y.go"), []byte("y")))
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
