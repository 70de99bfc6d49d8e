package tier

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
)

// coherenceBound is the promise: after a write returns on one replica,
// every other replica sees it within this time.
const coherenceBound = 100 * time.Millisecond

func mustGet(t *testing.T, c *Cache[string], key string) (string, bool) {
	t.Helper()
	v, ok, err := c.Get(bg, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v, ok
}

func inL1(c *Cache[string], key string) (string, bool) { return c.l1.Peek(key) }

// cache reads key on r until r's L1 holds want: an invalidation of an
// earlier write may still be on its way and drop the first copies.
func cache(t *testing.T, r *Cache[string], key, want string) {
	t.Helper()
	if !waitFor(time.Second, func() bool {
		v, ok := mustGet(t, r, key)
		l, inl1 := inL1(r, key)
		return ok && v == want && inl1 && l == want
	}) {
		v, ok := mustGet(t, r, key)
		t.Fatalf("%q never cached in L1 as %q (Get: %q, %v; %+v)", key, want, v, ok, r.Stats())
	}
}

func TestReadAfterWriteAndDeleteAcrossReplicas(t *testing.T) {
	eachTopology(t, testReadAfterWriteAndDeleteAcrossReplicas)
}

func testReadAfterWriteAndDeleteAcrossReplicas(t *testing.T, s *redisEnv) {
	a, b, c := newReplica(t, s, "raw:"), newReplica(t, s, "raw:"), newReplica(t, s, "raw:")
	if err := a.Set(bg, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Cache[string]{a, b, c} {
		if v, ok := mustGet(t, r, "k"); !ok || v != "v1" {
			t.Fatalf("Get after Set: %q, %v; want v1", v, ok)
		}
		cache(t, r, "k", "v1")
	}
	if err := a.Set(bg, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustGet(t, a, "k"); v != "v2" {
		t.Fatalf("writer's own Get after Set: %q, want v2", v)
	}
	for _, r := range []*Cache[string]{b, c} {
		if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, r, "k"); return v == "v2" }) {
			t.Fatalf("another replica still reads the old value %v after Set returned", coherenceBound)
		}
	}
	if err := b.Delete(bg, "k"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Cache[string]{a, b, c} {
		if !waitFor(coherenceBound, func() bool { _, ok := mustGet(t, r, "k"); return !ok }) {
			t.Fatalf("a replica still reads the key %v after Delete returned", coherenceBound)
		}
	}
	if st := c.Stats(); st.Invalidations == 0 || st.L2Hits == 0 || !st.Connected {
		t.Fatalf("Stats = %+v: want invalidations, L2 hits, connected", st)
	}
}

// TestInvalidationLatency measures, over 1,000 writes on loopback, the time
// from a Set returning on one replica to the old value leaving another
// replica's L1, and asserts the 100 ms bound at the 99th percentile.
func TestInvalidationLatency(t *testing.T) {
	s := startRedis(t)
	a, b := newReplica(t, s, "lat:"), newReplica(t, s, "lat:")
	const n = 1000
	lat := make([]time.Duration, 0, n)     // from Set returning to b's L1 dropping the old value
	setTook := make([]time.Duration, 0, n) // Set's own round trip
	if err := a.Set(bg, "k", "0"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		old := fmt.Sprint(i - 1)
		// Warm b's L1 with the current value (an invalidation of the
		// previous write may still be on its way: read until cached).
		cache(t, b, "k", old)
		called := time.Now()
		if err := a.Set(bg, "k", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		setTook = append(setTook, start.Sub(called))
		for {
			if v, ok := inL1(b, "k"); !ok || v != old {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("write %d: b's L1 kept the old value 5s", i)
			}
			runtime.Gosched()
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	slices.Sort(setTook)
	med, p99, mx := lat[n/2], lat[n*99/100], lat[n-1]
	t.Logf("invalidation latency after Set returned, over %d writes: median %v, p99 %v, max %v (Set itself: median %v, p99 %v)",
		n, med, p99, mx, setTook[n/2], setTook[n*99/100])
	if p99 > coherenceBound {
		t.Fatalf("p99 invalidation latency %v > %v", p99, coherenceBound)
	}
}

func TestOneLoadAcross3Replicas10Goroutines(t *testing.T) {
	eachTopology(t, testOneLoadAcross3Replicas10Goroutines)
}

func testOneLoadAcross3Replicas10Goroutines(t *testing.T, s *redisEnv) {
	reps := []*Cache[string]{newReplica(t, s, "one:"), newReplica(t, s, "one:"), newReplica(t, s, "one:")}
	var loads atomic.Int32
	load := func(ctx context.Context, key string) (string, error) {
		n := loads.Add(1)
		time.Sleep(100 * time.Millisecond)
		return fmt.Sprintf("%s#%d", key, n), nil
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	got := make(chan string, 30)
	for _, r := range reps {
		for range 10 {
			wg.Go(func() {
				<-start
				v, err := r.GetOrLoad(bg, "k", load)
				if err != nil {
					t.Error(err)
				}
				got <- v
			})
		}
	}
	close(start)
	wg.Wait()
	close(got)
	if n := loads.Load(); n != 1 {
		t.Fatalf("loader ran %d times across 3 replicas x 10 goroutines, want 1", n)
	}
	for v := range got {
		if v != "k#1" {
			t.Fatalf("a caller got %q, want k#1", v)
		}
	}
}

func TestLoaderFailsOnOneReplicaWhileOthersWait(t *testing.T) {
	eachTopology(t, testLoaderFailsOnOneReplicaWhileOthersWait)
}

func testLoaderFailsOnOneReplicaWhileOthersWait(t *testing.T, s *redisEnv) {
	long := func(o *Options[string]) { o.LockTTL = 30 * time.Second }
	a, b, c := newReplica(t, s, "fail:", long), newReplica(t, s, "fail:", long), newReplica(t, s, "fail:", long)
	raw := s.rawClient()
	boom := errors.New("backend down")
	release := make(chan struct{})
	var aLoads, otherLoads atomic.Int32
	failing := func(ctx context.Context, key string) (string, error) {
		aLoads.Add(1)
		<-release
		return "", boom
	}
	working := func(ctx context.Context, key string) (string, error) {
		otherLoads.Add(1)
		return "good", nil
	}
	var wg sync.WaitGroup
	aErrs := make(chan error, 3)
	for range 3 { // a's waiters share a's one load
		wg.Go(func() { _, err := a.GetOrLoad(bg, "k", failing); aErrs <- err })
	}
	if !waitFor(5*time.Second, func() bool {
		return raw.Do(bg, raw.B().Exists().Key("fail:l:{k}").Build()).Error() == nil && aLoads.Load() == 1
	}) {
		t.Fatal("replica a never took the lock")
	}
	type res struct {
		v   string
		err error
		at  time.Duration
	}
	others := make(chan res, 10)
	for _, r := range []*Cache[string]{b, c} {
		for range 5 {
			wg.Go(func() {
				v, err := r.GetOrLoad(bg, "k", working)
				others <- res{v, err, 0}
			})
		}
	}
	time.Sleep(100 * time.Millisecond) // b and c are now waiting for a's lock
	if n := otherLoads.Load(); n != 0 {
		t.Fatalf("b or c loaded while a held the lock (%d loads)", n)
	}
	failedAt := time.Now()
	close(release)
	wg.Wait()
	close(aErrs)
	close(others)
	for err := range aErrs {
		if !errors.Is(err, boom) {
			t.Fatalf("a's waiter got %v, want the loader's error", err)
		}
	}
	for r := range others {
		if r.err != nil || r.v != "good" {
			t.Fatalf("b/c waiter got %q, %v; want good", r.v, r.err)
		}
	}
	if d := time.Since(failedAt); d > 2*time.Second {
		t.Fatalf("b and c took %v after a's failure (LockTTL 30s): they waited out the lock", d)
	}
	if n := otherLoads.Load(); n != 1 {
		t.Fatalf("b and c loaded %d times after a failed, want 1 (one load across the waiting replicas)", n)
	}
	if v, _ := mustGet(t, a, "k"); v != "good" {
		t.Fatalf("a reads %q after b/c loaded, want good", v)
	}
}

func TestLoaderPanicReleasesLock(t *testing.T) {
	s := startRedis(t)
	a := newReplica(t, s, "panic:")
	raw := s.rawClient()
	_, err := a.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { panic("kaboom") })
	var pe *shard.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" {
		t.Fatalf("GetOrLoad with a panicking loader: %v, want *shard.PanicError", err)
	}
	if n, _ := raw.Do(bg, raw.B().Exists().Key("panic:l:{k}").Build()).AsInt64(); n != 0 {
		t.Fatal("the lock is still held after the loader panicked")
	}
	v, err := a.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { return "ok", nil })
	if err != nil || v != "ok" {
		t.Fatalf("next GetOrLoad: %q, %v", v, err)
	}
}

func TestLockHolderCrash(t *testing.T) { eachTopology(t, testLockHolderCrash) }

func testLockHolderCrash(t *testing.T, s *redisEnv) {
	const lockTTL = 400 * time.Millisecond
	a := newReplica(t, s, "crash:", func(o *Options[string]) { o.LockTTL = lockTTL })
	raw := s.rawClient()
	// A replica that took the lock and died: its token is in Redis, and
	// nobody will release it.
	if err := raw.Do(bg, raw.B().Set().Key("crash:l:{k}").Value("dead-replica-token").Px(lockTTL).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v, err := a.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { return "fresh", nil })
	d := time.Since(start)
	if err != nil || v != "fresh" {
		t.Fatalf("GetOrLoad: %q, %v", v, err)
	}
	t.Logf("load started after the dead holder's lock expired: waited %v (LockTTL %v)", d, lockTTL)
	if d < lockTTL-50*time.Millisecond || d > lockTTL+time.Second {
		t.Fatalf("waited %v for a dead holder's lock with LockTTL %v", d, lockTTL)
	}
	if st := a.Stats(); st.LockWaits != 1 || st.Loads != 1 {
		t.Fatalf("Stats %+v: want 1 lock wait, 1 load", st)
	}
}

func TestLockExtendedWhileLoading(t *testing.T) {
	s := startRedis(t)
	short := func(o *Options[string]) { o.LockTTL = 150 * time.Millisecond }
	a, b := newReplica(t, s, "ext:", short), newReplica(t, s, "ext:", short)
	var loads atomic.Int32
	slow := func(context.Context, string) (string, error) {
		loads.Add(1)
		time.Sleep(600 * time.Millisecond) // 4 x LockTTL
		return "v", nil
	}
	var wg sync.WaitGroup
	wg.Go(func() { a.GetOrLoad(bg, "k", slow) })
	time.Sleep(50 * time.Millisecond)
	wg.Go(func() { b.GetOrLoad(bg, "k", slow) })
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("a load 4x longer than LockTTL ran %d times, want 1 (the lock is extended)", n)
	}
}

// TestRedisKilledAndRestarted kills Redis (SIGKILL) under two replicas,
// checks that they stop serving L1, answer loads without Redis, and
// become coherent again once Redis is back on the same port.
func TestRedisKilledAndRestarted(t *testing.T) { eachTopology(t, testRedisKilledAndRestarted) }

func testRedisKilledAndRestarted(t *testing.T, s *redisEnv) {
	a, b := newReplica(t, s, "kill:"), newReplica(t, s, "kill:")
	a.Set(bg, "k", "before")
	cache(t, b, "k", "before")
	s.kill()
	killed := time.Now()
	if !waitFor(2*time.Second, func() bool { _, _, err := b.Get(bg, "k"); return errors.Is(err, ErrUnavailable) }) {
		t.Fatal("b still serves k 2s after Redis was killed")
	}
	t.Logf("loss detected after %v", time.Since(killed))
	if _, ok := inL1(b, "k"); ok {
		t.Fatal("b's L1 still holds k after the loss was detected")
	}
	start := time.Now()
	v, err := b.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { return "loaded-offline", nil })
	if err != nil || v != "loaded-offline" {
		t.Fatalf("GetOrLoad without Redis: %q, %v", v, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("GetOrLoad without Redis took %v: the loader must be called at once", d)
	}
	if _, ok := inL1(b, "k"); ok {
		t.Fatal("a value loaded while Redis was down was kept in L1")
	}
	if err := a.Set(bg, "k", "x"); err == nil {
		t.Fatal("Set succeeded with Redis down")
	}
	if !waitFor(2*time.Second, func() bool { return !b.Stats().Connected }) {
		t.Fatal("b's monitor did not mark Redis unreachable within 2s")
	}
	t.Logf("monitor marked Redis unreachable %v after the kill", time.Since(killed))
	if _, _, err := b.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get while unreachable: %v, want ErrUnavailable", err)
	}

	s.start()
	if !waitFor(3*time.Second, func() bool { return a.Stats().Connected && b.Stats().Connected }) {
		t.Fatal("replicas did not reconnect within 3s of Redis restarting")
	}
	if _, ok := mustGet(t, b, "k"); ok {
		t.Fatal("k survived a Redis restart without persistence")
	}
	a.Set(bg, "k", "after1")
	mustGet(t, b, "k")
	a.Set(bg, "k", "after2")
	if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, b, "k"); return v == "after2" }) {
		t.Fatal("coherence did not resume after Redis restarted")
	}
	if st := b.Stats(); st.Disconnects == 0 || st.Reconnects == 0 || st.Fallbacks == 0 {
		t.Fatalf("Stats %+v: want a disconnect, a reconnect, a fallback load", st)
	}
}

