package tier

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The history test: three replicas (separate Caches, each with its own
// client; the third reaches Redis through a stall proxy) run GetOrLoad and
// Get over a few keys of a cache-aside source of truth while a writer
// changes the source and invalidates (Delete on any replica, or
// InvalidatePrefix), and faults are injected: the server killed and
// restarted, paused with SIGSTOP, put to sleep with DEBUG SLEEP, the third
// replica's link stalled and its connections dropped. Every operation is
// recorded with its start and end; the checker then asserts:
//
//  1. bound: no Get or GetOrLoad that began more than CoherenceBound after
//     an invalidation returned gives a value the invalidation replaced
//     (values carry the source version they were loaded at);
//  2. agreement: GetOrLoad calls of one key that ran wholly inside a quiet
//     window (no invalidation of the key in flight or within
//     CoherenceBound, no fault within faultMargin) all got the same value,
//     which is the one Redis held: each load makes a value of its own, so
//     two loads' values in one window would show a caller that disagreed;
//  3. one loader: in quiet times, two loads of one key overlapped at most
//     as often as locks were reported lost (Stats.LostLocks).
//
// In CI it runs one round of every fault (a few seconds). TIER_SOAK=10m
// (any duration) repeats rounds for that long:
//
//	TIER_SOAK=10m go test -race -run TestHistories -timeout 0 ./tier

type hkind byte

const (
	hLoad  hkind = 'L' // GetOrLoad
	hGet   hkind = 'G' // Get
	hInval hkind = 'I' // source bumped, then Delete or InvalidatePrefix
)

type hop struct {
	kind     hkind
	key      int
	replica  int
	ver      int64 // read: the source version of the value; inval: the new version
	val      string
	inv, ret time.Duration
	ok       bool // the call succeeded (and a read found a value)
}

type hwindow struct {
	name       string
	start, end time.Duration
}

// faultMargin is how long after a fault ends its effects (reconnection,
// lost locks, fallback loads) may last for the agreement and one-loader
// checks.
const faultMargin = 2 * time.Second

// histPrefix is the Prefix of the history tests' caches; histKeys their
// keys (two groups, for InvalidatePrefix).
const histPrefix = "hist:"

var histKeys = []string{"g0/a", "g0/b", "g1/a", "g1/b"}

// histLockTTL is the history tests' LockTTL: short, so that faults make
// locks expire.
func histLockTTL(o *Options[string]) { o.LockTTL = 200 * time.Millisecond }

// soakFor is TIER_SOAK, or 0.
func soakFor(t *testing.T) time.Duration {
	d := os.Getenv("TIER_SOAK")
	if d == "" {
		return 0
	}
	soak, err := time.ParseDuration(d)
	if err != nil {
		t.Fatalf("TIER_SOAK=%q: %v", d, err)
	}
	return soak
}

// faultFunc injects a fault named name: begin, d later end.
type faultFunc func(name string, d time.Duration, begin, end func())

func TestHistories(t *testing.T) {
	s := startRedis(t)
	p := newStallProxy(t, s.addr)
	reps := []*Cache[string]{
		newReplica(t, s, histPrefix, histLockTTL),
		newReplica(t, s, histPrefix, histLockTTL),
		newReplica(t, &redisServer{tb: t, addr: p.addr()}, histPrefix, histLockTTL),
	}
	raw := s.rawClient()
	runHistories(t, reps, func(fault faultFunc, quiet func()) {
		fault("kill", 300*time.Millisecond, s.kill, s.start)
		quiet()
		fault("SIGSTOP", 300*time.Millisecond, s.pause, s.resume)
		quiet()
		fault("DEBUG SLEEP", 0, func() {
			if err := raw.Do(bg, raw.B().Arbitrary("DEBUG", "SLEEP", "0.3").Build()).Error(); err != nil {
				t.Errorf("DEBUG SLEEP: %v", err)
			}
		}, func() {})
		quiet()
		fault("stall", 400*time.Millisecond, p.stall, p.resume)
		quiet()
		fault("drop", 0, p.drop, func() {})
	})
}

// TestClusterHistories is TestHistories on a 3-master Redis Cluster:
// three replicas on the cluster's seeds, while the master of histKeys[0]
// is killed and restarted (empty), paused with SIGSTOP, and put to sleep
// with DEBUG SLEEP; the keys on the other masters stay reachable
// throughout. Same checks: the bound, agreement, one loader.
func TestClusterHistories(t *testing.T) {
	rc := startCluster(t, 3)
	reps := []*Cache[string]{
		newReplica(t, rc, histPrefix, histLockTTL),
		newReplica(t, rc, histPrefix, histLockTTL),
		newReplica(t, rc, histPrefix, histLockTTL),
	}
	victim := rc.owner(keySlot(histPrefix+"v:{"+histKeys[0]+"}", ""))
	others := 0
	for _, k := range histKeys {
		if rc.owner(keySlot(histPrefix+"v:{"+k+"}", "")) != victim {
			others++
		}
	}
	t.Logf("victim %s serves %d of %d keys", victim.addr, len(histKeys)-others, len(histKeys))
	runHistories(t, reps, func(fault faultFunc, quiet func()) {
		fault("kill a master", 300*time.Millisecond, func() { rc.kill(victim) }, func() { rc.restart(victim) })
		quiet()
		fault("SIGSTOP a master", 300*time.Millisecond, victim.pause, victim.resume)
		quiet()
		fault("DEBUG SLEEP a master", 0, func() { rc.do(victim, "DEBUG", "SLEEP", "0.3") }, func() {})
	})
}

// runHistories runs the recorded workload on reps (see the comment above
// TestHistories) with round injecting one round of faults, repeated for
// TIER_SOAK, and checks the history.
func runHistories(t *testing.T, reps []*Cache[string], round func(fault faultFunc, quiet func())) {
	soak := soakFor(t)
	keys := histKeys
	var src [4]atomic.Int64
	start := time.Now()
	since := func() time.Duration { return time.Since(start) }

	var (
		mu       sync.Mutex
		ops      []hop
		faults   []hwindow
		faulty   atomic.Int32 // >0 while a fault (or its margin) lasts
		overlaps atomic.Int64
		active   [4]atomic.Int32
		uniq     atomic.Int64
	)
	record := func(o hop) { mu.Lock(); ops = append(ops, o); mu.Unlock() }
	loader := func(ki int) func(context.Context, string) (string, error) {
		return func(context.Context, string) (string, error) {
			if active[ki].Add(1) > 1 && faulty.Load() == 0 {
				overlaps.Add(1)
			}
			defer active[ki].Add(-1)
			v := src[ki].Load()
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) // widen the race
			return fmt.Sprintf("%d/%d", v, uniq.Add(1)), nil
		}
	}
	verOf := func(val string) int64 {
		n, _ := strconv.ParseInt(val[:strings.IndexByte(val, '/')], 10, 64)
		return n
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	writer := func(r int) {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(5+rand.IntN(20)) * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(bg, 2*time.Second)
			if rand.IntN(10) == 0 { // a group at once
				grp := rand.IntN(2)
				vers := [2]int64{src[2*grp].Add(1), src[2*grp+1].Add(1)}
				inv := since()
				_, err := reps[r].InvalidatePrefix(ctx, fmt.Sprintf("g%d/", grp))
				ret := since()
				for j := range 2 {
					record(hop{kind: hInval, key: 2*grp + j, replica: r, ver: vers[j], inv: inv, ret: ret, ok: err == nil})
				}
			} else {
				ki := rand.IntN(len(keys))
				o := hop{kind: hInval, key: ki, replica: r, ver: src[ki].Add(1), inv: since()}
				err := reps[r].Delete(ctx, keys[ki])
				o.ret, o.ok = since(), err == nil
				record(o)
			}
			cancel()
		}
	}
	for ri, r := range reps {
		for g := range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					ki := rand.IntN(len(keys))
					// Gets give up soon, so that a stalled link leaves
					// readers trying L1 rather than all stuck in a call.
					d := 2 * time.Second
					if g%2 == 1 {
						d = 30 * time.Millisecond
					}
					ctx, cancel := context.WithTimeout(bg, d)
					o := hop{key: ki, replica: ri, inv: since()}
					if g%2 == 0 {
						o.kind = hLoad
						v, err := r.GetOrLoad(ctx, keys[ki], loader(ki))
						o.val, o.ok = v, err == nil
					} else {
						o.kind = hGet
						v, found, err := r.Get(ctx, keys[ki])
						o.val, o.ok = v, err == nil && found
					}
					o.ret = since()
					cancel()
					if o.ok {
						o.ver = verOf(o.val)
					}
					record(o)
					time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
				}
			})
		}
	}
	for r := range reps { // a writer per replica: one whose link stalls blocks
		wg.Go(func() { writer(r) })
	}

	fault := func(name string, d time.Duration, begin, end func()) {
		faulty.Add(1)
		w := hwindow{name: name, start: since()}
		begin()
		time.Sleep(d)
		end()
		w.end = since()
		mu.Lock()
		faults = append(faults, w)
		mu.Unlock()
		time.AfterFunc(faultMargin, func() { faulty.Add(-1) })
	}
	quiet := func() { time.Sleep(700 * time.Millisecond) }
	for r := 0; r == 0 || since() < soak; r++ {
		quiet()
		round(fault, quiet)
		quiet()
	}
	close(stop)
	wg.Wait()

	var lost, fenced, fallbacks uint64
	for _, r := range reps {
		st := r.Stats()
		lost, fenced, fallbacks = lost+st.LostLocks, fenced+st.FencedStores, fallbacks+st.Fallbacks
	}
	h := history{ops: ops, faults: faults}
	n := h.counts()
	t.Logf("history: %d GetOrLoad, %d Get, %d invalidations over %v, %d faults; lost locks %d, fenced stores %d, fallback loads %d, quiet overlapping loads %d",
		n[hLoad], n[hGet], n[hInval], since().Round(time.Millisecond), len(faults), lost, fenced, fallbacks, overlaps.Load())
	// The bound, unless the lease timer of a replica ran later than the
	// 40ms it is given (a process starved of CPU; see lease.go).
	bound := CoherenceBound
	for _, r := range reps {
		bound = max(bound, leaseFor+time.Duration(r.leaseLate.Load())+10*time.Millisecond)
	}
	if bound > CoherenceBound {
		t.Logf("a lease timer ran late: checking the bound as %v", bound)
	}
	for _, err := range h.check(bound) {
		t.Error(err)
	}
	if o := overlaps.Load(); uint64(o) > lost {
		t.Errorf("%d times two loads of one key overlapped outside faults, but only %d lost locks were reported", o, lost)
	}
	if n[hLoad] < 100 || n[hInval] < 50 {
		t.Errorf("history too short to say anything: %v", n)
	}
}

