package tier

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/hotcache/hotcache/shard"
	"github.com/redis/rueidis"
)

// redisServer is a redis-server process of the test's own, on a free
// loopback port, stopped when the test ends.
type redisServer struct {
	tb     testing.TB
	bin    string
	dir    string
	addr   string
	port   int
	cmd    *exec.Cmd
	paused bool
	args   []string // more redis-server arguments (a cluster node's, a TLS server's)
}

// startRedis starts a redis-server with args added to its command line, or
// fails the test under CI=true (and skips it otherwise) when the binary is
// missing.
func startRedis(tb testing.TB, args ...string) *redisServer {
	tb.Helper()
	bin := lookRedis(tb, "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &redisServer{tb: tb, bin: bin, dir: tb.TempDir(), port: port, addr: fmt.Sprintf("127.0.0.1:%d", port), args: args}
	s.start()
	tb.Cleanup(s.stop)
	return s
}

// lookRedis returns the path of a Redis program (redis-server, redis-cli),
// or fails the test under CI=true (and skips it otherwise) when it is
// missing.
func lookRedis(tb testing.TB, name string) string {
	tb.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found in PATH: install it (Debian/Ubuntu: apt-get install redis-server) to run the tier tests against a real Redis"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// start starts the server (again) on its port and waits until it answers.
func (s *redisServer) start() {
	s.tb.Helper()
	s.cmd = exec.Command(s.bin, append([]string{"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--loglevel", "warning",
		"--enable-debug-command", "local"}, s.args...)...)
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("starting redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond)
		if err == nil {
			conn.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			conn.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := conn.Read(buf)
			conn.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("redis-server on %s did not answer within 10s", s.addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill stops the server with SIGKILL: no goodbye to its clients.
func (s *redisServer) kill() {
	if s.cmd == nil {
		return
	}
	if s.paused {
		s.cmd.Process.Signal(syscall.SIGCONT)
		s.paused = false
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// pause stops the process (SIGSTOP): connections stay open but nothing answers.
func (s *redisServer) pause() {
	s.cmd.Process.Signal(syscall.SIGSTOP)
	s.paused = true
}

func (s *redisServer) resume() {
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.paused = false
}

func (s *redisServer) stop() { s.kill() }

// rawClient is a plain rueidis client for the test to look at Redis with.
func (s *redisServer) rawClient() rueidis.Client {
	s.tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.addr}, DisableCache: true, DisableRetry: true})
	if err != nil {
		s.tb.Fatal(err)
	}
	s.tb.Cleanup(c.Close)
	return c
}

// redisTarget is a Redis to build caches on: a *redisServer or a
// *redisEnv (a single server or a cluster).
type redisTarget interface{ seeds() []string }

func (s *redisServer) seeds() []string { return []string{s.addr} }

// newReplica builds a Cache[string] on s with prefix, closed at the end.
func newReplica(tb testing.TB, s redisTarget, prefix string, edit ...func(*Options[string])) *Cache[string] {
	tb.Helper()
	o := Options[string]{
		Addrs:  s.seeds(),
		Prefix: prefix,
		TTL:    time.Minute,
		Local:  shard.Options[string, string]{Capacity: 10_000},
	}
	for _, e := range edit {
		e(&o)
	}
	c, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond every millisecond until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// goroutinesSettle waits until the number of goroutines is at most n.
func goroutinesSettle(n int) (int, bool) {
	var g int
	ok := waitFor(3*time.Second, func() bool {
		g = runtime.NumGoroutine()
		return g <= n
	})
	return g, ok
}

var bg = context.Background()

// netListenClosed returns a loopback address nothing listens on.
func netListenClosed(tb testing.TB) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}
