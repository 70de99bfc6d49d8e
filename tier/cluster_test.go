package tier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// TestKeySlotMatchesRedis checks keySlot against CLUSTER KEYSLOT, hash
// tags included (an empty tag, a tag in the prefix, a "{" without "}").
func TestKeySlotMatchesRedis(t *testing.T) {
	rc := startCluster(t, 3)
	cases := [][2]string{
		{"p:v:", "k"}, {"p:v:", ""}, {"", "123456789"}, {"p:v:", "{user1}.perm"},
		{"p:v:", "{}x"}, {"p:v:", "a{b"}, {"{tag}:v:", "anything"}, {"p{", "}x"},
		{"p:v:", "{a}{b}"}, {"p:v:", "é{ü}"},
	}
	for i := range 200 {
		cases = append(cases, [2]string{"perm:v:", fmt.Sprintf("user%d/registry-%d", i, i*7)})
	}
	raw := (&redisEnv{cluster: rc}).rawClient()
	for _, c := range cases {
		want, err := raw.Do(bg, raw.B().ClusterKeyslot().Key(c[0]+c[1]).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if got := keySlot(c[0], c[1]); int64(got) != want {
			t.Errorf("keySlot(%q, %q) = %d, CLUSTER KEYSLOT says %d", c[0], c[1], got, want)
		}
	}
}

// keysOn returns n keys whose values (under prefix) live on master s, and
// n that do not.
func keysOn(rc *redisCluster, s *redisServer, prefix string, n int) (on, off []string) {
	for i := 0; len(on) < n || len(off) < n; i++ {
		k := fmt.Sprintf("key-%d", i)
		if rc.owner(keySlot(prefix+"v:{"+k+"}", "")) == s {
			if len(on) < n {
				on = append(on, k)
			}
		} else if len(off) < n {
			off = append(off, k)
		}
	}
	return on, off
}

// ownerFunc maps slots to masters from one reading of CLUSTER NODES.
func ownerFunc(rc *redisCluster) func(slot uint16) *redisServer {
	m := map[uint16]*redisServer{}
	return func(slot uint16) *redisServer {
		if s, ok := m[slot]; ok {
			return s
		}
		s := rc.owner(slot)
		m[slot] = s
		return s
	}
}

// TestClusterMasterDown kills one of three masters under two replicas:
// keys on the live masters keep being served from L1 (no flush, no error,
// over several health checks), keys on the dead one give ErrUnavailable to
// Get and the loader's value to GetOrLoad, InvalidatePrefix deletes what
// the live masters hold and names the dead one; once the master is back,
// no raw cluster error reaches a caller and coherence resumes on its keys.
// The lease keeps serving L1 hits meanwhile (at least half the samples:
// a PING round delayed over 60 ms by a loaded machine may lapse it
// briefly). Replica b is built by New, then by NewWithClient over a
// cluster client of the test's (with rueidis's default client-side
// caching on), which must have the same per-master health.
func TestClusterMasterDown(t *testing.T) {
	for _, how := range []string{"New", "NewWithClient"} {
		t.Run(how, func(t *testing.T) { testClusterMasterDown(t, how) })
	}
}

func testClusterMasterDown(t *testing.T, how string) {
	rc := startCluster(t, 3)
	a, b := newReplica(t, rc, "down:"), newReplica(t, rc, "down:")
	if how == "NewWithClient" {
		client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: rc.seeds(), DisableRetry: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.Close)
		if b, err = NewWithClient(client, Options[string]{Prefix: "down:", TTL: time.Minute, L1: shard.Options[string, string]{Capacity: 10_000}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if b.cl == nil || !b.cl.dedicated {
			t.Fatal("NewWithClient on a cluster client did not set up per-master health")
		}
	}
	victim := rc.nodes[1]
	onDead, onLive := keysOn(rc, victim, "down:", 20)
	for _, k := range slices.Concat(onDead, onLive) {
		if err := a.Set(bg, k, "v-"+k); err != nil {
			t.Fatal(err)
		}
		cache(t, b, k, "v-"+k)
	}

	flushed := b.Stats().FullInvalidations
	rc.kill(victim)
	markedDown(t, b, victim, 0)
	if !b.Stats().Connected {
		t.Fatal("one master of three down marked the whole cache unreachable")
	}
	// The closing of the connection to the dead master empties L1 once
	// (rueidis does not say which connection closed), whenever rueidis
	// notices the close, which may be after the health check marked the
	// master down: wait for that flush, read the live keys again, then
	// nothing may drop them.
	if !waitFor(10*time.Second, func() bool { return b.Stats().FullInvalidations > flushed }) {
		t.Fatalf("the closed connection to the dead master did not empty L1 within 10s: %+v", b.Stats())
	}
	for _, k := range onLive {
		cache(t, b, k, "v-"+k)
	}
	before := b.Stats()
	loads := 0
	load := func(_ context.Context, k string) (string, error) { loads++; return "loaded-" + k, nil }
	// Several health checks (slotsEvery) and rueidis reconnection attempts.
	leased, samples := 0, 0
	for end := time.Now().Add(6 * slotsEvery); time.Now().Before(end); {
		samples++
		if b.leased() {
			leased++
		}
		for _, k := range onLive {
			if v, ok := inL1(b, k); !ok || v != "v-"+k {
				t.Fatalf("a key of a live master left L1 while another master is down (L1: %q, %v; %+v)", v, ok, b.Stats())
			}
			if v, ok, err := b.Get(bg, k); err != nil || !ok || v != "v-"+k {
				t.Fatalf("Get of a key on a live master: %q, %v, %v", v, ok, err)
			}
		}
		for _, k := range onDead {
			if _, ok := inL1(b, k); ok {
				t.Fatalf("L1 holds %q, whose master is down", k)
			}
			if _, _, err := b.Get(bg, k); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get of a key on the dead master: %v, want ErrUnavailable", err)
			}
			if v, err := b.GetOrLoad(bg, k, load); err != nil || v != "loaded-"+k {
				t.Fatalf("GetOrLoad of a key on the dead master: %q, %v; want the loader's value", v, err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("lease held in %d of %d samples while a master was down", leased, samples)
	if leased*2 < samples {
		t.Fatalf("L1 hits served in %d of %d samples while one master was down: the dead master stops the lease", leased, samples)
	}
	st := b.Stats()
	if st.FullInvalidations != before.FullInvalidations {
		t.Fatalf("L1 emptied %d times while one master was down (Stats %+v)", st.FullInvalidations-before.FullInvalidations, st)
	}
	if st.Fallbacks == 0 || loads == 0 || st.Unavailable == 0 {
		t.Fatalf("Stats %+v: want fallbacks and unavailable Gets", st)
	}

	// InvalidatePrefix deletes the live masters' keys and names the dead one.
	n, err := a.InvalidatePrefix(bg, "key-")
	if !errors.Is(err, ErrUnavailable) || n != len(onLive) {
		t.Fatalf("InvalidatePrefix with a master down: %d, %v; want %d and ErrUnavailable", n, err, len(onLive))
	}
	for _, k := range onLive {
		if !waitFor(coherenceBound, func() bool { _, ok := mustGet(t, b, k); return !ok }) {
			t.Fatalf("%q, on a live master, survived InvalidatePrefix", k)
		}
	}

	rc.restart(victim)
	all := slices.Sorted(slices.Values(rc.seeds()))
	if !waitFor(3*time.Second, func() bool { return slices.Equal(upNodes(b), all) && slices.Equal(upNodes(a), all) }) {
		t.Fatalf("replicas do not see every master up 3s after the restart: %+v", b.Stats().Nodes)
	}
	// No raw cluster error reaches a caller while the master settles.
	for end := time.Now().Add(4 * slotsEvery); time.Now().Before(end); {
		for _, k := range onDead {
			if _, _, err := b.Get(bg, k); err != nil && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get after the master returned: %v", err)
			}
			if _, err := b.GetOrLoad(bg, k, load); err != nil {
				t.Fatalf("GetOrLoad after the master returned: %v", err)
			}
		}
	}
	k := onDead[0]
	if err := a.Set(bg, k, "after1"); err != nil {
		t.Fatal(err)
	}
	cache(t, b, k, "after1")
	if err := a.Set(bg, k, "after2"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, b, k); return v == "after2" }) {
		t.Fatal("coherence did not resume on the restarted master's keys")
	}
	if st := b.Stats(); st.Disconnects == 0 || st.Reconnects == 0 {
		t.Fatalf("Stats %+v: want a disconnect and a reconnect", st)
	}
	// InvalidatePrefix reaches every master again.
	for _, k := range slices.Concat(onDead, onLive) {
		a.Set(bg, k, "again")
	}
	if n, err := b.InvalidatePrefix(bg, "key-"); err != nil || n != len(onDead)+len(onLive) {
		t.Fatalf("InvalidatePrefix with every master up: %d, %v; want %d", n, err, len(onDead)+len(onLive))
	}
}

// TestClusterMasterPaused pauses one of three masters (SIGSTOP: its
// connections stay open, nothing answers): the lease ends within the bound
// (a link that stalls delivers no invalidation), and resumes once the
// master is marked down; the health check must not hang on it and mark the
// whole cache down; keys on the live masters keep their L1 copies, keys on
// the paused one are unavailable at once (no call waits for the silent
// node) until it answers again.
func TestClusterMasterPaused(t *testing.T) {
	rc := startCluster(t, 3)
	a, b := newReplica(t, rc, "pz:"), newReplica(t, rc, "pz:")
	victim := rc.nodes[0]
	onPaused, onLive := keysOn(rc, victim, "pz:", 5)
	for _, k := range slices.Concat(onPaused, onLive) {
		if err := a.Set(bg, k, "v-"+k); err != nil {
			t.Fatal(err)
		}
		cache(t, b, k, "v-"+k)
	}
	before := b.Stats()
	victim.pause()
	defer victim.resume()
	paused := time.Now()
	// The silent master's PINGs go unanswered: the one lease ends (no L1
	// hit of any key) within leaseFor of the pause, plus the lease timer's
	// measured lateness, so a copy of its keys that a write the link does
	// not deliver replaced cannot be served past CoherenceBound.
	if !waitFor(time.Second, func() bool { return !b.leased() }) {
		t.Fatal("the lease held for 1s with a master paused")
	}
	ended := time.Since(paused)
	if bound := max(CoherenceBound, leaseFor+time.Duration(b.leaseLate.Load())+10*time.Millisecond); ended > bound {
		t.Fatalf("the lease ended %v after a master was paused; bound %v", ended, bound)
	}
	markedDown(t, b, victim, before.Disconnects)
	down := time.Since(paused)
	// Marked down, its keys out of L1: the lease is renewed for the others.
	if !waitFor(time.Second, b.leased) {
		t.Fatal("the lease was not renewed within 1s of the paused master being marked down")
	}
	t.Logf("a master paused: L1 hits stopped after %v, the master marked down after %v, L1 hits resumed after %v", ended, down, time.Since(paused))
	for end := time.Now().Add(6 * slotsEvery); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !b.Stats().Connected {
			t.Fatal("one paused master of three marked the whole cache unreachable")
		}
		for _, k := range onLive {
			if v, ok := inL1(b, k); !ok || v != "v-"+k {
				t.Fatalf("a key of a live master left L1 while another master is paused (L1: %q, %v)", v, ok)
			}
		}
		for _, k := range onPaused {
			start := time.Now()
			if _, _, err := b.Get(bg, k); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get of a key on the paused master: %v, want ErrUnavailable", err)
			}
			if v, err := b.GetOrLoad(bg, k, func(context.Context, string) (string, error) { return "loaded", nil }); err != nil || v != "loaded" {
				t.Fatalf("GetOrLoad of a key on the paused master: %q, %v", v, err)
			}
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Fatalf("Get and GetOrLoad of a key on the paused master took %v: they must not wait for it", d)
			}
		}
	}
	if st := b.Stats(); st.FullInvalidations != before.FullInvalidations {
		t.Fatalf("L1 emptied %d times while one master was paused", st.FullInvalidations-before.FullInvalidations)
	}
	victim.resume()
	all := slices.Sorted(slices.Values(rc.seeds()))
	if !waitFor(3*time.Second, func() bool { return slices.Equal(upNodes(b), all) }) {
		t.Fatalf("the resumed master not up within 3s: %+v", b.Stats().Nodes)
	}
	k := onPaused[0]
	a.Set(bg, k, "after")
	if !waitFor(coherenceBound, func() bool { v, _, err := b.Get(bg, k); return err == nil && v == "after" }) {
		t.Fatal("the resumed master's keys are not served again")
	}
}

