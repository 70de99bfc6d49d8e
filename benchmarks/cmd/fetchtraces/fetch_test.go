package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hotcache/hotcache/benchmarks"
)

// original is a tiny fake of one upstream file and the trace it must become.
type original struct {
	format benchmarks.SourceFormat
	file   string // under the fetched folder
	body   []byte // as served
	want   string // converted, uncompressed
	tool   string // system command needed, if any
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compress runs "tool -c" (xz or zstd) over b, or skips when the tool is absent.
func compress(t *testing.T, tool string, b []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed: cannot build a %s-compressed fake original", tool, tool)
	}
	cmd := exec.Command(tool, "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -c: %v", tool, err)
	}
	return out
}

func originals(t *testing.T) map[string]func() original {
	return map[string]func() original{
		"arc": func() original {
			text := "110765 3 0 0\n7 1 0 1\n"
			return original{benchmarks.FormatARCZstd, "arc/fake.lis.gz", compress(t, "zstd", []byte(text)), text, "zstd"}
		},
		"lirs": func() original {
			// CRLF, a '*' breakpoint, blank lines, a leading zero: all normalised.
			return original{format: benchmarks.FormatLIRSGzip, file: "keys/fake.keys.gz",
				body: gz(t, []byte("5\r\n*\r\n007\r\n\r\n5\n18446744073709551615\n\n")),
				want: "5\n7\n5\n18446744073709551615\n"}
		},
		"u32le": func() original {
			raw := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 1), 0xfffffffe)
			return original{benchmarks.FormatU32LEXz, "keys/fake.keys.gz", compress(t, "xz", raw), "1\n4294967294\n", "xz"}
		},
		"u64be.xz": func() original {
			raw := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 1<<63), 42)
			return original{benchmarks.FormatU64BEXz, "keys/fake.keys.gz", compress(t, "xz", raw), "9223372036854775808\n42\n", "xz"}
		},
		"u64be.gz": func() original {
			raw := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 3), 256)
			return original{format: benchmarks.FormatU64BEGzip, file: "keys/fake.keys.gz", body: gz(t, raw), want: "3\n256\n"}
		},
	}
}

