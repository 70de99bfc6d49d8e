package tier

import (
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// startNode starts a redis-server as a Redis Cluster node that keeps
// serving the slots of the masters that are up when one is down, and
// declares a silent node failed after one second. Its cluster bus gets a
// free port of its own (the default, port+10000, may be taken or beyond
// 65535).
func startNode(tb testing.TB) *redisServer {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	bus := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return startRedis(tb,
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf", // in the node's own --dir
		"--cluster-port", fmt.Sprint(bus),
		"--cluster-require-full-coverage", "no",
		"--cluster-node-timeout", "1000")
}

// redisCluster is a Redis Cluster of the test's own: redis-server
// processes on free loopback ports, stopped when the test ends.
type redisCluster struct {
	tb    testing.TB
	cli   string         // redis-cli
	nodes []*redisServer // masters, in the order they were started
}

// startCluster starts n masters and joins them into a cluster
// (redis-cli --cluster create) that serves every slot.
func startCluster(tb testing.TB, n int) *redisCluster {
	tb.Helper()
	rc := &redisCluster{tb: tb, cli: lookRedis(tb, "redis-cli")}
	args := []string{"--cluster", "create"}
	for range n {
		s := startNode(tb)
		rc.nodes = append(rc.nodes, s)
		args = append(args, s.addr)
	}
	args = append(args, "--cluster-yes")
	if out, err := exec.Command(rc.cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	rc.waitHealthy()
	return rc
}

// seeds are the addresses of the cluster's first masters.
func (rc *redisCluster) seeds() []string {
	var a []string
	for _, s := range rc.nodes {
		a = append(a, s.addr)
	}
	return a
}

// do runs a command on node s with redis-cli and returns its output; an
// error reply fails the test.
func (rc *redisCluster) do(s *redisServer, args ...string) string {
	rc.tb.Helper()
	out, err := exec.Command(rc.cli, append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(s.port)}, args...)...).CombinedOutput()
	o := strings.TrimSpace(string(out))
	if err != nil || strings.HasPrefix(o, "ERR") || strings.Contains(o, "(error)") {
		rc.tb.Fatalf("redis-cli -p %d %s: %v %s", s.port, strings.Join(args, " "), err, o)
	}
	return o
}

// running returns the nodes whose process runs.
func (rc *redisCluster) running() []*redisServer {
	var r []*redisServer
	for _, s := range rc.nodes {
		if s.cmd != nil {
			r = append(r, s)
		}
	}
	return r
}

// waitHealthy waits until every running node says cluster_state:ok and
// knows every other running node as connected and not failing.
func (rc *redisCluster) waitHealthy() {
	rc.tb.Helper()
	live := rc.running()
	var last string
	ok := waitFor(30*time.Second, func() bool {
		for _, s := range live {
			info := rc.do(s, "CLUSTER", "INFO")
			if !strings.Contains(info, "cluster_state:ok") {
				last = fmt.Sprintf("%s: %s", s.addr, info)
				return false
			}
			nodes := rc.do(s, "CLUSTER", "NODES")
			for _, o := range live {
				line := nodeLine(nodes, o.addr)
				if line == "" || strings.Contains(line, "fail") || !strings.Contains(line, "connected") {
					last = fmt.Sprintf("%s sees %s as %q", s.addr, o.addr, line)
					return false
				}
			}
		}
		return true
	})
	if !ok {
		rc.tb.Fatalf("cluster not healthy within 30s: %s", last)
	}
}

// nodeLine returns the line of CLUSTER NODES output that describes addr.
func nodeLine(nodes, addr string) string {
	for line := range strings.Lines(nodes) {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], addr+"@") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// id returns node s's cluster node ID.
func (rc *redisCluster) id(s *redisServer) string { return rc.do(s, "CLUSTER", "MYID") }