// TestRedisPaused stops Redis with SIGSTOP: the connections stay open but
// nothing answers, which rueidis alone would notice after ~10s.
func TestRedisPaused(t *testing.T) {
	s := startRedis(t)
	a, b := newReplica(t, s, "pause:"), newReplica(t, s, "pause:")
	a.Set(bg, "k", "before")
	cache(t, b, "k", "before")
	s.pause()
	paused := time.Now()
	var detected time.Duration
	if !waitFor(2*time.Second, func() bool {
		_, ok := inL1(b, "k")
		if !ok {
			detected = time.Since(paused)
		}
		return !ok
	}) {
		t.Fatal("b's L1 still holds k 2s after Redis was paused")
	}
	t.Logf("pause detected after %v", detected)
	if _, _, err := b.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get after detection: %v, want ErrUnavailable", err)
	}
	start := time.Now()
	v, err := b.GetOrLoad(bg, "k2", func(context.Context, string) (string, error) { return "loaded-offline", nil })
	if err != nil || v != "loaded-offline" || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("GetOrLoad while paused: %q, %v after %v", v, err, time.Since(start))
	}
	// Stay paused past rueidis's own write timeout, so that it closes the
	// connections and tries new ones into the paused server.
	time.Sleep(3 * time.Second)
	start = time.Now()
	if _, _, err := b.Get(bg, "k"); !errors.Is(err, ErrUnavailable) || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("Get 3s into the pause: %v after %v, want ErrUnavailable at once", err, time.Since(start))
	}
	start = time.Now()
	if err := a.Set(bg, "k", "during"); err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Set during the pause: %v after %v, want an error within 2s", err, time.Since(start))
	}
	t.Logf("Set during the pause failed after %v", time.Since(start))
	s.resume()
	resumed := time.Now()
	if !waitFor(5*time.Second, func() bool { return a.Stats().Connected && b.Stats().Connected }) {
		t.Fatal("replicas did not reconnect within 5s of Redis resuming")
	}
	t.Logf("reconnected %v after Redis resumed", time.Since(resumed))
	if v, _ := mustGet(t, b, "k"); v != "before" && v != "during" { // the Set may have been applied
		t.Fatalf("after resume: %q, want before or during", v)
	}
	a.Set(bg, "k", "after")
	if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, b, "k"); return v == "after" }) {
		t.Fatal("coherence did not resume after Redis resumed")
	}
}

