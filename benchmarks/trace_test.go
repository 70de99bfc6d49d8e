package benchmarks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traceDir is where CI keeps the traces: ../shared/traces from the repo root.
var traceDir = filepath.Join("..", "..", "shared", "traces")

// loadTrace loads one trace from traceDir, or skips the test if the trace
// folder is absent.
func loadTrace(t testing.TB, rel string) Trace {
	t.Helper()
	if _, err := os.Stat(traceDir); err != nil {
		t.Skipf("trace folder %s absent: %v", traceDir, err)
	}
	tr, err := LoadTrace(filepath.Join(traceDir, rel))
	require.NoError(t, err)
	return tr
}

func TestLoadTrace_Keys(t *testing.T) {
	tr, err := LoadTrace(filepath.Join("testdata", "sample.keys.gz"))
	require.NoError(t, err)
	assert.Equal(t, "sample", tr.Name)
	assert.Equal(t, []uint64{1, 18446744073709551615, 42, 1}, tr.Keys)
}

func TestLoadTrace_ARC(t *testing.T) {
	tr, err := LoadTrace(filepath.Join("testdata", "sample.lis.gz"))
	require.NoError(t, err)
	assert.Equal(t, "sample", tr.Name)
	assert.Equal(t, []uint64{110765, 110766, 110767, 7, 110766, 110767}, tr.Keys)
}

func TestLoadTrace_Errors(t *testing.T) {
	_, err := LoadTrace("trace.csv")
	assert.ErrorContains(t, err, "unknown trace format")
	_, err = LoadTrace(filepath.Join("testdata", "missing.keys.gz"))
	assert.ErrorContains(t, err, "benchmarks: ")
}

func TestReadKeys_BadLine(t *testing.T) {
	_, err := ReadKeys(strings.NewReader("1\nx2\n"))
	assert.ErrorContains(t, err, "keys line 2")
	_, err = ReadKeys(strings.NewReader("18446744073709551616\n"))
	assert.ErrorContains(t, err, "keys line 1")
	_, err = ReadKeys(strings.NewReader("\n"))
	assert.ErrorContains(t, err, "keys line 1")
}

func TestReadARC_BadLine(t *testing.T) {
	_, err := ReadARC(strings.NewReader("1 2 0 0\n1 2 0\n"))
	assert.ErrorContains(t, err, "arc line 2: want 4 fields")
	_, err = ReadARC(strings.NewReader("1 x 0 0\n"))
	assert.ErrorContains(t, err, "arc line 1: count")
}

func TestTraceFiles_MissingFolder(t *testing.T) {
	_, err := TraceFiles(filepath.Join(t.TempDir(), "nothing"))
	assert.ErrorContains(t, err, "trace folder")
}

// TestTraceFiles_SearchPath checks that folders are searched in order, the
// first copy of a trace wins, absent folders are passed over, and the
// shipped traces are found on the default path from a fresh clone.
func TestTraceFiles_SearchPath(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(a, "keys", "x.keys.gz"), filepath.Join(b, "keys", "x.keys.gz"),
		filepath.Join(b, "arc", "A.lis.gz"), filepath.Join(b, "keys", "README.md")} {
		require.NoError(t, os.MkdirAll(filepath.Dir(f), 0o755))
		require.NoError(t, os.WriteFile(f, nil, 0o644))
	}
	sep := string(os.PathListSeparator)
	files, err := TraceFiles(filepath.Join(a, "absent") + sep + a + sep + b)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(b, "arc", "A.lis.gz"), filepath.Join(a, "keys", "x.keys.gz")}, files)

	files, err = TraceFiles(DefaultTraceDirs)
	require.NoError(t, err)
	assert.Contains(t, files, filepath.Join("traces", "keys", "cache2k-web12.keys.gz"))
	assert.Contains(t, files, filepath.Join("traces", "keys", "cache2k-orm-busy.keys.gz"))
}

func TestTraceFiles_Shared(t *testing.T) {
	if _, err := os.Stat(traceDir); err != nil {
		t.Skipf("trace folder %s absent: %v", traceDir, err)
	}
	files, err := TraceFiles(traceDir)
	require.NoError(t, err)
	assert.Contains(t, files, filepath.Join(traceDir, "arc", "OLTP.lis.gz"))
	assert.Contains(t, files, filepath.Join(traceDir, "keys", "lirs-loop.keys.gz"))
}