// markedDown waits until c's health check has marked master s down and
// removed its keys from L1 (counted as a disconnect beyond disconnects).
func markedDown(t *testing.T, c *Cache[string], s *redisServer, disconnects uint64) {
	t.Helper()
	if !waitFor(3*time.Second, func() bool {
		st := c.Stats()
		return !slices.Contains(upNodes(c), s.addr) && st.Disconnects > disconnects
	}) {
		t.Fatalf("the health check did not mark %s down within 3s: %+v", s.addr, c.Stats())
	}
}

// upNodes returns the addresses of the masters c sees up.
func upNodes(c *Cache[string]) []string {
	var up []string
	for _, n := range c.Stats().Nodes {
		if n.Up {
			up = append(up, n.Addr)
		}
	}
	return up
}

// TestClusterDownRepliesAreUnavailable makes a cluster refuse every key
// (cluster-require-full-coverage yes with a master down: CLUSTERDOWN from
// the live masters): Get must return ErrUnavailable, not the raw reply, and
// GetOrLoad must call its loader.
func TestClusterDownRepliesAreUnavailable(t *testing.T) {
	rc := startCluster(t, 3)
	a := newReplica(t, rc, "cd:")
	victim := rc.nodes[2]
	_, onLive := keysOn(rc, victim, "cd:", 3)
	for _, s := range rc.nodes {
		rc.do(s, "CONFIG", "SET", "cluster-require-full-coverage", "yes")
	}
	rc.kill(victim)
	live := rc.nodes[0]
	if !waitFor(10*time.Second, func() bool {
		return strings.Contains(rc.do(live, "CLUSTER", "INFO"), "cluster_state:fail")
	}) {
		t.Fatal("the cluster did not go down within 10s")
	}
	for _, k := range onLive {
		_, _, err := a.Get(bg, k)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get on a cluster that is down: %v, want ErrUnavailable", err)
		}
		v, err := a.GetOrLoad(bg, k, func(context.Context, string) (string, error) { return "loaded", nil })
		if err != nil || v != "loaded" {
			t.Fatalf("GetOrLoad on a cluster that is down: %q, %v; want the loader's value", v, err)
		}
		if err := a.Set(bg, k, "x"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Set on a cluster that is down: %v, want ErrUnavailable", err)
		}
	}
}