// history is a recorded run, for the checker.
type history struct {
	ops    []hop
	faults []hwindow
}

func (h history) counts() map[hkind]int {
	n := map[hkind]int{}
	for _, o := range h.ops {
		n[o.kind]++
	}
	return n
}

// check returns the violations of the bound and agreement rules (see
// TestHistories), at most 10 of each.
func (h history) check(bound time.Duration) []error {
	var errs []error
	byKey := map[int][]hop{}
	for _, o := range h.ops {
		byKey[o.key] = append(byKey[o.key], o)
	}
	for key, ops := range byKey {
		var invals, reads []hop
		for _, o := range ops {
			if o.kind == hInval {
				invals = append(invals, o)
			} else if o.ok {
				reads = append(reads, o)
			}
		}
		// 1. bound: the newest version whose invalidation returned more
		// than bound before the read began.
		done := slices.Clone(invals)
		slices.SortFunc(done, func(a, b hop) int { return int(a.ret - b.ret) })
		need := make([]int64, len(done)) // need[i]: the newest version invalidated by done[:i+1]
		for i, iv := range done {
			if i > 0 {
				need[i] = need[i-1]
			}
			if iv.ok {
				need[i] = max(need[i], iv.ver)
			}
		}
		stale := 0
		for _, r := range reads {
			// done[:n] returned more than bound before r began.
			n, _ := slices.BinarySearchFunc(done, r.inv, func(iv hop, t time.Duration) int {
				if iv.ret+bound < t {
					return -1
				}
				return 1
			})
			if n == 0 {
				continue
			}
			need := need[n-1]
			if r.ver < need {
				if stale++; stale <= 10 {
					errs = append(errs, fmt.Errorf("key %d: replica %d's %c at [%v, %v] got version %d (%q), but version %d's invalidation returned more than %v before",
						key, r.replica, r.kind, r.inv, r.ret, r.ver, r.val, need, bound))
				}
			}
		}
		// 2. agreement: barriers are invalidations (in flight or within
		// bound after) and faults (within faultMargin after).
		var bars []hwindow
		for _, iv := range invals {
			bars = append(bars, hwindow{start: iv.inv, end: iv.ret + bound})
		}
		for _, f := range h.faults {
			bars = append(bars, hwindow{start: f.start, end: f.end + faultMargin})
		}
		slices.SortFunc(bars, func(a, b hwindow) int { return int(a.start - b.start) })
		type gap struct{ start, end time.Duration }
		var gaps []gap
		cur := time.Duration(0)
		for _, b := range bars {
			if b.start > cur {
				gaps = append(gaps, gap{cur, b.start})
			}
			cur = max(cur, b.end)
		}
		gaps = append(gaps, gap{cur, 1 << 62})
		seen := map[int]hop{}
		disagree := 0
		for _, r := range reads {
			if r.kind != hLoad {
				continue
			}
			gi, found := slices.BinarySearchFunc(gaps, r.inv, func(g gap, t time.Duration) int {
				switch {
				case g.end <= t:
					return -1
				case g.start > t:
					return 1
				}
				return 0
			})
			if !found || r.ret > gaps[gi].end {
				continue
			}
			if first, ok := seen[gi]; !ok {
				seen[gi] = r
			} else if first.val != r.val {
				if disagree++; disagree <= 10 {
					errs = append(errs, fmt.Errorf("key %d: in the quiet window [%v, %v], replica %d got %q at [%v, %v] and replica %d got %q at [%v, %v]",
						key, gaps[gi].start, gaps[gi].end, first.replica, first.val, first.inv, first.ret, r.replica, r.val, r.inv, r.ret))
				}
			}
		}
	}
	return errs
}

