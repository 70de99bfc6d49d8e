package tier

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the monitor's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogger_HealthChanges kills Redis and starts it again, and checks
// that Options.Logger got a Warn when the monitor found it unreachable and
// an Info when it answered again, both naming the cache's prefix.
func TestLogger_HealthChanges(t *testing.T) {
	s := startRedis(t)
	var logs syncBuffer
	c := newReplica(t, s, "log:", func(o *Options[string]) {
		o.L1, o.Local = o.Local, o.L1 // the current field name
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	s.kill()
	if !waitFor(3*time.Second, func() bool { return !c.Stats().Connected }) {
		t.Fatal("the monitor did not mark Redis unreachable within 3s")
	}
	s.start()
	// The monitor logs just after it updates Connected: wait for the records.
	if !waitFor(3*time.Second, func() bool { return c.Stats().Connected && strings.Count(logs.String(), "\n") >= 2 }) {
		t.Fatalf("no reconnect record within 3s of Redis restarting:\n%s", logs.String())
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 records (down, up), got %d:\n%s", len(lines), logs.String())
	}
	for i, want := range [][]string{
		{"level=WARN", "Redis unreachable", "prefix=log:", "err="},
		{"level=INFO", "Redis reachable again", "prefix=log:"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("record %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}