// TestClusterSlotMigrationToNewNode adds a fourth master after the
// replicas started and migrates the slot of a key they hold in L1 to it;
// writes on the new owner (before and after the slot's ownership changes,
// and after the replicas re-read the key from it) reach every replica
// within the bound.
func TestClusterSlotMigrationToNewNode(t *testing.T) {
	rc := startCluster(t, 3)
	a, b, c := newReplica(t, rc, "mig:"), newReplica(t, rc, "mig:"), newReplica(t, rc, "mig:")
	d := rc.addNode()
	const k = "user-42"
	slot := keySlot("mig:v:{"+k+"}", "")
	if err := a.Set(bg, k, "v1"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Cache[string]{b, c} {
		cache(t, r, k, "v1")
	}
	seen := func(want string) {
		t.Helper()
		for _, r := range []*Cache[string]{b, c} {
			if !waitFor(coherenceBound, func() bool { v, _ := mustGet(t, r, k); return v == want }) {
				v, ok, err := r.Get(bg, k)
				t.Fatalf("a replica reads %q, %v, %v %v after a write of %q on the new owner returned (%+v)", v, ok, err, coherenceBound, want, r.Stats())
			}
		}
	}
	// Readers run through the whole migration: no error may reach them
	// (rueidis follows MOVED and ASK; nothing else is refused here).
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for _, r := range []*Cache[string]{b, c} {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := r.Get(bg, k); err != nil {
					t.Errorf("Get during the migration: %v", err)
					return
				}
				if _, err := r.GetOrLoad(bg, "other-"+k, func(context.Context, string) (string, error) { return "x", nil }); err != nil {
					t.Errorf("GetOrLoad during the migration: %v", err)
					return
				}
				// Not a busy loop: on a small machine it would starve
				// the Redis processes and fail their health checks.
				time.Sleep(time.Millisecond)
			}
		})
	}
	rc.migrateSlot(slot, d, func() {
		// The key is on d, the slot still on its old owner: writes are
		// redirected (ASK) to d.
		if err := a.Set(bg, k, "v2"); err != nil {
			t.Fatal(err)
		}
		seen("v2")
		for _, r := range []*Cache[string]{b, c} {
			cache(t, r, k, "v2")
		}
	})
	close(stop)
	readers.Wait()
	if err := a.Set(bg, k, "v3"); err != nil {
		t.Fatal(err)
	}
	seen("v3")
	for _, r := range []*Cache[string]{b, c} {
		cache(t, r, k, "v3")
	}
	if err := a.Set(bg, k, "v4"); err != nil {
		t.Fatal(err)
	}
	seen("v4")
	// The new master is watched, and the change was seen.
	if !waitFor(3*time.Second, func() bool { return slices.Contains(upNodes(b), d.addr) && b.Stats().TopologyChanges > 0 }) {
		t.Fatalf("b does not watch the new master %s: %+v", d.addr, b.Stats())
	}
	if v, _ := mustGet(t, c, k); v != "v4" {
		t.Fatalf("c reads %q after the migration, want v4", v)
	}
}

