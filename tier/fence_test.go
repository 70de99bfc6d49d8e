package tier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/shard"
)

// TestInvalidationDuringLoadWins: replica a's loader has read the source of
// truth ("allowed"); the permission is revoked and invalidated (Delete on
// b, Delete on a, InvalidatePrefix on b), which returns; then a's loader
// returns its stale read. Redis must not get it, no replica may serve it,
// and a's caller gets a fresh load ("revoked").
func TestInvalidationDuringLoadWins(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		raw := s.rawClient()
		for i, how := range []string{"b.Delete", "a.Delete", "b.InvalidatePrefix"} {
			t.Run(how, func(t *testing.T) {
				prefix := fmt.Sprintf("fence%d:", i)
				a, b := newReplica(t, s, prefix), newReplica(t, s, prefix)
				var src atomic.Value
				src.Store("allowed")
				read := make(chan struct{}, 1)
				release := make(chan struct{})
				var calls atomic.Int32
				load := func(context.Context, string) (string, error) {
					v := src.Load().(string)
					if calls.Add(1) == 1 {
						read <- struct{}{}
						<-release
					}
					return v, nil
				}
				type res struct {
					v   string
					err error
				}
				done := make(chan res, 1)
				go func() {
					v, err := a.GetOrLoad(bg, "user/perm", load)
					done <- res{v, err}
				}()
				<-read
				src.Store("revoked")
				var err error
				switch how {
				case "b.Delete":
					err = b.Delete(bg, "user/perm")
				case "a.Delete":
					err = a.Delete(bg, "user/perm")
				case "b.InvalidatePrefix":
					_, err = b.InvalidatePrefix(bg, "user/")
				}
				if err != nil {
					t.Fatal(err)
				}
				close(release)
				r := <-done
				if r.err != nil || r.v != "revoked" {
					t.Fatalf("loading replica's caller got %q, %v; want the fresh load, revoked", r.v, r.err)
				}
				if got, _ := raw.Do(bg, raw.B().Get().Key(a.vkey("user/perm")).Build()).ToString(); got != `"revoked"` {
					t.Fatalf("Redis holds %q after the load; want \"revoked\"", got)
				}
				for name, r := range map[string]*Cache[string]{"a": a, "b": b} {
					if v, ok := mustGet(t, r, "user/perm"); !ok || v != "revoked" {
						t.Fatalf("replica %s serves %q, %v after the invalidation returned", name, v, ok)
					}
				}
				if st := a.Stats(); st.FencedStores != 1 || st.LostLocks != 1 || st.Loads != 2 {
					t.Fatalf("a's Stats %+v: want 1 fenced store, 1 lost lock, 2 loads", st)
				}
			})
		}
	})
}

// TestLostLockNoticed: LockTTL 60ms, Redis paused 200ms during a's 600ms
// load: the lock expires, b takes it and loads "B". a must notice (Stats),
// Redis must keep b's value, and a's caller must get it too.
func TestLostLockNoticed(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		short := func(o *Options[string]) { o.LockTTL = 60 * time.Millisecond }
		a, b := newReplica(t, s, "lost:", short), newReplica(t, s, "lost:", short)
		started := make(chan struct{})
		var aCtxErr atomic.Value
		aDone := make(chan string, 1)
		go func() {
			v, err := a.GetOrLoad(bg, "k", func(ctx context.Context, _ string) (string, error) {
				close(started)
				time.Sleep(600 * time.Millisecond) // ignores ctx: its value must be refused
				aCtxErr.Store(fmt.Sprint(context.Cause(ctx)))
				return "A", nil
			})
			if err != nil {
				aDone <- "error: " + err.Error()
				return
			}
			aDone <- v
		}()
		<-started
		s.pause()
		time.Sleep(200 * time.Millisecond)
		s.resume()
		var bv string
		if !waitFor(5*time.Second, func() bool {
			v, err := b.GetOrLoad(bg, "k", func(context.Context, string) (string, error) { return "B", nil })
			bv = v
			return err == nil
		}) || bv != "B" {
			t.Fatalf("b got %q after a's lock expired; want its own load, B", bv)
		}
		if av := <-aDone; av != "B" {
			t.Fatalf("a's caller got %q while Redis holds B", av)
		}
		raw := s.rawClient()
		if got, _ := raw.Do(bg, raw.B().Get().Key(a.vkey("k")).Build()).ToString(); got != `"B"` {
			t.Fatalf("Redis holds %q; want the holder's value \"B\"", got)
		}
		if cause := aCtxErr.Load(); cause != ErrLockLost.Error() {
			t.Fatalf("a's load context ended with %v; want ErrLockLost", cause)
		}
		if st := a.Stats(); st.LostLocks != 1 || st.FencedStores != 1 {
			t.Fatalf("a's Stats %+v: want 1 lost lock and 1 fenced store", st)
		}
		if st := b.Stats(); st.LostLocks != 0 || st.Loads != 1 {
			t.Fatalf("b's Stats %+v: want 1 load, no lost lock", st)
		}
	})
}

// flightRefs is how many callers wait on key's flight.
func flightRefs(c *Cache[string], key string) int {
	c.flights.mu.Lock()
	defer c.flights.mu.Unlock()
	if f := c.flights.m[key]; f != nil {
		return f.refs
	}
	return 0
}

