package evictq_test

import (
	"bufio"
	"compress/gzip"
	"container/list"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hotcache/hotcache/internal/evictq"
)

// tracesDir is where the shared traces live relative to this package:
// the repository's sibling folder shared/traces.
const tracesDir = "../../../shared/traces"

// loadARC reads an ARC-format trace ("start count 0 n" per line expands to
// count keys from start).
func loadARC(b *testing.B, name string) []uint64 {
	var keys []uint64
	readTrace(b, name, func(line string) {
		fs := strings.Fields(line)
		if len(fs) < 2 {
			b.Fatalf("%s: bad line %q", name, line)
		}
		start, err1 := strconv.ParseUint(fs[0], 10, 64)
		n, err2 := strconv.ParseUint(fs[1], 10, 64)
		if err1 != nil || err2 != nil {
			b.Fatalf("%s: bad line %q", name, line)
		}
		for i := range n {
			keys = append(keys, start+i)
		}
	})
	return keys
}

// loadKeys reads a keys-format trace: one decimal uint64 per line.
func loadKeys(b *testing.B, name string) []uint64 {
	var keys []uint64
	readTrace(b, name, func(line string) {
		k, err := strconv.ParseUint(line, 10, 64)
		if err != nil {
			b.Fatalf("%s: bad line %q", name, line)
		}
		keys = append(keys, k)
	})
	return keys
}

func readTrace(b *testing.B, name string, line func(string)) {
	f, err := os.Open(filepath.Join(tracesDir, name))
	if err != nil {
		b.Skipf("trace not available: %v", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func zipfKeys(s float64, n, space uint64) []uint64 {
	z := rand.NewZipf(rand.New(rand.NewPCG(42, 42)), s, 1, space-1)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = z.Uint64()
	}
	return keys
}

// replay returns the hit ratio of policy p ("LRU" for an exact LRU) over keys
// with the given capacity.
func replay(p string, keys []uint64, capacity int) float64 {
	hits := 0
	switch p {
	case "LRU":
		l := &lru{l: list.New(), m: map[uint64]*list.Element{}, cap: capacity}
		for _, k := range keys {
			if l.access(k) {
				hits++
			}
		}
	default:
		pol := evictq.SIEVE
		if strings.HasPrefix(p, "CLOCK") {
			pol = evictq.CLOCK
		}
		q := evictq.NewQueue[uint64](pol)
		if strings.HasSuffix(p, "+admission") {
			q.EnableAdmission(capacity)
		}
		m := make(map[uint64]*evictq.Node[uint64], capacity)
		for _, k := range keys {
			if n, ok := m[k]; ok {
				n.Visit()
				hits++
				continue
			}
			if q.Len() >= capacity {
				v, _ := q.Evict(0)
				delete(m, v.Item)
			}
			n := evictq.NewNode(k, 0, mix(k))
			q.Push(n)
			m[k] = n
		}
	}
	return float64(hits) / float64(len(keys))
}

// BenchmarkHitRatio replays Zipf(0.99) (the shared synthetic trace),
// Zipf(1.2), the ARC OLTP, P3 and P6 traces, the LIRS loop, scan, zigzag,
// 2_pools, backf and ps traces, cache2k-orm-busy and corda through one
// SIEVE and one CLOCK queue (without and with the adaptive admission
// filter) and an exact LRU, at several capacities, and reports each hit
// ratio (a cache's shards each have a queue of a fraction of its capacity,
// so its numbers differ somewhat):
//
//	go test ./evict -run '^$' -bench HitRatio -benchtime=1x
func BenchmarkHitRatio(b *testing.B) {
	workloads := []struct {
		name string
		keys func(*testing.B) []uint64
		caps []int
	}{
		{"zipf=0.99", func(b *testing.B) []uint64 { return loadKeys(b, "keys/zipf-s0.99-n1m-r2m.keys.gz") }, []int{1000, 10_000, 50_000, 100_000}},
		{"zipf=1.2", func(*testing.B) []uint64 { return zipfKeys(1.2, 1_000_000, 1_000_000) }, []int{100, 1000, 10_000, 50_000}},
		{"OLTP", func(b *testing.B) []uint64 { return loadARC(b, "arc/OLTP.lis.gz") }, []int{1000, 5000, 10_000, 20_000}},
		{"lirs-loop", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-loop.keys.gz") }, []int{256, 512, 768}},
		{"lirs-scan", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-scan.keys.gz") }, []int{250, 500, 1000}},
		{"lirs-zigzag", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-zigzag.keys.gz") }, []int{250, 500, 1000}},
		{"lirs-2_pools", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-2_pools.keys.gz") }, []int{1000, 2500, 5000}},
		{"lirs-backf", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-backf.keys.gz") }, []int{75, 375}},
		{"lirs-ps", func(b *testing.B) []uint64 { return loadKeys(b, "keys/lirs-ps.keys.gz") }, []int{308, 1541}},
		{"P3", func(b *testing.B) []uint64 { return loadARC(b, "arc/P3.lis.gz") }, []int{7625, 76254}},
		{"P6", func(b *testing.B) []uint64 { return loadARC(b, "arc/P6.lis.gz") }, []int{7737, 77377}},
		{"cache2k-orm-busy", func(b *testing.B) []uint64 { return loadKeys(b, "keys/cache2k-orm-busy.keys.gz") }, []int{763, 7634}},
		{"corda", func(b *testing.B) []uint64 { return loadKeys(b, "keys/corda-vaultservice.keys.gz") }, []int{904, 9046}},
	}
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			keys := w.keys(b)
			for _, c := range w.caps {
				for _, p := range []string{"SIEVE", "CLOCK", "SIEVE+admission", "CLOCK+admission", "LRU"} {
					b.Run(fmt.Sprintf("cap=%d/%s", c, p), func(b *testing.B) {
						var r float64
						for b.Loop() {
							r = replay(p, keys, c)
						}
						b.ReportMetric(r*100, "hit%")
					})
				}
			}
		})
	}
}
