// Package lincheck holds hotcache's linearizability checker, in its tests:
// concurrent clients record the call and return of Get, Set, Compute,
// Delete, DeleteFunc, Clear, GetOrLoad, GetOrLoadAll and Refresh on one
// time base, with loaders that read a
// versioned source of truth which writers update before they invalidate
// (cache-aside, as users do), and porcupine
// (github.com/anishathalye/porcupine) checks every history against a
// sequential model of one key, the history partitioned by key. Clear and
// DeleteFunc are recorded as one operation per key they may affect, and
// GetOrLoadAll as one load per key it asked for. A Compute that writes is
// a cache-aside write (WriteOp of the new version, InvalidateOp when the
// source dropped the key); one that cancels is a read of what f saw.
// Refresh records nothing itself: what it stored is judged by every read
// after it (a Compute that stopped superseding loads is reported within a
// second with the race windows widened). SetCapacity, on the shard and
// generated targets, is driven but not recorded: it only evicts, which the
// model allows at any time, and a stale value it let through shows in the
// reads after it. One shard history in eight hashes every key alike, with
// a goroutine writing and deleting unchecked filler keys in the same chain,
// so that the checked keys live in overflow buckets that the fillers' writes
// and deletes take from and return to the table's free list meanwhile.
//
// The model allows what a cache may do — miss at any time (eviction,
// admission, expiry) — and forbids what it must not: a value that is
// neither the one the cache was last given (by Set, or by a load's result)
// since the key's last invalidation, nor the source's current one; that
// is, a value older than the last write or invalidation that completed.
//
// It checks shard.Cache, a generated cache (generated.Uint64Cache) and
// writeback.Cache over a writeback.Buffer over memstore. A failing
// history's visualization (porcupine's HTML) is written to a temporary
// file, whose path the failure prints.
//
// # Race windows
//
// With the build tag hotcache_widen, the engine yields or sleeps at the
// points where a load's publication races an invalidation (internal/core's
// widen; a no-op otherwise), so that such races hit within seconds. The
// build tag hotcache_reopen17 puts back the race of issue 17, item 1 (a
// load stops counting as pending before its result is published), and
// TestChecker_ReportsReopenedRace17, which runs in every go test, builds
// the checker with both tags and requires it to report a violation for
// every target: a checker that cannot fail proves nothing.
// TestChecker_ReportsReopenedItem2 does the same with hotcache_reopen17_item2
// (issue 17, item 2: a GetOrLoad joins a load that a DeleteFunc reached,
// and DeleteFunc leaves remembered not-founds). Each reports a violation
// within a second of checking.
//
// # Running it
//
//	go test ./internal/lincheck                                # 2s per target
//	go test -race -tags hotcache_widen -run 'TestLinearizable$' ./internal/lincheck
//
// Soak: -lincheck.duration (or $LINCHECK_DURATION) sets the time per target,
// and -run picks targets (shard, generated, writeback), e.g. three soaks at
// once:
//
//	for t in shard generated writeback; do
//	  nice go test -race -tags hotcache_widen -run "TestLinearizable/$t\$" -timeout 0 -v \
//	    ./internal/lincheck -lincheck.duration=10m > soak-$t.log &
//	done
//
// Each target logs the histories and operations it checked and the
// violations found (a violation fails the test). With $LINCHECK_DUMP set
// to a file name, a failing history's offending key is also written there
// as text, one operation a line in call order.
package lincheck