// owner returns the master that serves slot, as the first running node
// sees it.
func (rc *redisCluster) owner(slot uint16) *redisServer {
	rc.tb.Helper()
	nodes := rc.do(rc.running()[0], "CLUSTER", "NODES")
	for line := range strings.Lines(nodes) {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.Contains(f[2], "master") {
			continue
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a migration in progress
			}
			lo, hi, _ := strings.Cut(r, "-")
			if hi == "" {
				hi = lo
			}
			l, _ := strconv.Atoi(lo)
			h, _ := strconv.Atoi(hi)
			if int(slot) >= l && int(slot) <= h {
				addr, _, _ := strings.Cut(f[1], "@")
				if i := slices.IndexFunc(rc.nodes, func(s *redisServer) bool { return s.addr == addr }); i >= 0 {
					return rc.nodes[i]
				}
			}
		}
	}
	rc.tb.Fatalf("no master serves slot %d", slot)
	return nil
}

// kill stops master s with SIGKILL.
func (rc *redisCluster) kill(s *redisServer) { s.kill() }

// restart starts a killed master again (it rejoins with its nodes.conf,
// empty: no persistence) and waits until the cluster is healthy.
func (rc *redisCluster) restart(s *redisServer) {
	rc.tb.Helper()
	s.start()
	rc.waitHealthy()
}

// addNode starts a new node, joins it to the cluster as a master without
// slots (redis-cli --cluster add-node), and waits until every node knows it.
func (rc *redisCluster) addNode() *redisServer {
	rc.tb.Helper()
	s := startNode(rc.tb)
	args := []string{"--cluster", "add-node", s.addr, rc.running()[0].addr}
	if out, err := exec.Command(rc.cli, args...).CombinedOutput(); err != nil {
		rc.tb.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	rc.meet(s)
	rc.nodes = append(rc.nodes, s)
	rc.waitHealthy()
	return s
}

// meet has every running node meet new node s directly, rather than
// through gossip alone, which a loaded machine can slow down.
func (rc *redisCluster) meet(s *redisServer) {
	rc.tb.Helper()
	for _, o := range rc.running() {
		rc.do(o, "CLUSTER", "MEET", "127.0.0.1", fmt.Sprint(s.port), fmt.Sprint(rc.busPort(s)))
	}
}

// busPort returns node s's cluster bus port.
func (rc *redisCluster) busPort(s *redisServer) int {
	rc.tb.Helper()
	out := rc.do(s, "CONFIG", "GET", "cluster-port")
	f := strings.Fields(out)
	p, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		rc.tb.Fatalf("cluster-port of %s: %q", s.addr, out)
	}
	return p
}

