// Command testall runs `go test` in every module of this repository: the root
// module and each nested one (benchmarks, metrics, tier,
// writeback/sqlitestore), one after the other, and fails if any fails.
//
// It is the test command of the README's quick start, and the one .ci/run
// calls:
//
//	go run ./internal/cmd/testall           # go test ./... in every module
//	go run ./internal/cmd/testall -race     # arguments are passed to go test
//
// Modules are found by walking the tree for go.mod files, so a new nested
// module is tested without editing this command. The tier module's tests
// start their own redis-server on free loopback ports; where redis-server is
// not installed they skip with a message saying how to install it (under
// CI=true they fail instead). testall prints that message once, up front, so
// a skipped suite is never silent.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		os.Exit(2)
	}
	mods, err := modules(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testall:", err)
		os.Exit(2)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		fmt.Println("testall: redis-server is not in PATH: the tier module's tests that need a real Redis will skip" +
			" (install it: apt-get install redis-server; under CI=true they fail instead)")
	}
	args := append([]string{"test"}, os.Args[1:]...)
	if !hasPackageArg(os.Args[1:]) {
		args = append(args, "./...")
	}
	var failed []string
	for _, m := range mods {
		rel, _ := filepath.Rel(root, m)
		fmt.Printf("\n== module %s: go %s\n", rel, strings.Join(args, " "))
		start := time.Now()
		cmd := exec.Command("go", args...)
		cmd.Dir = m
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			failed = append(failed, rel)
			fmt.Printf("== module %s: FAILED (%v) after %s\n", rel, err, time.Since(start).Round(time.Second))
			continue
		}
		fmt.Printf("== module %s: ok in %s\n", rel, time.Since(start).Round(time.Second))
	}
	if len(failed) > 0 {
		fmt.Printf("\ntestall: %d of %d modules failed: %s\n", len(failed), len(mods), strings.Join(failed, ", "))
		os.Exit(1)
	}
	fmt.Printf("\ntestall: all %d modules passed\n", len(mods))
}

// moduleRoot is the directory of the root module's go.mod: the nearest
// ancestor of the working directory whose go.mod declares the root module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/hotcache/hotcache\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run it inside a clone of hotcache: no go.mod declaring github.com/hotcache/hotcache above the working directory")
		}
		dir = parent
	}
}

// modules lists the directories under root that hold a go.mod, root first,
// skipping testdata and hidden folders (they hold fixtures, not modules).
func modules(root string) ([]string, error) {
	var mods []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			mods = append(mods, filepath.Dir(path))
		}
		return nil
	})
	sort.Slice(mods, func(i, j int) bool {
		if mods[i] == root || mods[j] == root {
			return mods[i] == root
		}
		return mods[i] < mods[j]
	})
	return mods, err
}

// hasPackageArg reports whether args name packages already (anything not a
// flag, and not the value of a flag that takes one, such as -run X).
func hasPackageArg(args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if !strings.Contains(a, "=") && takesValue(a) {
				i++
			}
			continue
		}
		return true
	}
	return false
}

// takesValue reports whether a go test flag given without "=" takes the
// next argument as its value.
func takesValue(flag string) bool {
	switch strings.TrimLeft(flag, "-") {
	case "race", "v", "short", "failfast", "json", "cover", "benchmem", "x", "n", "a", "trimpath", "msan", "asan":
		return false
	}
	return true
}