// TestHistoryCheckerCatches: the checker is not vacuous: it flags a value
// served after its invalidation returned, and two values in a quiet window.
func TestHistoryCheckerCatches(t *testing.T) {
	ms := time.Millisecond
	h := history{ops: []hop{
		{kind: hInval, key: 0, ver: 2, inv: 10 * ms, ret: 11 * ms, ok: true},
		{kind: hGet, key: 0, ver: 1, val: "1/7", inv: 50 * ms, ret: 51 * ms, ok: true},   // within the bound: fine
		{kind: hGet, key: 0, ver: 1, val: "1/7", inv: 200 * ms, ret: 201 * ms, ok: true}, // stale
		{kind: hLoad, key: 1, ver: 0, val: "0/1", inv: 300 * ms, ret: 301 * ms, ok: true},
		{kind: hLoad, key: 1, ver: 0, val: "0/2", inv: 310 * ms, ret: 311 * ms, ok: true}, // disagrees
	}}
	errs := h.check(100 * ms)
	if len(errs) != 2 || !strings.Contains(errs[0].Error()+errs[1].Error(), "got version 1") || !strings.Contains(errs[0].Error()+errs[1].Error(), "quiet window") {
		t.Fatalf("checker found %v; want one stale read and one disagreement", errs)
	}
}
