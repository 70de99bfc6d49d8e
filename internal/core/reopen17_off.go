//go:build !hotcache_reopen17

package core

// reopen17 is false in every normal build: see reopen17.go.
const reopen17 = false
