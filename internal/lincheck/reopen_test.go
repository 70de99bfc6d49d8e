package lincheck_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
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
	requireViolations(t, "hotcache_widen,hotcache_reopen17", targets)
}

// TestChecker_ReportsReopenedItem2 is the same for issue 17, item 2 (build
// tag hotcache_reopen17_item2: a GetOrLoad joins a load that a DeleteFunc
// reached, and DeleteFunc leaves not-founds), for the targets that have
// DeleteFunc.
func TestChecker_ReportsReopenedItem2(t *testing.T) {
	requireViolations(t, "hotcache_widen,hotcache_reopen17_item2", targets[:2])
}

// requireViolations runs TestLinearizable built with tags, for up to 60s
// per target, and requires it to report a violation for each of tgs.
func requireViolations(t *testing.T, tags string, tgs []target) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("the go command is needed to build with %s: %v", tags, err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	run := "^TestLinearizable$"
	if len(tgs) < len(targets) {
		names := make([]string, len(tgs))
		for i, tg := range tgs {
			names[i] = tg.name
		}
		run = "^TestLinearizable$/^(" + strings.Join(names, "|") + ")$"
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool, "test", "-count=1", "-tags="+tags,
		"-run="+run, "-parallel=3", ".", "-args", "-lincheck.duration=60s")
	out, err := cmd.CombinedOutput()
	t.Logf("go test -tags=%s ran for %v", tags, time.Since(start).Round(time.Millisecond))
	if err == nil {
		t.Fatalf("the checker found no violation in 60s per target built with %s:\n%s", tags, out)
	}
	for _, tg := range tgs {
		re := regexp.MustCompile(tg.name + `: history \d+ \(\d+ operations\) is not linearizable: .* after ([0-9.]+)s of checking .*; visualization: (\S+)`)
		m := re.FindSubmatch(out)
		if m == nil {
			t.Errorf("%s: no violation reported with %s:\n%s", tg.name, tags, out)
			continue
		}
		if _, err := os.Stat(string(m[2])); err != nil {
			t.Errorf("%s: the visualization was not written: %v", tg.name, err)
		}
		os.Remove(string(m[2]))
		t.Logf("%s: violation reported after %ss of checking", tg.name, m[1])
	}
}
