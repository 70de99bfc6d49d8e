package tier

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkInvalidation3Replicas measures cross-replica invalidation on one
// redis-server: three replicas (three Caches, each with its own client and
// connection, as three processes would have), each write made by the next
// one in turn while the other two hold the old value in L1; a sample is
// the time from the write's return until a replica's L1 has dropped the old
// value. Reports p50-ns and p99-ns over 2*b.N samples, and set-ns, the
// write's own round trip. For the table in doc.go:
//
//	go test -run '^$' -bench Invalidation3Replicas -benchtime 2000x ./tier
func BenchmarkInvalidation3Replicas(b *testing.B) {
	s := startRedis(b)
	reps := []*Cache[string]{newReplica(b, s, "lat3:"), newReplica(b, s, "lat3:"), newReplica(b, s, "lat3:")}
	if err := reps[0].Set(bg, "k", "0"); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 2*b.N)
	sets := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		old := fmt.Sprint(i - 1)
		w := reps[i%3]
		var others []*Cache[string]
		for _, r := range reps {
			if r != w {
				others = append(others, r)
				for { // an invalidation of the previous write may be on its way
					v, ok, err := r.Get(bg, "k")
					if err != nil {
						b.Fatal(err)
					}
					if got, in := inL1(r, "k"); ok && v == old && in && got == old {
						break
					}
				}
			}
		}
		called := time.Now()
		if err := w.Set(bg, "k", fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
		ret := time.Now()
		sets = append(sets, ret.Sub(called))
		pending := others
		for len(pending) > 0 {
			if time.Since(ret) > 5*time.Second {
				b.Fatalf("write %d: a replica kept the old value 5s", i)
			}
			pending = slices.DeleteFunc(pending, func(r *Cache[string]) bool {
				if v, ok := inL1(r, "k"); !ok || v != old {
					lat = append(lat, time.Since(ret))
					return true
				}
				return false
			})
			runtime.Gosched()
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(sets)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
	b.ReportMetric(float64(sets[len(sets)/2].Nanoseconds()), "set-ns")
}