// serve serves body at the path FetchSource.URL builds, and 404 elsewhere.
func serve(t *testing.T, s benchmarks.FetchSource, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+s.Repo+"/"+s.Commit+"/"+s.Path {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func source(o original) benchmarks.FetchSource {
	return benchmarks.FetchSource{Name: "fake", File: o.file, Repo: "owner/repo", Commit: "0123abcd",
		Path: "dir/fake.trace", Format: o.format, SourceSHA256: sum(o.body), SHA256: sum([]byte(o.want))}
}

func readGzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFetchConvertsEachFormat downloads a fake original of every source
// format from a local server, and checks the converted trace, that the
// harness can load it, and that a second run sees it as present.
func TestFetchConvertsEachFormat(t *testing.T) {
	for name, mk := range originals(t) {
		t.Run(name, func(t *testing.T) {
			o := mk()
			s := source(o)
			srv := serve(t, s, o.body)
			f := fetcher{client: srv.Client(), base: srv.URL, dir: t.TempDir()}
			if f.present(s) {
				t.Fatal("present before fetching")
			}
			if err := f.fetch(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(f.dir, o.file)
			if got := readGzip(t, out); got != o.want {
				t.Fatalf("converted trace %q, want %q", got, o.want)
			}
			if _, err := benchmarks.LoadTrace(out); err != nil {
				t.Fatalf("the harness cannot read the fetched trace: %v", err)
			}
			if !f.present(s) {
				t.Fatal("not seen as present after fetching")
			}
		})
	}
}

// TestFetchRefusesBadData checks that a corrupt download, a changed
// conversion, a broken record layout and an HTTP error each fail with an
// error naming the trace, and leave no file behind.
func TestFetchRefusesBadData(t *testing.T) {
	o := originals(t)["u64be.gz"]()
	cases := map[string]struct {
		edit func(*benchmarks.FetchSource, *[]byte)
		want string
	}{
		"download checksum": {func(s *benchmarks.FetchSource, b *[]byte) { *b = gz(t, []byte("12345678")) }, "the source changed or the download is corrupt"},
		"trace checksum":    {func(s *benchmarks.FetchSource, b *[]byte) { s.SHA256 = sum([]byte("3\n257\n")) }, "converted trace has SHA-256"},
		"partial record": {func(s *benchmarks.FetchSource, b *[]byte) {
			*b = gz(t, []byte{1, 2, 3})
			s.SourceSHA256 = sum(*b)
		}, "not a whole number of 8-byte records"},
		"not gzip": {func(s *benchmarks.FetchSource, b *[]byte) {
			*b = []byte("plain")
			s.SourceSHA256 = sum(*b)
		}, "gunzip"},
		"http 404": {func(s *benchmarks.FetchSource, b *[]byte) { s.Path = "elsewhere" }, "404"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := source(o)
			body := o.body
			srv := serve(t, s, body) // serves the original path
			c.edit(&s, &body)
			if name != "http 404" {
				srv = serve(t, s, body)
			}
			f := fetcher{client: srv.Client(), base: srv.URL, dir: t.TempDir()}
			err := f.fetch(context.Background(), s)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "fake: ") {
				t.Fatalf("error %v, want one starting with the trace name and containing %q", err, c.want)
			}
			if entries, _ := os.ReadDir(filepath.Join(f.dir, "keys")); len(entries) != 0 {
				t.Fatalf("files left after a failed fetch: %v", entries)
			}
		})
	}
}

// TestFetchNamesMissingTool checks that without xz in PATH the error says
// which command to install.
func TestFetchNamesMissingTool(t *testing.T) {
	o := original{format: benchmarks.FormatU32LEXz, file: "keys/fake.keys.gz", body: []byte("not really xz"), want: "1\n"}
	s := source(o)
	srv := serve(t, s, o.body)
	t.Setenv("PATH", t.TempDir())
	f := fetcher{client: srv.Client(), base: srv.URL, dir: t.TempDir()}
	err := f.fetch(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "needs the xz command") || !strings.Contains(err.Error(), "xz-utils") {
		t.Fatalf("error %v, want it to name the xz command and its package", err)
	}
}

// TestFetchSourcesTable checks the table itself: unique names and files,
// well-formed checksums and commits, a known format, names that match files.
func TestFetchSourcesTable(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	commit := regexp.MustCompile(`^[0-9a-f]{40}$`)
	seen := map[string]bool{}
	for _, s := range benchmarks.FetchSources {
		if seen[s.Name] || seen[s.File] {
			t.Errorf("%s: name or file listed twice", s.Name)
		}
		seen[s.Name], seen[s.File] = true, true
		if !hex64.MatchString(s.SHA256) || !hex64.MatchString(s.SourceSHA256) || !commit.MatchString(s.Commit) {
			t.Errorf("%s: malformed checksum or commit", s.Name)
		}
		if benchmarks.TraceName(s.File) != s.Name {
			t.Errorf("%s: file %s reports as %s", s.Name, s.File, benchmarks.TraceName(s.File))
		}
		if _, err := convert(s.Format, nil); err != nil && strings.Contains(err.Error(), "unknown source format") {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	if len(benchmarks.FetchSources) != 21 {
		t.Errorf("%d sources, want 21 (5 ARC, 13 LIRS, CloudPhysics, Scarab, Corda)", len(benchmarks.FetchSources))
	}
}

// TestFetchSourcesMatchSharedTraces checks the table's trace checksums
// against the reference copies in ../shared/traces beside the repository,
// where that folder exists (it is not part of the repository).
func TestFetchSourcesMatchSharedTraces(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "traces")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no reference traces beside the repository (%v): the table is checked only where ../shared/traces exists", err)
	}
	for _, s := range benchmarks.FetchSources {
		file := filepath.Join(dir, s.File)
		if fi, err := os.Stat(file); err == nil && raceEnabled && fi.Size() > 1<<20 {
			t.Logf("%s: not checked under the race detector (%d bytes of gzip take a minute); run without -race to check it", s.Name, fi.Size())
			continue
		}
		if got := sum([]byte(readGzip(t, file))); got != s.SHA256 {
			t.Errorf("%s: reference copy has SHA-256 %s, table says %s", s.Name, got, s.SHA256)
		}
	}
}
