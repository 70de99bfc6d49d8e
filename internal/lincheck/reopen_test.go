package lincheck_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

// TestChecker_ReportsReopenedRace17 proves that the checker can fail: it
// builds this package's tests with the build tag hotcache_reopen17, which
// puts back the race of issue 17, item 1 (a load stops counting as pending
// before its result is published, and Delete looks at the index first),
// and hotcache_widen, and requires TestLinearizable to report a history
// that is not linearizable, with a visualization, for every target.
func TestChecker_ReportsReopenedRace17(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("the go command is needed to build the reopened race: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool, "test", "-count=1", "-tags=hotcache_widen,hotcache_reopen17",
		"-run=^TestLinearizable$", "-parallel=3", ".", "-args", "-lincheck.duration=60s")
	out, err := cmd.CombinedOutput()
	t.Logf("go test -tags=hotcache_widen,hotcache_reopen17 ran for %v", time.Since(start).Round(time.Millisecond))
	if err == nil {
		t.Fatalf("the checker found no violation in 60s per target with the race of issue 17 item 1 reopened:\n%s", out)
	}
	for _, tg := range targets {
		re := regexp.MustCompile(tg.name + `: history \d+ \(\d+ operations\) is not linearizable: .* after ([0-9.]+)s of checking .*; visualization: (\S+)`)
		m := re.FindSubmatch(out)
		if m == nil {
			t.Errorf("%s: no violation reported with the race reopened:\n%s", tg.name, out)
			continue
		}
		if _, err := os.Stat(string(m[2])); err != nil {
			t.Errorf("%s: the visualization was not written: %v", tg.name, err)
		}
		os.Remove(string(m[2]))
		t.Logf("%s: violation reported after %ss of checking", tg.name, m[1])
	}
}
