package benchmarks

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedTracesMatchSHA256SUMS checks that every file shipped under
// traces/ is listed in traces/SHA256SUMS with its checksum, that every listed
// file is there, and that none of the traces whose licence forbids shipping
// (FetchSources) is in the repository.
func TestShippedTracesMatchSHA256SUMS(t *testing.T) {
	f, err := os.Open(filepath.Join("traces", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		listed[name] = sum
	}
	shipped, err := filepath.Glob(filepath.Join("traces", "keys", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) != 5 {
		t.Errorf("traces/keys holds %d files, want the 4 cache2k traces and their licence", len(shipped))
	}
	for _, path := range shipped {
		name := filepath.ToSlash(strings.TrimPrefix(path, "traces"+string(filepath.Separator)))
		want, ok := listed[name]
		if !ok {
			t.Errorf("%s is shipped but not in SHA256SUMS", name)
			continue
		}
		delete(listed, name)
		if got := fileSHA256(t, path); got != want {
			t.Errorf("%s: SHA-256 %s, SHA256SUMS says %s", name, got, want)
		}
		if _, err := FetchSourceByName(TraceName(name)); err == nil {
			t.Errorf("%s is shipped, but its licence does not allow it: it must only be fetched", name)
		}
	}
	for name := range listed {
		t.Errorf("%s is in SHA256SUMS but not shipped", name)
	}
	tr, err := LoadTrace(filepath.Join("traces", "keys", "cache2k-web12.keys.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Keys) != 95_607 || Unique(tr.Keys) != 13_756 {
		t.Errorf("cache2k-web12: %d requests, %d unique; the traces README says 95,607 and 13,756", len(tr.Keys), Unique(tr.Keys))
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestTraceName(t *testing.T) {
	for in, want := range map[string]string{
		"arc/OLTP.lis.gz":                "OLTP",
		"keys/cache2k-web12.keys.gz":     "cache2k-web12",
		"x/.keys.gz":                     ".keys.gz",
		"README.md":                      "README.md",
		"keys/lirs-loop.keys.gz.keys.gz": "lirs-loop.keys.gz",
	} {
		if got := TraceName(in); got != want {
			t.Errorf("TraceName(%q) = %q, want %q", in, got, want)
		}
	}
}