func TestL1LivesNoLongerThanRedis(t *testing.T) {
	s := startRedis(t)
	a := newReplica(t, s, "ttl:")
	raw := s.rawClient()
	raw.Do(bg, raw.B().Set().Key("ttl:v:{k}").Value(`"short"`).Px(300*time.Millisecond).Build())
	cache(t, a, "k", "short")
	_, exp, ok := a.l1.GetWithExpiry("k")
	if !ok || time.Until(exp) > 300*time.Millisecond {
		t.Fatalf("L1 copy expires in %v, after its Redis original (300ms)", time.Until(exp))
	}
	time.Sleep(350 * time.Millisecond)
	if _, ok := mustGet(t, a, "k"); ok {
		t.Fatal("served after its Redis lifetime")
	}
}

// TestNewWithClientAndInvalidatePrefix: a cache on a caller's client (a
// cluster client on a cluster) receives invalidations and its
// InvalidatePrefix reaches every node.
func TestNewWithClientAndInvalidatePrefix(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		a := newReplica(t, s, "wc:")
		raw := s.rawClient()
		b, err := NewWithClient(raw, Options[string]{Prefix: "wc:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 100}})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, k := range []string{"reg-a/1", "reg-a/2", "reg-b/1"} {
			a.Set(bg, k, "v")
			mustGet(t, a, k)
			mustGet(t, b, k)
		}
		a.Set(bg, "reg-a/1", "v2")
		if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, b, "reg-a/1"); return v == "v2" }) {
			t.Fatal("a cache on a caller's client missed an invalidation")
		}
		mustGet(t, b, "reg-a/1")
		n, err := b.InvalidatePrefix(bg, "reg-a/")
		if err != nil || n != 2 {
			t.Fatalf("InvalidatePrefix: %d, %v; want 2", n, err)
		}
		for _, r := range []*Cache[string]{a, b} {
			if !waitFor(coherenceBound, func() bool {
				_, ok1 := mustGet(t, r, "reg-a/1")
				_, ok2 := mustGet(t, r, "reg-a/2")
				return !ok1 && !ok2
			}) {
				t.Fatal("a replica still reads a key of the invalidated prefix")
			}
			if _, ok := mustGet(t, r, "reg-b/1"); !ok {
				t.Fatal("InvalidatePrefix removed a key outside the prefix")
			}
		}
		b.Close()
		if err := raw.Do(bg, raw.B().Ping().Build()).Error(); err != nil {
			t.Fatalf("Close closed the caller's client: %v", err)
		}
	})
}

