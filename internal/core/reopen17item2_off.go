//go:build !hotcache_reopen17_item2

package core

// reopen17item2 is false in every normal build: see reopen17item2.go.
const reopen17item2 = false