// TestSingleFlightDuringOutage: with Redis down, 100 concurrent GetOrLoad of
// one key on one replica make one loader call, and its value is not kept.
// (A caller that began more than leaseFor after that load started does not
// take its value, which may be older than an invalidation made meanwhile
// by a replica that reaches Redis: such callers share one more load.)
func TestSingleFlightDuringOutage(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		a := newReplica(t, s, "sf:")
		s.kill()
		if !waitFor(3*time.Second, func() bool { return !a.Stats().Connected }) {
			t.Fatal("Redis killed, but the cache still counts it reachable")
		}
		release := make(chan struct{})
		var calls atomic.Int32
		var loadStart atomic.Int64
		load := func(context.Context, string) (string, error) {
			if calls.Add(1) == 1 {
				loadStart.Store(time.Now().UnixNano())
			}
			<-release
			return "v", nil
		}
		const n = 100
		var wg sync.WaitGroup
		var lastBegin atomic.Int64
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				for b := time.Now().UnixNano(); ; {
					if old := lastBegin.Load(); old >= b || lastBegin.CompareAndSwap(old, b) {
						break
					}
				}
				v, err := a.GetOrLoad(bg, "k", load)
				if err == nil && v != "v" {
					err = fmt.Errorf("got %q", v)
				}
				errs <- err
			})
		}
		if !waitFor(5*time.Second, func() bool { return flightRefs(a, "k") == n }) {
			t.Fatalf("%d of %d callers joined the flight", flightRefs(a, "k"), n)
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := int32(1)
		if spread := time.Duration(lastBegin.Load() - loadStart.Load()); spread > leaseFor-5*time.Millisecond { // (5ms: the times here bracket the cache's own)
			want = 2
			t.Logf("the last caller began %v after the load started: callers that late share a second load", spread)
		}
		if c := calls.Load(); c != want {
			t.Fatalf("%d loader calls for %d concurrent callers during an outage; want %d", c, n, want)
		}
		if _, ok := inL1(a, "k"); ok {
			t.Fatal("a value loaded during an outage was kept in L1")
		}
		a.GetOrLoad(bg, "k", load)
		if c := calls.Load(); c != want+1 {
			t.Fatalf("a later call during the outage did not load again (%d calls): a value was kept", c)
		}
	})
}

// TestLockWaitHonoursCtx: another replica holds the key's lock (for 10s);
// a caller whose ctx ends after 100ms returns then, and the wait stops.
func TestLockWaitHonoursCtx(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		a := newReplica(t, s, "ctx:")
		raw := s.rawClient()
		if err := raw.Do(bg, raw.B().Set().Key(a.lkey("k")).Value("other").Px(10*time.Second).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := a.GetOrLoad(ctx, "k", func(context.Context, string) (string, error) { return "v", nil })
		took := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) || took > 300*time.Millisecond {
			t.Fatalf("GetOrLoad with a 100ms ctx on a held lock: %v after %v", err, took)
		}
		if !waitFor(time.Second, func() bool {
			a.flights.mu.Lock()
			nf := len(a.flights.m)
			a.flights.mu.Unlock()
			return nf == 0 && a.waiters.n.Load() == 0
		}) {
			t.Fatal("the lock wait went on after its only caller left")
		}
		if st := a.Stats(); st.Loads != 0 {
			t.Fatalf("loaded while another held the lock: %+v", st)
		}
	})
}

// TestL1LifetimeFollowsLocalClock: L1 copies expire by Local.Clock.
func TestL1LifetimeFollowsLocalClock(t *testing.T) {
	s := startRedis(t)
	m := clock.NewManual(time.Now())
	a := newReplica(t, s, "clk:", func(o *Options[string]) { o.Local = shard.Options[string, string]{Capacity: 100, Clock: m} })
	if err := a.Set(bg, "k", "v"); err != nil {
		t.Fatal(err)
	}
	cache(t, a, "k", "v")
	_, exp, _ := a.l1.GetWithExpiry("k")
	if left := exp.Sub(m.Time()); left > time.Minute-clockSlack || left < time.Minute-clockSlack-time.Second {
		t.Fatalf("L1 copy of a value with 1m left in Redis expires %v after Local.Clock's now", left)
	}
	m.Advance(time.Minute)
	if _, ok := inL1(a, "k"); ok {
		t.Fatal("L1 copy outlived its lifetime on Local.Clock")
	}
}

// TestSetDuringLoadWins: a Set that returns while a load is in flight
// keeps its value in Redis, and the loading replica's caller gets it (it
// agrees with Redis), not its loader's value.
func TestSetDuringLoadWins(t *testing.T) {
	eachTopology(t, func(t *testing.T, s *redisEnv) {
		a, b := newReplica(t, s, "setwin:"), newReplica(t, s, "setwin:")
		read := make(chan struct{})
		release := make(chan struct{})
		done := make(chan string, 1)
		go func() {
			v, err := a.GetOrLoad(bg, "k", func(context.Context, string) (string, error) {
				close(read)
				<-release
				return "loaded", nil
			})
			if err != nil {
				v = "error: " + err.Error()
			}
			done <- v
		}()
		<-read
		if err := b.Set(bg, "k", "set"); err != nil {
			t.Fatal(err)
		}
		close(release)
		if v := <-done; v != "set" {
			t.Fatalf("loading replica's caller got %q; Redis holds \"set\"", v)
		}
		for name, r := range map[string]*Cache[string]{"a": a, "b": b} {
			if v, ok := mustGet(t, r, "k"); !ok || v != "set" {
				t.Fatalf("replica %s serves %q, %v; want the Set's value", name, v, ok)
			}
		}
		if st := a.Stats(); st.FencedStores != 0 || st.LostLocks != 0 || st.Loads != 1 {
			t.Fatalf("a's Stats %+v: a Set that won is no lost lock", st)
		}
	})
}
