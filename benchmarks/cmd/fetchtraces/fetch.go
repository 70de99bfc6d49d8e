package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/hotcache/hotcache/benchmarks"
)

// maxDownload bounds one download; the largest original is about 4 MB.
const maxDownload = 256 << 20

// fetcher downloads from base (e.g. https://raw.githubusercontent.com) into dir.
type fetcher struct {
	client *http.Client
	base   string
	dir    string
}

// present reports whether s is already under f.dir with the right checksum.
func (f fetcher) present(s benchmarks.FetchSource) bool {
	file, err := os.Open(filepath.Join(f.dir, s.File))
	if err != nil {
		return false
	}
	defer file.Close()
	z, err := gzip.NewReader(file)
	if err != nil {
		return false
	}
	h := sha256.New()
	if _, err := io.Copy(h, z); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == s.SHA256
}

// fetch downloads s, converts it, checks both checksums and writes the
// trace, gzip-compressed, to f.dir/s.File. Nothing is written on error.
func (f fetcher) fetch(ctx context.Context, s benchmarks.FetchSource) error {
	url := s.URL(f.base)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: GET %s: %s", s.Name, url, resp.Status)
	}
	orig, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("%s: GET %s: %w", s.Name, url, err)
	}
	if len(orig) > maxDownload {
		return fmt.Errorf("%s: GET %s: more than %d bytes", s.Name, url, maxDownload)
	}
	if got := sum(orig); got != s.SourceSHA256 {
		return fmt.Errorf("%s: %s has SHA-256 %s, want %s (the source changed or the download is corrupt)", s.Name, url, got, s.SourceSHA256)
	}
	trace, err := convert(s.Format, orig)
	if err != nil {
		return fmt.Errorf("%s: converting %s: %w", s.Name, url, err)
	}
	if got := sum(trace); got != s.SHA256 {
		return fmt.Errorf("%s: converted trace has SHA-256 %s, want %s", s.Name, got, s.SHA256)
	}
	return writeGzip(filepath.Join(f.dir, s.File), trace)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// convert decompresses an original and rewrites it in the format the
// harness reads: arc text unchanged, everything else as keys (one unsigned
// decimal per line).
func convert(format benchmarks.SourceFormat, orig []byte) ([]byte, error) {
	switch format {
	case benchmarks.FormatARCZstd:
		return command("zstd", orig)
	case benchmarks.FormatLIRSGzip:
		raw, err := gunzip(orig)
		if err != nil {
			return nil, err
		}
		return lirsKeys(raw)
	case benchmarks.FormatU32LEXz:
		raw, err := command("xz", orig)
		if err != nil {
			return nil, err
		}
		return binaryKeys(raw, 4, func(b []byte) uint64 { return uint64(binary.LittleEndian.Uint32(b)) })
	case benchmarks.FormatU64BEXz:
		raw, err := command("xz", orig)
		if err != nil {
			return nil, err
		}
		return binaryKeys(raw, 8, binary.BigEndian.Uint64)
	case benchmarks.FormatU64BEGzip:
		raw, err := gunzip(orig)
		if err != nil {
			return nil, err
		}
		return binaryKeys(raw, 8, binary.BigEndian.Uint64)
	}
	return nil, fmt.Errorf("unknown source format %q", format)
}

func gunzip(b []byte) ([]byte, error) {
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return out, nil
}

// command decompresses b with the system tool name ("xz" or "zstd") and -dc.
func command(name string, b []byte) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("needs the %s command, which is not installed (not in PATH); install it (Debian/Ubuntu: apt-get install %s; macOS: brew install %s) and run again", name, debianPackage[name], name)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(path, "-dc")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(b), &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -dc: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out.Bytes(), nil
}

var debianPackage = map[string]string{"xz": "xz-utils", "zstd": "zstd"}

// lirsKeys normalises a LIRS trace: CR and blank lines and the LIRS
// simulator's '*' breakpoint lines are dropped, each key is rewritten in
// canonical decimal.
func lirsKeys(raw []byte) ([]byte, error) {
	var out []byte
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '*' {
			continue
		}
		k, err := strconv.ParseUint(string(line), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = strconv.AppendUint(out, k, 10)
		out = append(out, '\n')
	}
	return out, sc.Err()
}

// binaryKeys turns an array of size-byte integers into keys text.
func binaryKeys(raw []byte, size int, get func([]byte) uint64) ([]byte, error) {
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte records", len(raw), size)
	}
	out := make([]byte, 0, len(raw)*3)
	for i := 0; i < len(raw); i += size {
		out = strconv.AppendUint(out, get(raw[i:i+size]), 10)
		out = append(out, '\n')
	}
	return out, nil
}

// writeGzip writes b gzip-compressed to path through a temporary file, so
// that an interrupted run leaves no partial trace.
func writeGzip(path string, b []byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fetch-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	z := gzip.NewWriter(tmp)
	if _, err := z.Write(b); err != nil {
		return err
	}
	if err := errors.Join(z.Close(), tmp.Close()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
