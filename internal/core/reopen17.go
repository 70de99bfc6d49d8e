//go:build hotcache_reopen17

package core

// reopen17 reopens the race of issue 17, item 1, on purpose (build tag
// hotcache_reopen17): a load stops counting as pending before its result
// is in the index, so a lock-free Delete can miss both, and the stale
// result stays. Only the test that proves the linearizability checker can
// fail (package internal/lincheck) builds with it.
const reopen17 = true
