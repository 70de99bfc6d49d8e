package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 17 item 7: -name=init exited 0 and wrote a file that stopped the
// package from building. cachegen now refuses such names (a usage error,
// exit 2; main in package main, where only the package can tell, exit 1),
// names the problem, and writes nothing.
func TestRun_RefusesNamesThatBreakTheBuild(t *testing.T) {
	const types = "package q\n\n// Key is a key.\ntype Key string\n"
	dir := newPkg(t, map[string]string{"types.go": types})
	before := snapshot(t, dir)
	for _, tc := range []struct {
		name, want string
	}{
		{"init", "cachegen: -name=init cannot name the generated type: a package can declare init only as init functions"},
		{"len", "cachegen: -name=len cannot name the generated type: it would shadow the predeclared identifier len"},
		{"_", "cachegen: -name=_ is not a valid Go identifier"},
		{"type", "cachegen: -name=type is not a valid Go identifier"},
	} {
		code, stdout, stderr := runCmd(t, dir, "-name="+tc.name, "-key=Key", "-value=int")
		assert.Equal(t, exitUsage, code, tc.name)
		assert.Empty(t, stdout)
		assert.Equal(t, tc.want+"\nrun 'cachegen -h' for usage\n", stderr, tc.name)
		assert.Equal(t, before, snapshot(t, dir), "%s: nothing written", tc.name)
	}

	// In package main, whose main function this build does not see.
	const cmd = "package main\n\n// Key is a key.\ntype Key string\n"
	const mainFunc = "//go:build never\n\npackage main\n\nfunc main() {}\n"
	dir = newPkg(t, map[string]string{"types.go": cmd, "main.go": mainFunc})
	before = snapshot(t, dir)
	code, stdout, stderr := runCmd(t, dir, "-name=main", "-key=Key", "-value=int")
	assert.Equal(t, exitError, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "cachegen: \"main\" cannot name the generated type: package main can declare main only as its main function\n", stderr)
	assert.Equal(t, before, snapshot(t, dir), "nothing written")
}

// Issue 17 item 7: an output path that is a symbolic link (to cachegen's
// own earlier output) was replaced by a regular file, leaving the link's
// target stale. cachegen now refuses, naming the link and its target, and
// touches neither.
func TestRun_RefusesASymlinkedOutput(t *testing.T) {
	const types = "package q\n\n// Key is a key.\ntype Key string\n"
	dir := newPkg(t, map[string]string{"types.go": types})
	code, _, stderr := runCmd(t, dir, "-name=KeyCache", "-key=Key", "-value=int")
	require.Equal(t, exitOK, code, stderr)

	// Move the output elsewhere and link to it, as a shared checkout might.
	shared := t.TempDir()
	target := filepath.Join(shared, "key_cache.go")
	require.NoError(t, os.Rename(filepath.Join(dir, "key_cache.go"), target))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "key_cache.go")))
	old, err := os.ReadFile(target)
	require.NoError(t, err)

	for _, args := range [][]string{
		{"-name=KeyCache", "-key=Key", "-value=string"}, // a change: would rewrite
		{"-name=KeyCache", "-key=Key", "-value=string", "-output=key_cache.go"},
	} {
		code, stdout, stderr := runCmd(t, dir, args...)
		assert.Equal(t, exitError, code, "%q", args)
		assert.Empty(t, stdout)
		assert.Equal(t, "cachegen: key_cache.go is a symbolic link to "+target+
			": not replacing it (point -output at the link's target, or remove the link)\n", stderr, "%q", args)
		info, err := os.Lstat(filepath.Join(dir, "key_cache.go"))
		require.NoError(t, err)
		assert.NotZero(t, info.Mode()&os.ModeSymlink, "the link is still a link")
		got, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, string(old), string(got), "the target is untouched")
		assert.ElementsMatch(t, []string{"go.mod", "types.go", "key_cache.go"}, dirNames(t, dir), "no temporary file left")
	}

	// A dangling link is refused too.
	require.NoError(t, os.Remove(target))
	code, _, stderr = runCmd(t, dir, "-name=KeyCache", "-key=Key", "-value=string")
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr, "cachegen: key_cache.go is a symbolic link to ")
}
