package benchmarks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ReadKeys parses the keys format: one unsigned decimal uint64 per line.
func ReadKeys(r io.Reader) ([]uint64, error) {
	var out []uint64
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		k, err := parseUint(bytes.TrimSpace(sc.Bytes()))
		if err != nil {
			return nil, fmt.Errorf("benchmarks: keys line %d: %w", n, err)
		}
		out = append(out, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("benchmarks: reading keys: %w", err)
	}
	return out, nil
}

// parseUint is strconv.ParseUint(string(b), 10, 64) without the string.
func parseUint(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return strconv.ParseUint(string(b), 10, 64)
	}
	var x uint64
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 || x > (math.MaxUint64-d)/10 {
			return strconv.ParseUint(string(b), 10, 64) // for its error
		}
		x = x*10 + d
	}
	return x, nil
}

// ReadARC parses the ARC format: lines "start n ignore reqno", each
// expanding to the n keys start, start+1, …, start+n-1.
func ReadARC(r io.Reader) ([]uint64, error) {
	var out []uint64
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("benchmarks: arc line %d: want 4 fields, got %d", n, len(f))
		}
		start, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("benchmarks: arc line %d: start: %w", n, err)
		}
		count, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("benchmarks: arc line %d: count: %w", n, err)
		}
		for i := range count {
			out = append(out, start+i)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("benchmarks: reading arc: %w", err)
	}
	return out, nil
}

// Trace is one request stream.
type Trace struct {
	Name string   // file name without folder and extension, e.g. "OLTP"
	Keys []uint64 // the requests, in order
}

// LoadTrace reads a gzip-compressed trace, choosing the parser by suffix:
// ".keys.gz" or ".lis.gz".
func LoadTrace(path string) (Trace, error) {
	var parse func(io.Reader) ([]uint64, error)
	var name string
	switch base := filepath.Base(path); {
	case strings.HasSuffix(base, ".keys.gz"):
		parse, name = ReadKeys, strings.TrimSuffix(base, ".keys.gz")
	case strings.HasSuffix(base, ".lis.gz"):
		parse, name = ReadARC, strings.TrimSuffix(base, ".lis.gz")
	default:
		return Trace{}, fmt.Errorf("benchmarks: %s: unknown trace format (want .keys.gz or .lis.gz)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Trace{}, fmt.Errorf("benchmarks: %w", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return Trace{}, fmt.Errorf("benchmarks: %s: %w", path, err)
	}
	keys, err := parse(z)
	if err != nil {
		return Trace{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return Trace{Name: name, Keys: keys}, nil
}

// DefaultTraceDirs is the trace search path cmd/compare uses from the
// benchmarks folder: the traces shipped in the repository, those
// cmd/fetchtraces downloaded, and a reference folder beside the repository,
// joined by [os.PathListSeparator].
var DefaultTraceDirs = strings.Join([]string{
	"traces",
	filepath.Join("traces", "fetched"),
	filepath.Join("..", "..", "shared", "traces"),
}, string(os.PathListSeparator))

// TraceFiles lists the traces (keys/*.keys.gz and arc/*.lis.gz) under dirs,
// one folder or several joined by [os.PathListSeparator] (as in
// [DefaultTraceDirs]). Folders that do not exist are passed over; where two
// folders hold a trace of the same name, the first one's is listed. The
// result is sorted by trace name. It is an error, that says so, when none of
// the folders exists.
func TraceFiles(dirs string) ([]string, error) {
	var files, names []string
	var missing []string
	for _, dir := range filepath.SplitList(dirs) {
		if _, err := os.Stat(dir); err != nil {
			missing = append(missing, err.Error())
			continue
		}
		for _, pat := range []string{"arc/*.lis.gz", "keys/*.keys.gz"} {
			m, err := filepath.Glob(filepath.Join(dir, pat))
			if err != nil {
				return nil, err
			}
			for _, f := range m {
				if !slices.Contains(names, TraceName(f)) {
					files, names = append(files, f), append(names, TraceName(f))
				}
			}
		}
	}
	if len(missing) > 0 && len(missing) == len(filepath.SplitList(dirs)) {
		return nil, fmt.Errorf("benchmarks: trace folder: %s", strings.Join(missing, "; "))
	}
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(TraceName(a), TraceName(b)) })
	return files, nil
}
