package tier

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// stallProxy is a TCP proxy in front of a Redis server that can stall (keep
// every connection open but forward nothing, in either direction: a
// half-open link as a dead middlebox or a partition leaves it), resume, and
// drop every connection.
type stallProxy struct {
	tb   testing.TB
	l    net.Listener
	up   string
	mu   sync.Mutex
	cond *sync.Cond
	stl  bool
	cons map[net.Conn]struct{}
	wg   sync.WaitGroup
}

func newStallProxy(tb testing.TB, upstream string) *stallProxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &stallProxy{tb: tb, l: l, up: upstream, cons: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *stallProxy) addr() string { return p.l.Addr().String() }

func (p *stallProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.up)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.cons[c], p.cons[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, u)
		go p.pipe(u, c)
	}
}

// pipe copies src to dst, holding every chunk while the proxy is stalled.
func (p *stallProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.stl {
				p.cond.Wait()
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) stall() { p.mu.Lock(); p.stl = true; p.mu.Unlock() }

func (p *stallProxy) resume() {
	p.mu.Lock()
	p.stl = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

// drop closes every proxied connection (new ones are accepted).
func (p *stallProxy) drop() {
	p.mu.Lock()
	for c := range p.cons {
		c.Close()
	}
	clear(p.cons)
	p.stl = false
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *stallProxy) close() {
	p.l.Close()
	p.drop()
	p.wg.Wait()
}

// TestStalledLinkBound: replica a's link to Redis stalls (half-open: the
// connection stays open, nothing is forwarded); b's Set returns; a must
// stop serving the replaced value within CoherenceBound, although no
// invalidation and no error reaches it. Then the link resumes (a serves
// the new value), and every connection is dropped (a reconnects).
func TestStalledLinkBound(t *testing.T) {
	s := startRedis(t)
	p := newStallProxy(t, s.addr)
	a := newReplica(t, &redisServer{tb: t, addr: p.addr()}, "stall:")
	b := newReplica(t, s, "stall:")
	for round := range 3 {
		if err := b.Set(bg, "k", "old"); err != nil {
			t.Fatal(err)
		}
		cache(t, a, "k", "old")
		p.stall()
		if err := b.Set(bg, "k", "new"); err != nil {
			t.Fatal(err)
		}
		returned := time.Now()
		var lastOld time.Duration
		served := 0
		for time.Since(returned) < 300*time.Millisecond {
			ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
			v, ok, err := a.Get(ctx, "k")
			cancel()
			if err == nil && ok && v == "old" {
				lastOld = time.Since(returned)
				served++
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get on a stalled link: %v", err)
			}
		}
		// The bound is leaseFor plus the lease timer's delay, which
		// only a process starved of CPU makes longer than the 40ms left
		// for it: allow the most that was measured if so.
		late := time.Duration(a.leaseLate.Load())
		t.Logf("round %d: stalled replica served the replaced value %d times, the last %v after the Set returned (bound %v; lease timer %v late)", round, served, lastOld, CoherenceBound, late)
		if lastOld > max(CoherenceBound, leaseFor+late+10*time.Millisecond) {
			t.Fatalf("replaced value served %v after the Set returned, beyond %v (lease timer %v late)", lastOld, CoherenceBound, late)
		}
		p.resume()
		if !waitFor(3*time.Second, func() bool { v, ok, err := a.Get(bg, "k"); return err == nil && ok && v == "new" }) {
			t.Fatal("after the link resumed, the replica does not read the new value")
		}
	}
	// Dropped connections: rueidis dials again through the proxy.
	cache(t, a, "k", "new")
	p.drop()
	if err := b.Set(bg, "k", "after-drop"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*time.Second, func() bool { v, ok, err := a.Get(bg, "k"); return err == nil && ok && v == "after-drop" }) {
		t.Fatalf("after its connections were dropped, the replica does not read the new value (Stats %+v)", a.Stats())
	}
}
