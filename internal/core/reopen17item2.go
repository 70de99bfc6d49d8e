//go:build hotcache_reopen17_item2

package core

// reopen17item2 reopens issue 17, item 2, on purpose (build tag
// hotcache_reopen17_item2): a GetOrLoad joins a load that a DeleteFunc
// reached, a not-found is not filtered, and DeleteFunc keeps remembered
// not-founds. Only to show that the checker of internal/lincheck reports
// it.
const reopen17item2 = true
