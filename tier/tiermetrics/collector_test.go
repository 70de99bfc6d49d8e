package tiermetrics_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/tier"
	"github.com/hotcache/hotcache/tier/tiermetrics"
)

var bg = context.Background()

// redisServer is a redis-server process of the test's own on a free
// loopback port, killed when the test ends.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
}

// startRedis starts a redis-server, or fails the test under CI=true (and
// skips it otherwise) when the binary is missing.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found in PATH: install it (Debian/Ubuntu: apt-get install redis-server) to run the tiermetrics tests against a real Redis"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &redisServer{addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.cmd = exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.kill)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", s.addr); err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not listen within 10s", s.addr)
		}
	}
}

func (s *redisServer) kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func newCache(t *testing.T, s *redisServer, countHits bool) *tier.Cache[string] {
	t.Helper()
	c, err := tier.New(tier.Options[string]{
		Addrs:  []string{s.addr},
		Prefix: "m:",
		TTL:    time.Minute,
		Local:  shard.Options[string, string]{Capacity: 100, CountHits: countHits},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// evictionsDeleted returns the value of
// hotcache_tier_l1_evictions_total{reason="deleted"} in reg.
func evictionsDeleted(t *testing.T, reg prometheus.Gatherer) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "hotcache_tier_l1_evictions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == "deleted" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatal("no hotcache_tier_l1_evictions_total{reason=\"deleted\"} series")
	return 0
}

func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// TestCollectorAgainstRedis drives a cache on a real redis-server through
// an L2 hit, an L1 hit, an L2 miss, a load, a load error, an invalidation
// from another replica, a delete and a loss of Redis, and compares the
// scrape with what happened.
func TestCollectorAgainstRedis(t *testing.T) {
	s := startRedis(t)
	c, other := newCache(t, s, true), newCache(t, s, false)
	reg := prometheus.NewPedanticRegistry()
	if _, err := tiermetrics.Register(reg, "perms", c); err != nil {
		t.Fatal(err)
	}

	other.Set(bg, "a", "1")
	// Broadcast tracking announces every write to c: wait for this one,
	// or it could drop the copy the next Get keeps.
	if !waitFor(time.Second, func() bool { return c.Stats().Invalidations == 1 }) {
		t.Fatalf("c received no invalidation: %+v", c.Stats())
	}
	c.Get(bg, "a") // L1 miss, L2 hit, kept in L1
	// L1 hit, unless the copy was not kept or the lease had lapsed (a PING
	// answered late on a loaded machine): that Get read Redis again, one
	// more L1 lookup and L2 hit (extra below). Repeat until L1 serves one.
	extra := -1
	if !waitFor(5*time.Second, func() bool {
		extra++
		hits := c.Stats().L1.Hits
		c.Get(bg, "a")
		return c.Stats().L1.Hits > hits && c.Stats().L2Hits == uint64(1+extra)
	}) {
		t.Fatalf("no L1 hit on a copy just read from Redis in 5s: %+v", c.Stats())
	}
	c.Get(bg, "b") // L1 miss, L2 miss
	// Each GetOrLoad below looks L1 up once: one L1 miss each.
	c.GetOrLoad(bg, "c", func(context.Context, string) (string, error) { return "3", nil })
	c.GetOrLoad(bg, "d", func(context.Context, string) (string, error) { return "", errors.New("backend down") })
	other.Set(bg, "a", "2") // invalidates c's copy of a (both writes are announced to c: broadcast mode)
	// c's own fenced store of "c" is announced to c too (NOLOOP does not
	// cover a Lua script's writes): c counts 3 invalidations.
	if !waitFor(time.Second, func() bool { return c.Stats().Invalidations == 3 }) {
		t.Fatalf("c received no invalidation: %+v", c.Stats())
	}
	c.Delete(bg, "c") // a Lua script too: announced to c, the 4th invalidation
	// The announcement of that Delete reaches c on its own connection, after
	// Delete returned: wait for it, or the scrape below may count 3.
	if !waitFor(time.Second, func() bool { return c.Stats().Invalidations == 4 }) {
		t.Fatalf("c received no invalidation of its own Delete: %+v", c.Stats())
	}

	// The announcement of c's own store of "c" may reach c before the
	// script's reply (the store then keeps nothing) or after it (the copy
	// kept is then removed, one more "deleted" eviction): Redis orders the
	// two on different connections. Both are correct; anything else is not.
	deleted := evictionsDeleted(t, reg)
	if deleted != 1 && deleted != 2 {
		t.Fatalf("%v L1 copies deleted, want 1 (a) or 2 (a, and c's own load of c)", deleted)
	}

	// Five L1 lookups and one more per extra Get above (each a miss, or a
	// copy found while the lease had lapsed), one L2 hit and one per extra.
	st := c.Stats()
	if st.L1.Hits < 1 || st.L1.Hits+st.L1.Misses != uint64(5+extra) {
		t.Fatalf("L1 lookups: %d hits, %d misses; want at least 1 hit and %d in all", st.L1.Hits, st.L1.Misses, 5+extra)
	}

	want := fmt.Sprintf(`
# HELP hotcache_tier_connected 1 if Redis (on a Cluster, some node) answered the last health check, else 0.
# TYPE hotcache_tier_connected gauge
hotcache_tier_connected{cache="perms"} 1
# HELP hotcache_tier_deletes_total Successful Delete calls.
# TYPE hotcache_tier_deletes_total counter
hotcache_tier_deletes_total{cache="perms"} 1
# HELP hotcache_tier_fallbacks_total Loader calls made without Redis because the key's Redis node was unreachable.
# TYPE hotcache_tier_fallbacks_total counter
hotcache_tier_fallbacks_total{cache="perms"} 0
# HELP hotcache_tier_invalidations_total Keys named by Redis invalidation messages received by this replica.
# TYPE hotcache_tier_invalidations_total counter
hotcache_tier_invalidations_total{cache="perms"} 4
# HELP hotcache_tier_l1_evictions_total L1 copies that left L1, by reason: capacity, expired, deleted (invalidations included), replaced.
# TYPE hotcache_tier_l1_evictions_total counter
hotcache_tier_l1_evictions_total{cache="perms",reason="capacity"} 0
hotcache_tier_l1_evictions_total{cache="perms",reason="deleted"} %v
hotcache_tier_l1_evictions_total{cache="perms",reason="expired"} 0
hotcache_tier_l1_evictions_total{cache="perms",reason="replaced"} 0
# HELP hotcache_tier_l1_hits_total L1 lookups that found a copy: Get and GetOrLoad calls served by L1. Counted only with Local.CountHits (see hotcache_tier_l1_hits_counted).
# TYPE hotcache_tier_l1_hits_total counter
hotcache_tier_l1_hits_total{cache="perms"} %v
# HELP hotcache_tier_l1_misses_total L1 lookups that found no copy. Counted only with Local.CountHits (see hotcache_tier_l1_hits_counted).
# TYPE hotcache_tier_l1_misses_total counter
hotcache_tier_l1_misses_total{cache="perms"} %v
# HELP hotcache_tier_l2_hits_total Redis reads that found a value (L1 misses served by Redis).
# TYPE hotcache_tier_l2_hits_total counter
hotcache_tier_l2_hits_total{cache="perms"} %v
# HELP hotcache_tier_l2_misses_total Redis reads that found no value.
# TYPE hotcache_tier_l2_misses_total counter
hotcache_tier_l2_misses_total{cache="perms"} 5
# HELP hotcache_tier_load_errors_total Loader calls that failed or panicked.
# TYPE hotcache_tier_load_errors_total counter
hotcache_tier_load_errors_total{cache="perms"} 1
# HELP hotcache_tier_loads_total Loader calls made by this replica, fallbacks included.
# TYPE hotcache_tier_loads_total counter
hotcache_tier_loads_total{cache="perms"} 2
# HELP hotcache_tier_node_up 1 if the Redis node (host:port; every master of a Cluster) answered the last health check, else 0.
# TYPE hotcache_tier_node_up gauge
hotcache_tier_node_up{cache="perms",node=%q} 1
`, deleted, st.L1.Hits, st.L1.Misses, 1+extra, s.addr)
	names := []string{
		"hotcache_tier_connected", "hotcache_tier_deletes_total", "hotcache_tier_fallbacks_total",
		"hotcache_tier_invalidations_total", "hotcache_tier_l1_evictions_total", "hotcache_tier_l1_hits_total",
		"hotcache_tier_l1_misses_total", "hotcache_tier_l2_hits_total", "hotcache_tier_l2_misses_total",
		"hotcache_tier_load_errors_total", "hotcache_tier_loads_total", "hotcache_tier_node_up",
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}

	// A load whose lock another replica's Delete revokes: its store is
	// refused (a lost lock, a fenced store) and it loads again.
	var fLoads atomic.Int32
	if v, err := c.GetOrLoad(bg, "f", func(context.Context, string) (string, error) {
		if fLoads.Add(1) == 1 {
			if err := other.Delete(bg, "f"); err != nil {
				return "", err
			}
		}
		return "6", nil
	}); err != nil || v != "6" || fLoads.Load() != 2 {
		t.Fatalf("GetOrLoad with its lock revoked: %q, %v after %d loads; want 6 after 2", v, err, fLoads.Load())
	}
	fenced := `
# HELP hotcache_tier_fenced_stores_total Loaded values Redis refused to store because the load's lock was lost; their callers got what Redis held, or a new load.
# TYPE hotcache_tier_fenced_stores_total counter
hotcache_tier_fenced_stores_total{cache="perms"} 1
# HELP hotcache_tier_lost_locks_total Loads whose Redis lock was found gone before they stored (expired while Redis was paused or out of reach, or revoked by an invalidation): another replica may have loaded the key meanwhile.
# TYPE hotcache_tier_lost_locks_total counter
hotcache_tier_lost_locks_total{cache="perms"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(fenced), "hotcache_tier_fenced_stores_total", "hotcache_tier_lost_locks_total"); err != nil {
		t.Fatal(err)
	}

	// Redis lost: the node and the cache turn 0, loads fall back.
	s.kill()
	if !waitFor(3*time.Second, func() bool { return !c.Stats().Connected }) {
		t.Fatal("the cache did not notice Redis going away within 3s")
	}
	c.GetOrLoad(bg, "e", func(context.Context, string) (string, error) { return "5", nil })
	down := fmt.Sprintf(`
# HELP hotcache_tier_connected 1 if Redis (on a Cluster, some node) answered the last health check, else 0.
# TYPE hotcache_tier_connected gauge
hotcache_tier_connected{cache="perms"} 0
# HELP hotcache_tier_fallbacks_total Loader calls made without Redis because the key's Redis node was unreachable.
# TYPE hotcache_tier_fallbacks_total counter
hotcache_tier_fallbacks_total{cache="perms"} 1
# HELP hotcache_tier_node_up 1 if the Redis node (host:port; every master of a Cluster) answered the last health check, else 0.
# TYPE hotcache_tier_node_up gauge
hotcache_tier_node_up{cache="perms",node=%q} 0
`, s.addr)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(down), "hotcache_tier_connected", "hotcache_tier_fallbacks_total", "hotcache_tier_node_up"); err != nil {
		t.Fatal(err)
	}
}

// TestCollectorWithoutCountHits: without Local.CountHits the L1 hit and
// miss families are absent and l1_hits_counted is 0.
func TestCollectorWithoutCountHits(t *testing.T) {
	s := startRedis(t)
	c := newCache(t, s, false)
	col := tiermetrics.NewCollector("plain", c)
	c.Get(bg, "x")
	if n := testutil.CollectAndCount(col, "hotcache_tier_l1_hits_total", "hotcache_tier_l1_misses_total"); n != 0 {
		t.Fatalf("%d L1 hit/miss series without CountHits, want 0", n)
	}
	want := `
# HELP hotcache_tier_l1_hits_counted 1 if L1 counts hits and misses (Local.CountHits), else 0: without it hotcache_tier_l1_hits_total and hotcache_tier_l1_misses_total are not exported.
# TYPE hotcache_tier_l1_hits_counted gauge
hotcache_tier_l1_hits_counted{cache="plain"} 0
`
	if err := testutil.CollectAndCompare(col, strings.NewReader(want), "hotcache_tier_l1_hits_counted"); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterErrors(t *testing.T) {
	s := startRedis(t)
	c := newCache(t, s, false)
	reg := prometheus.NewRegistry()
	if _, err := tiermetrics.Register(reg, "", c); err == nil || !strings.Contains(err.Error(), "name must not be empty") {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := tiermetrics.Register(reg, "x", c); err != nil {
		t.Fatal(err)
	}
	_, err := tiermetrics.Register(reg, "x", c)
	if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) || !strings.Contains(err.Error(), `named "x"`) {
		t.Fatalf("second registration of one name: %v", err)
	}
	if _, err := tiermetrics.Register(reg, "y", c); err != nil {
		t.Fatalf("a second name on one registry: %v", err)
	}
}
