package tier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// numSlots is the number of hash slots of a Redis Cluster.
const numSlots = 16384

// cluster is the per-node health of a cache on a Redis Cluster: which
// master serves each slot (as CLUSTER SLOTS last said) and whether that
// master answered the last health check. The monitor alone writes it
// (publishing a new topology when the slot map changes, flipping a node's
// up flag otherwise); everything else reads it with atomic loads.
//
// A key is available (keyUp) when the master of its slot answered. L1
// holds only available keys: a master found down has its keys removed
// from L1 (after it is marked down, under every stripe lock, bumping the
// epoch so that reads in flight keep nothing), and store refuses keys of a
// master that is down. A change of the slot map (a slot migrated, a
// failover, a node added or removed) empties all of L1 the same way, so no
// copy read from a former owner outlives the change.
type cluster struct {
	topo    atomic.Pointer[topology]
	changes atomic.Uint64 // slot-map changes seen after the first

	// mu serializes changes of the topology and of the nodes' up flags
	// (and the flushes that go with them) between monitor and
	// slotsMonitor.
	mu sync.Mutex

	// dedicated: the cache was built by NewWithClient, and each master's
	// invalidations arrive on a connection of its own, trackers[addr]
	// (guarded by trackMu), set up by nodePing.
	dedicated bool
	trackMu   sync.Mutex
	trackers  map[string]*tracker
}

// topology is one reading of the slot map. It is immutable once published,
// except for the nodes' up flags.
type topology struct {
	owner [numSlots]uint16 // 1 + index in nodes of the slot's master; 0: no master
	nodes []*node          // masters, sorted by address
	sig   string           // the slot map, for change detection
}

// node is one master of the cluster.
type node struct {
	addr string
	up   atomic.Bool
}

// NodeStats is the state of one Redis node as the cache's monitor last saw
// it.
type NodeStats struct {
	// Addr is the node's address, host:port, as the cluster names it
	// (the address given in Options.Addrs for a standalone Redis).
	Addr string
	// Up reports whether the node answered the last health check. The
	// keys it serves are read from L1 and L2 only while it is up.
	Up bool
}

// keyUp reports whether the Redis node serving key answered the last
// health check: whether key may be read from (and kept in) L1 and L2.
func (c *Cache[V]) keyUp(key string) bool {
	if !c.up.Load() {
		return false
	}
	if c.cl == nil {
		return true
	}
	t := c.cl.topo.Load()
	if t == nil {
		return false
	}
	i := t.owner[c.slotOf(key)]
	return i != 0 && t.nodes[i-1].up.Load()
}

// topologyChanges returns how many slot-map changes the monitor has seen.
func (c *Cache[V]) topologyChanges() uint64 {
	if c.cl == nil {
		return 0
	}
	return c.cl.changes.Load()
}

// nodeStats returns the state of every node the cache checks.
func (c *Cache[V]) nodeStats() []NodeStats {
	if c.cl == nil {
		addrs := make([]string, 0, 1)
		for a := range c.client.Nodes() {
			addrs = append(addrs, a)
		}
		slices.Sort(addrs)
		up := c.up.Load() && !c.closed.Load()
		ns := make([]NodeStats, len(addrs))
		for i, a := range addrs {
			ns[i] = NodeStats{Addr: a, Up: up}
		}
		return ns
	}
	t := c.cl.topo.Load()
	if t == nil {
		return nil
	}
	ns := make([]NodeStats, len(t.nodes))
	for i, n := range t.nodes {
		ns[i] = NodeStats{Addr: n.addr, Up: n.up.Load() && !c.closed.Load()}
	}
	return ns
}