// addReplica starts a new node and joins it to the cluster as a replica of
// master m (redis-cli --cluster add-node --cluster-slave), and waits until
// its replication link is up.
func (rc *redisCluster) addReplica(m *redisServer) *redisServer {
	rc.tb.Helper()
	s := startNode(rc.tb)
	args := []string{"--cluster", "add-node", s.addr, m.addr, "--cluster-slave", "--cluster-master-id", rc.id(m)}
	if out, err := exec.Command(rc.cli, args...).CombinedOutput(); err != nil {
		rc.tb.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	rc.meet(s)
	rc.nodes = append(rc.nodes, s)
	rc.waitHealthy()
	if !waitFor(10*time.Second, func() bool {
		return strings.Contains(rc.do(s, "INFO", "replication"), "master_link_status:up")
	}) {
		rc.tb.Fatalf("replica %s not in sync with %s within 10s", s.addr, m.addr)
	}
	return s
}

// failover promotes replica r (CLUSTER FAILOVER on it, its master
// agreeing) and waits until it serves slot.
func (rc *redisCluster) failover(r *redisServer, slot uint16) {
	rc.tb.Helper()
	rc.do(r, "CLUSTER", "FAILOVER")
	if !waitFor(10*time.Second, func() bool { return rc.owner(slot) == r }) {
		rc.tb.Fatalf("%s does not serve slot %d 10s after CLUSTER FAILOVER", r.addr, slot)
	}
}

// migrateSlot moves slot, and the keys in it, to master to: IMPORTING on
// to, MIGRATING on the owner, MIGRATE of every key, then SETSLOT NODE on
// every master. during, if not nil, runs after the keys have moved and
// before the slot's ownership changes (the window of ASK redirections).
func (rc *redisCluster) migrateSlot(slot uint16, to *redisServer, during func()) {
	rc.tb.Helper()
	from := rc.owner(slot)
	if from == to {
		rc.tb.Fatalf("slot %d is already on %s", slot, to.addr)
	}
	sl := fmt.Sprint(slot)
	fromID, toID := rc.id(from), rc.id(to)
	rc.do(to, "CLUSTER", "SETSLOT", sl, "IMPORTING", fromID)
	rc.do(from, "CLUSTER", "SETSLOT", sl, "MIGRATING", toID)
	for {
		keys := strings.Fields(rc.do(from, "CLUSTER", "GETKEYSINSLOT", sl, "100"))
		if len(keys) == 0 {
			break
		}
		rc.do(from, append([]string{"MIGRATE", "127.0.0.1", fmt.Sprint(to.port), "", "0", "5000", "KEYS"}, keys...)...)
	}
	if during != nil {
		during()
	}
	rc.do(to, "CLUSTER", "SETSLOT", sl, "NODE", toID)
	rc.do(from, "CLUSTER", "SETSLOT", sl, "NODE", toID)
	for _, s := range rc.running() {
		if s != to && s != from {
			rc.do(s, "CLUSTER", "SETSLOT", sl, "NODE", toID)
		}
	}
	if !waitFor(10*time.Second, func() bool { return rc.owner(slot) == to }) {
		rc.tb.Fatalf("slot %d not on %s 10s after SETSLOT NODE", slot, to.addr)
	}
}

// redisEnv is the Redis a test runs on: one server, or a 3-master cluster.
type redisEnv struct {
	single  *redisServer
	cluster *redisCluster
}

// eachTopology runs f as a subtest on a single redis-server ("single")
// and on a 3-master Redis Cluster ("cluster"), each started for it.
func eachTopology(t *testing.T, f func(t *testing.T, env *redisEnv)) {
	t.Run("single", func(t *testing.T) { f(t, &redisEnv{single: startRedis(t)}) })
	t.Run("cluster", func(t *testing.T) { f(t, &redisEnv{cluster: startCluster(t, 3)}) })
}

func (e *redisEnv) seeds() []string {
	if e.cluster != nil {
		return e.cluster.seeds()
	}
	return e.single.seeds()
}

// rawClient is a plain rueidis client (a cluster client on a cluster) for
// the test to look at Redis with.
func (e *redisEnv) rawClient() rueidis.Client {
	if e.cluster == nil {
		return e.single.rawClient()
	}
	tb := e.cluster.tb
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: e.seeds(), DisableCache: true, DisableRetry: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// kill stops every server with SIGKILL: all of Redis is gone.
func (e *redisEnv) kill() {
	if e.cluster == nil {
		e.single.kill()
		return
	}
	for _, s := range e.cluster.running() {
		s.kill()
	}
}

// start starts every server again and waits until Redis serves.
func (e *redisEnv) start() {
	if e.cluster == nil {
		e.single.start()
		return
	}
	e.cluster.tb.Helper()
	for _, s := range e.cluster.nodes {
		if s.cmd == nil {
			s.start()
		}
	}
	e.cluster.waitHealthy()
}

// pause stops every server with SIGSTOP; resume continues them.
func (e *redisEnv) pause() {
	if e.cluster == nil {
		e.single.pause()
		return
	}
	for _, s := range e.cluster.running() {
		s.pause()
	}
}

func (e *redisEnv) resume() {
	if e.cluster == nil {
		e.single.resume()
		return
	}
	for _, s := range e.cluster.running() {
		s.resume()
	}
}