// TestClusterFailoverToReplica promotes a replica, added after the cache
// replicas started, of the master that serves a key they hold in L1; a
// write on the new master reaches every cache replica within the bound.
func TestClusterFailoverToReplica(t *testing.T) {
	rc := startCluster(t, 3)
	a, b := newReplica(t, rc, "fo:"), newReplica(t, rc, "fo:")
	const k = "user-7"
	slot := keySlot("fo:v:{"+k+"}", "")
	m := rc.owner(slot)
	r := rc.addReplica(m)
	if err := a.Set(bg, k, "v1"); err != nil {
		t.Fatal(err)
	}
	cache(t, b, k, "v1")
	rc.failover(r, slot)
	if err := a.Set(bg, k, "v2"); err != nil {
		t.Fatal(err)
	}
	set := time.Now()
	if !waitFor(coherenceBound, func() bool { v, _, err := b.Get(bg, k); return err == nil && v == "v2" }) {
		v, ok, err := b.Get(bg, k)
		t.Fatalf("b reads %q, %v, %v %v after a write on the promoted master returned (%+v)", v, ok, err, coherenceBound, b.Stats())
	}
	t.Logf("b saw the write on the promoted master after %v", time.Since(set))
	cache(t, b, k, "v2")
	if err := a.Set(bg, k, "v3"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(coherenceBound, func() bool { v, _, err := b.Get(bg, k); return err == nil && v == "v3" }) {
		t.Fatal("b missed a write on the promoted master after reading from it")
	}
}

// TestClusterRepliesMapToUnavailable has a real Redis send each reply by
// which a Cluster refuses a key now (a script's error reply carries any
// text), and checks that redisErr wraps them in ErrUnavailable and leaves
// other error replies as they are.
func TestClusterRepliesMapToUnavailable(t *testing.T) {
	s := startRedis(t)
	c := newReplica(t, s, "map:")
	raw := s.rawClient()
	for reply, unavailable := range map[string]bool{
		"CLUSTERDOWN The cluster is down":                                   true,
		"TRYAGAIN Multiple keys request during rehashing of slot":           true,
		"LOADING Redis is loading the dataset in memory":                    true,
		"MASTERDOWN Link with MASTER is down":                               true,
		"MOVED 3999 127.0.0.1:6381":                                         true,
		"ASK 3999 127.0.0.1:6381":                                           true,
		"WRONGTYPE Operation against a key holding the wrong kind of value": false,
	} {
		err := raw.Do(bg, raw.B().Eval().Script("return redis.error_reply(ARGV[1])").Numkeys(0).Arg(reply).Build()).Error()
		if err == nil || !strings.HasPrefix(err.Error(), reply) {
			t.Fatalf("the script replied %v, want %q", err, reply)
		}
		got := c.redisErr(bg, err)
		if errors.Is(got, ErrUnavailable) != unavailable {
			t.Errorf("redisErr(%q) = %v: wraps ErrUnavailable %v, want %v", reply, got, !unavailable, unavailable)
		}
		if !strings.Contains(got.Error(), reply) {
			t.Errorf("redisErr(%q) = %v: the reply is lost", reply, got)
		}
	}
}