type failCodec struct{}

func (failCodec) Marshal(string) ([]byte, error)   { return nil, errors.New("cannot encode") }
func (failCodec) Unmarshal([]byte) (string, error) { return "", errors.New("cannot decode") }

func TestBadOptionsAndInput(t *testing.T) {
	s := startRedis(t)
	before := runtime.NumGoroutine()
	good := Options[string]{Addrs: []string{s.addr}, Prefix: "bad:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 10}}
	l, _ := netListenClosed(t)
	for _, tc := range []struct {
		name string
		edit func(*Options[string])
		want string
	}{
		{"empty Prefix", func(o *Options[string]) { o.Prefix = "" }, "Prefix is required"},
		{"zero TTL", func(o *Options[string]) { o.TTL = 0 }, "TTL must be > 0"},
		{"negative TTL", func(o *Options[string]) { o.TTL = -time.Second }, "TTL must be > 0"},
		{"no Addrs", func(o *Options[string]) { o.Addrs = nil }, "Addrs is empty"},
		{"unreachable", func(o *Options[string]) { o.Addrs = []string{l} }, "cannot connect to Redis at " + l},
		{"Local.TTL", func(o *Options[string]) { o.Local.TTL = time.Second }, "Local.TTL must be 0"},
		{"Local.Expiry", func(o *Options[string]) { o.Local.Expiry = func(string, string) time.Time { return time.Time{} } }, "Local.Expiry must be nil"},
		{"Local.RefreshAhead", func(o *Options[string]) { o.Local.RefreshAhead = 0.5 }, "Local.RefreshAhead must be 0"},
		{"Local.NegativeTTL", func(o *Options[string]) { o.Local.NegativeTTL = time.Second }, "Local.NegativeTTL must be 0"},
		{"Local.Capacity", func(o *Options[string]) { o.Local.Capacity = 0 }, "L1: shard: Capacity must be > 0"},
		{"LockTTL", func(o *Options[string]) { o.LockTTL = -1 }, "LockTTL must be >= 0"},
		{"tiny LockTTL", func(o *Options[string]) { o.LockTTL = time.Microsecond }, "LockTTL must be 0 or at least 10ms"},
		{"sub-ms TTL", func(o *Options[string]) { o.TTL = time.Microsecond }, "TTL must be at least 1ms"},
		{"empty address", func(o *Options[string]) { o.Addrs = []string{""} }, "Addrs[0] is empty"},
	} {
		o := good
		tc.edit(&o)
		c, err := New(o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, %v; want an error containing %q", tc.name, c, err, tc.want)
		}
	}
	if g, ok := goroutinesSettle(before); !ok {
		t.Fatalf("failed New calls left goroutines: %d before, %d after", before, g)
	}

	c, err := New(Options[string]{Addrs: good.Addrs, Prefix: "bad:", TTL: time.Minute, Local: good.Local, Codec: failCodec{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(bg, "k", "v"); err == nil || !strings.Contains(err.Error(), "cannot encode") {
		t.Fatalf("Set with a failing codec: %v", err)
	}
	raw := s.rawClient()
	if n, _ := raw.Do(bg, raw.B().Exists().Key("bad:v:{k}").Build()).AsInt64(); n != 0 {
		t.Fatal("a value the codec could not encode reached Redis")
	}
	raw.Do(bg, raw.B().Set().Key("bad:v:{k}").Value("garbage").Build())
	if _, _, err := c.Get(bg, "k"); err == nil || !strings.Contains(err.Error(), "cannot decode") {
		t.Fatalf("Get of undecodable bytes: %v", err)
	}
	if _, err := c.GetOrLoad(bg, "k2", func(context.Context, string) (string, error) { return "v", nil }); err == nil || !strings.Contains(err.Error(), "cannot encode") {
		t.Fatalf("GetOrLoad of an unencodable value: %v", err)
	}
	canceled, cancel := context.WithCancel(bg)
	cancel()
	if _, _, err := c.Get(canceled, "nothing"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get with a canceled ctx: %v, want context.Canceled and not ErrUnavailable", err)
	}
	c.Close()

	// Calls after Close.
	c = newReplica(t, s, "bad:")
	c.Set(bg, "k", "v")
	c.Get(bg, "k")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if err := c.Set(bg, "k", "v"); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}
	if err := c.Delete(bg, "k"); !errors.Is(err, ErrClosed) {
		t.Errorf("Delete after Close: %v", err)
	}
	if _, err := c.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { return "", nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("GetOrLoad after Close: %v", err)
	}
	if _, err := c.InvalidatePrefix(bg, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("InvalidatePrefix after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v, want nil (Close is idempotent)", err)
	}
	if _, _, err := c.Get(bg, "k"); !errors.Is(err, shard.ErrClosed) {
		t.Errorf("Get after Close: %v, want shard.ErrClosed (one ErrClosed across packages)", err)
	}
	raw.Close()
	if g, ok := goroutinesSettle(before); !ok {
		t.Fatalf("closed caches left goroutines: %d before, %d after", before, g)
	}
}

// TestNoStaleResurrection races readers on two replicas against a writer
// on a third: each reader's successive values never go back (an L1 store
// of a value read before a write never survives that write's
// invalidation), and every reader sees the last write within the bound.
func TestNoStaleResurrection(t *testing.T) { eachTopology(t, testNoStaleResurrection) }

func testNoStaleResurrection(t *testing.T, s *redisEnv) {
	w := newReplica(t, s, "race:")
	readers := []*Cache[string]{newReplica(t, s, "race:"), newReplica(t, s, "race:")}
	const writes = 200
	w.Set(bg, "k", "0")
	var done atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	defer done.Store(true)
	for _, r := range readers {
		for range 2 {
			wg.Go(func() {
				last := -1
				for !done.Load() {
					v, ok, err := r.Get(bg, "k")
					if err != nil || !ok {
						t.Errorf("Get: %q, %v, %v", v, ok, err)
						return
					}
					var n int
					fmt.Sscan(v, &n)
					if n < last {
						t.Errorf("a reader saw %d after %d: an invalidated value came back", n, last)
						return
					}
					last = n
				}
			})
		}
	}
	for i := 1; i <= writes; i++ {
		if err := w.Set(bg, "k", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	final := fmt.Sprint(writes)
	for _, r := range readers {
		if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, r, "k"); return v == final }) {
			t.Fatalf("a reader does not see the last write %v after it returned", coherenceBound)
		}
	}
}

// TestNewWithClientSurvivesRestart checks that a cache on a caller's
// client sets its tracking connection up again after Redis restarts.
func TestNewWithClientSurvivesRestart(t *testing.T) {
	s := startRedis(t)
	a := newReplica(t, s, "wcr:")
	b, err := NewWithClient(s.rawClient(), Options[string]{Prefix: "wcr:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Set(bg, "k", "v1")
	cache(t, b, "k", "v1")
	s.kill()
	if !waitFor(2*time.Second, func() bool { return !b.Stats().Connected }) {
		t.Fatal("loss not detected within 2s")
	}
	if _, _, err := b.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get after the loss was detected: %v", err)
	}
	if !waitFor(time.Second, func() bool { _, ok := inL1(b, "k"); return !ok }) {
		t.Fatal("L1 kept k after the loss")
	}
	if _, _, err := b.Get(bg, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get while down: %v", err)
	}
	s.start()
	if !waitFor(5*time.Second, func() bool { return b.Stats().Connected && a.Stats().Connected }) {
		t.Fatal("no reconnection within 5s")
	}
	a.Set(bg, "k", "v2")
	// The caller's client finds its own connection broken at its first
	// command (that call fails: rueidis retries nothing here), then
	// reconnects.
	// The caller's client (several connections, rueidis's default) finds
	// each of its connections broken at its first command; those calls
	// fail (it retries nothing here), then it reconnects.
	if !waitFor(2*time.Second, func() bool {
		v, ok, err := b.Get(bg, "k")
		_, inl1 := inL1(b, "k")
		return err == nil && ok && v == "v2" && inl1
	}) {
		t.Fatal("b never cached the value written after the restart")
	}
	a.Set(bg, "k", "v3")
	if !waitFor(coherenceBound, func() bool { v, _, err := b.Get(bg, "k"); return err == nil && v == "v3" }) {
		t.Fatal("coherence did not resume on the new tracking connection")
	}
}

func TestNewWithClientLeavesNothingRunning(t *testing.T) {
	s := startRedis(t)
	raw := s.rawClient()
	raw.Do(bg, raw.B().Ping().Build())
	before := runtime.NumGoroutine()
	if _, err := NewWithClient(raw, Options[string]{Addrs: []string{s.addr}, Prefix: "x:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 1}}); err == nil {
		t.Fatal("NewWithClient accepted Addrs")
	}
	if _, err := NewWithClient[string](nil, Options[string]{Prefix: "x:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 1}}); err == nil {
		t.Fatal("NewWithClient accepted a nil client")
	}
	c, err := NewWithClient(raw, Options[string]{Prefix: "x:", TTL: time.Minute, Local: shard.Options[string, string]{Capacity: 10}})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(bg, "k", "v")
	if v, _ := mustGet(t, c, "k"); v != "v" {
		t.Fatalf("Get: %q", v)
	}
	c.Close()
	if g, ok := goroutinesSettle(before); !ok {
		t.Fatalf("a closed NewWithClient cache left goroutines: %d before, %d after", before, g)
	}
	if err := raw.Do(bg, raw.B().Ping().Build()).Error(); err != nil {
		t.Fatalf("the caller's client after Close: %v", err)
	}
}

// An L1 hit, by Get or GetOrLoad, allocates nothing.
func TestL1HitAllocatesNothing(t *testing.T) {
	s := startRedis(t)
	r := newReplica(t, s, "allocs:")
	ctx := context.Background()
	if err := r.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	cache(t, r, "k", "v")
	load := func(context.Context, string) (string, error) { return "", errors.New("loaded on a hit") }
	if n := testing.AllocsPerRun(100, func() {
		if v, ok, err := r.Get(ctx, "k"); err != nil || !ok || v != "v" {
			t.Fatalf("Get = %q, %v, %v", v, ok, err)
		}
	}); n != 0 {
		t.Errorf("Get hit: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if v, err := r.GetOrLoad(ctx, "k", load); err != nil || v != "v" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
	}); n != 0 {
		t.Errorf("GetOrLoad hit: %v allocations, want 0", n)
	}
}