// pingCluster is the health check on a Redis Cluster. It sends CLUSTER
// SLOTS to every node rueidis is connected to, in parallel: a node that
// answers is up (one round trip serves as its PING), and the first answer
// (of a master that was up, if any) is the slot map. If the map changed,
// all of L1 is emptied; a master that goes down, or comes back, has its
// keys removed from L1. It returns an error only if no node answered: the
// cache is then unavailable as a whole, as with a standalone Redis that is
// down. Only slotsMonitor calls it (and start, before the monitors run).
func (c *Cache[V]) pingCluster(ctx context.Context) error {
	conns := c.client.Nodes()
	old := c.cl.topo.Load()
	addrs := make([]string, 0, len(conns))
	for a := range conns {
		addrs = append(addrs, a)
	}
	// Masters that were up first, then the others, by address.
	wasUp := func(a string) bool {
		if old == nil {
			return false
		}
		i := slices.IndexFunc(old.nodes, func(n *node) bool { return n.addr == a })
		return i >= 0 && old.nodes[i].up.Load()
	}
	slices.SortFunc(addrs, func(a, b string) int {
		if ua, ub := wasUp(a), wasUp(b); ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	replies := make([][]rueidis.RedisMessage, len(addrs))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		conn := conns[a]
		wg.Go(func() { replies[i], errs[i] = conn.Do(ctx, conn.B().ClusterSlots().Build()).ToArray() })
	}
	wg.Wait()
	var t *topology
	answered := map[string]bool{}
	for i, a := range addrs {
		if errs[i] != nil {
			continue
		}
		answered[a] = true
		if t == nil {
			if t, errs[i] = parseSlots(replies[i]); errs[i] != nil {
				t = nil
			}
		}
	}
	if t == nil {
		for i, a := range addrs {
			errs[i] = fmt.Errorf("%s: %w", a, errs[i])
		}
		if len(errs) == 0 {
			return errors.New("no Redis Cluster node to ask for the slot map")
		}
		return fmt.Errorf("no Redis Cluster node answered CLUSTER SLOTS: %w", errors.Join(errs...))
	}
	if c.cl.dedicated {
		// Up only while its invalidations flow (on a tracking connection
		// of its own, set up now if need be). Checked before mu is
		// taken: a tracking connection's close takes it (nodeLost).
		for _, n := range t.nodes {
			if answered[n.addr] {
				answered[n.addr] = c.nodePing(ctx, n.addr, conns[n.addr]) == nil
			}
		}
	}
	c.cl.mu.Lock()
	defer c.cl.mu.Unlock()
	old = c.cl.topo.Load()
	if old != nil && t.sig == old.sig {
		t = old
	} else {
		// Keep the state of masters that stay, so that a master that is
		// down stays down until it answers.
		for _, n := range t.nodes {
			n.up.Store(old == nil || wasUp(n.addr) || !slices.ContainsFunc(old.nodes, func(o *node) bool { return o.addr == n.addr }))
		}
		c.cl.topo.Store(t)
		if old != nil {
			c.cl.changes.Add(1)
			c.flushLocal(nil)
		}
	}
	for i, n := range t.nodes {
		up := answered[n.addr]
		if conns[n.addr] == nil {
			// A master rueidis has no connection to yet (it just got
			// slots): keep its state. rueidis connects to it, tracking
			// first, at its next refresh or at the first redirection to
			// it; a read that cannot reach it fails as unavailable.
			up = n.up.Load()
		}
		c.setUpLocked(t, i, up)
	}
	return nil
}

// setUpLocked marks the i-th master of t up or down, removing its keys from
// L1 (after marking it down; before marking it up). c.cl.mu is held.
func (c *Cache[V]) setUpLocked(t *topology, i int, up bool) {
	n := t.nodes[i]
	if up == n.up.Load() {
		return
	}
	idx := uint16(i + 1)
	onNode := func(k string, _ V) bool { return t.owner[c.slotOf(k)] == idx }
	if up {
		// Back: drop whatever a read across the gap kept, then serve.
		c.flushLocal(onNode)
		n.up.Store(true)
		c.st.reconnects.Add(1)
		c.logNode(n.addr, true)
		return
	}
	// Marked first, so that no read stores a copy of its keys after the
	// flush. (An L1 hit, which does not look at the node's state, may
	// still return a copy until the flush has removed it: within the
	// lease, which no PING of the silent node has renewed since it last
	// answered.)
	n.up.Store(false)
	c.flushLocal(onNode)
	c.st.disconnects.Add(1)
	c.logNode(n.addr, false)
}

// pingMasters PINGs, in parallel, every master marked up that rueidis is
// connected to (see nodePing), and marks down each that fails or does not
// answer before ctx ends. Afterwards every master marked up has answered a
// PING sent after the call began, or has no connection yet (so no copy in
// L1 was read from it before the call): the monitor may renew the lease.
func (c *Cache[V]) pingMasters(ctx context.Context) {
	t := c.cl.topo.Load()
	if t == nil {
		return
	}
	conns := c.client.Nodes()
	errs := make([]error, len(t.nodes))
	var wg sync.WaitGroup
	for i, n := range t.nodes {
		conn := conns[n.addr]
		if conn == nil || !n.up.Load() {
			continue
		}
		wg.Go(func() { errs[i] = c.nodePing(ctx, n.addr, conn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		c.cl.mu.Lock()
		if c.cl.topo.Load() == t {
			c.setUpLocked(t, i, false)
		}
		c.cl.mu.Unlock()
	}
}

// nodePing checks the connection that carries a master's invalidations:
// the client's own to it with New; a dedicated tracking connection to it
// with NewWithClient, set up first if there is none.
func (c *Cache[V]) nodePing(ctx context.Context, addr string, conn rueidis.Client) error {
	if conn == nil {
		return fmt.Errorf("no connection to %s", addr)
	}
	if !c.cl.dedicated {
		return conn.Do(ctx, conn.B().Ping().Build()).Error()
	}
	c.cl.trackMu.Lock()
	tr := c.cl.trackers[addr]
	if tr == nil {
		if c.cl.trackers == nil {
			c.cl.trackers = map[string]*tracker{}
		}
		tr = &tracker{}
		c.cl.trackers[addr] = tr
	}
	c.cl.trackMu.Unlock()
	return tr.ping(ctx, conn, c.vpre, func(msgs []rueidis.RedisMessage) {
		if len(msgs) == 0 {
			// The tracking connection closed: invalidations of this
			// master may be lost until a new one is set up.
			c.nodeLost(addr)
		}
		c.invalidated(msgs)
	})
}

// nodeLost marks the master at addr down (its keys leave L1).
func (c *Cache[V]) nodeLost(addr string) {
	c.cl.mu.Lock()
	defer c.cl.mu.Unlock()
	t := c.cl.topo.Load()
	if t == nil {
		return
	}
	if i := slices.IndexFunc(t.nodes, func(n *node) bool { return n.addr == addr }); i >= 0 {
		c.setUpLocked(t, i, false)
	}
}

// dropTrackers closes NewWithClient's tracking connections of a Cluster.
func (c *Cache[V]) dropTrackers() {
	c.cl.trackMu.Lock()
	defer c.cl.trackMu.Unlock()
	for _, tr := range c.cl.trackers {
		tr.drop()
	}
}

// slotsMonitor reads the slot map every slotsEvery (pingCluster): it
// follows slot-map changes, marks masters that answer up again, and marks
// the cache unreachable as a whole when no node answers. It runs apart
// from monitor so that a node that does not answer never delays the
// lease's renewals.
func (c *Cache[V]) slotsMonitor() {
	defer c.done.Done()
	t := time.NewTicker(slotsEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		err := c.pingCluster(ctx)
		cancel()
		c.health(err)
	}
}

// parseSlots builds a topology from a CLUSTER SLOTS reply: entries of
// [start, end, [ip, port, id, ...] (the master), replicas...].
func parseSlots(msgs []rueidis.RedisMessage) (*topology, error) {
	t := &topology{}
	index := map[string]uint16{}
	type span struct {
		lo, hi int64
		addr   string
	}
	spans := make([]span, 0, len(msgs))
	for _, m := range msgs {
		e, err := m.ToArray()
		if err != nil || len(e) < 3 {
			return nil, fmt.Errorf("unexpected CLUSTER SLOTS entry: %v", m)
		}
		lo, err1 := e[0].AsInt64()
		hi, err2 := e[1].AsInt64()
		master, err3 := e[2].ToArray()
		if err1 != nil || err2 != nil || err3 != nil || len(master) < 2 || lo < 0 || hi >= numSlots || lo > hi {
			return nil, fmt.Errorf("unexpected CLUSTER SLOTS entry: %v", m)
		}
		host, _ := master[0].ToString()
		port, err := master[1].AsInt64()
		if err != nil {
			return nil, fmt.Errorf("unexpected CLUSTER SLOTS entry: %v", m)
		}
		spans = append(spans, span{lo, hi, fmt.Sprintf("%s:%d", host, port)})
		if _, ok := index[spans[len(spans)-1].addr]; !ok {
			index[spans[len(spans)-1].addr] = 0
		}
	}
	addrs := make([]string, 0, len(index))
	for a := range index {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for i, a := range addrs {
		index[a] = uint16(i + 1)
		n := &node{addr: a}
		n.up.Store(true)
		t.nodes = append(t.nodes, n)
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo - b.lo) })
	var sig strings.Builder
	for _, s := range spans {
		for i := s.lo; i <= s.hi; i++ {
			t.owner[i] = index[s.addr]
		}
		fmt.Fprintf(&sig, "%d-%d=%s;", s.lo, s.hi, s.addr)
	}
	t.sig = sig.String()
	return t, nil
}

// slotOf is the hash slot of key's value (and of its load lock: they share
// the hash tag, see fence.go).
func (c *Cache[V]) slotOf(key string) uint16 { return keySlot(c.vkey(key), "") }

// keySlot is the Redis Cluster hash slot of the key prefix+key (without
// building the string): CRC16 (XMODEM) of the key, or of its hash tag (what
// lies between the first "{" and the next "}", if not empty), mod 16384.
func keySlot(prefix, key string) uint16 {
	n := len(prefix) + len(key)
	at := func(i int) byte {
		if i < len(prefix) {
			return prefix[i]
		}
		return key[i-len(prefix)]
	}
	lo, hi := 0, n
	for i := 0; i < n; i++ {
		if at(i) != '{' {
			continue
		}
		for j := i + 1; j < n; j++ {
			if at(j) == '}' {
				if j > i+1 {
					lo, hi = i+1, j
				}
				break
			}
		}
		break
	}
	var crc uint16
	for i := lo; i < hi; i++ {
		crc ^= uint16(at(i)) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % numSlots
}

// clusterErr reports whether err is a Redis error reply that says the
// cluster cannot serve the key right now (CLUSTERDOWN, TRYAGAIN, LOADING,
// MASTERDOWN, or a MOVED or ASK that rueidis did not follow): the value is
// unknown, as when the node cannot be reached.
func clusterErr(err error) bool {
	re, ok := rueidis.IsRedisErr(err)
	if !ok {
		return false
	}
	if _, moved := re.IsMoved(); moved {
		return true
	}
	if _, ask := re.IsAsk(); ask {
		return true
	}
	return re.IsClusterDown() || re.IsTryAgain() || re.IsLoading() || strings.HasPrefix(re.Error(), "MASTERDOWN")
}

// scanNodes returns the nodes InvalidatePrefix walks, by address: every
// master of the slot map on a Cluster (nil for a master rueidis has no
// connection to yet), the one server otherwise.
func (c *Cache[V]) scanNodes() map[string]rueidis.Client {
	conns := c.client.Nodes()
	if c.cl == nil {
		return conns
	}
	t := c.cl.topo.Load()
	if t == nil {
		return conns
	}
	masters := make(map[string]rueidis.Client, len(t.nodes))
	for _, n := range t.nodes {
		masters[n.addr] = conns[n.addr]
	}
	return masters
}
