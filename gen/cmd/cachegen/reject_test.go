package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Issue 17: a constraint given as the key or value type was accepted and
// wrote a file that broke the package. It is refused: exit 1, the message
// names the type, and nothing is written.
func TestRun_RefusesConstraintsAsTypes(t *testing.T) {
	dir := newPkg(t, map[string]string{"types.go": "package q\n\n// Number is a constraint.\ntype Number interface{ ~int | ~float64 }\n"})
	before := snapshot(t, dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-name=C", "-key=comparable", "-value=int"},
			"cachegen: key type comparable is a constraint, not a type: it can only constrain a type parameter"},
		{[]string{"-name=C", "-key=string", "-value=comparable"},
			"cachegen: value type comparable is a constraint, not a type: it can only constrain a type parameter"},
		{[]string{"-name=C", "-key=Number", "-value=int"},
			"cachegen: key type Number is a constraint, not a type: it can only constrain a type parameter"},
		{[]string{"-name=C", "-key=string", "-value=map[string][]Number"},
			"cachegen: cannot resolve value type map[string][]Number in package q: cannot use type Number outside a type constraint: interface contains type constraints"},
		{[]string{"-name=C", "-key=string", "-value=func(comparable) error"},
			"cachegen: cannot resolve value type func(comparable) error in package q: cannot use type comparable outside a type constraint: interface is (or embeds) comparable"},
	} {
		code, stdout, stderr := runCmd(t, dir, tc.args...)
		assert.Equal(t, exitError, code, "%q", tc.args)
		assert.Empty(t, stdout)
		assert.Equal(t, tc.want+"\n", stderr, "%q", tc.args)
	}
	assert.Equal(t, before, snapshot(t, dir), "nothing written")
}

// Issue 17: a name starting with a non-ASCII lower-case letter failed with
// a 4 KB message dumping the source. It is a usage error naming the letter.
func TestRun_RefusesUnexportedNonASCIINames(t *testing.T) {
	dir := newPkg(t, map[string]string{"types.go": "package q\n"})
	before := snapshot(t, dir)
	for _, tc := range []struct{ name, want string }{
		{"éclairCache", "cachegen: -name=éclairCache starts with the non-ASCII lower-case letter é: an unexported name must start with an ASCII letter or _"},
		{"缓存", "cachegen: -name=缓存 starts with 缓, neither upper-case nor ASCII: the name must start with an ASCII letter, _, or an upper-case letter"},
	} {
		code, stdout, stderr := runCmd(t, dir, "-name="+tc.name, "-key=string", "-value=int")
		assert.Equal(t, exitUsage, code, tc.name)
		assert.Empty(t, stdout)
		assert.Equal(t, tc.want+"\nrun 'cachegen -h' for usage\n", stderr, tc.name)
	}
	assert.Equal(t, before, snapshot(t, dir), "nothing written")

	// Names that start with an upper-case letter, ASCII or not, are fine.
	for _, name := range []string{"ÉclairCache", "eclairCache", "_cache"} {
		code, _, stderr := runCmd(t, dir, "-name="+name, "-key=string", "-value=int")
		assert.Equal(t, exitOK, code, "%s: %s", name, stderr)
		assert.Less(t, len(stderr), 200)
	}
	assert.True(t, strings.Contains(strings.Join(dirNames(t, dir), " "), "éclair_cache.go"), dirNames(t, dir))
}
