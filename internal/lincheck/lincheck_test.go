package lincheck_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/hotcache/hotcache/internal/core"
	"github.com/hotcache/hotcache/shard"
)

var flagDuration = flag.Duration("lincheck.duration", 0,
	"how long to check each target (0: $LINCHECK_DURATION, else 2s)")

// duration is how long each target is checked: -lincheck.duration, else
// $LINCHECK_DURATION, else 2s.
func duration(t *testing.T) time.Duration {
	if *flagDuration > 0 {
		return *flagDuration
	}
	if s := os.Getenv("LINCHECK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("LINCHECK_DURATION=%q: want a positive duration such as 10m", s)
		}
		return d
	}
	return 2 * time.Second
}

// The shape of one history: few keys, so that operations on a key overlap
// often; a few clients per core; histories short enough that porcupine
// checks each in milliseconds.
const (
	numKeys      = 4
	numClients   = 6
	opsPerClient = 150
	checkTimeout = time.Minute
)

// errLoad is not expected: a load error other than not-found fails the check.
var errLoad = errors.New("lincheck: unexpected load error")

// subject is one cache under test, fresh for one history, with the source
// of truth its loads read, driven as a cache-aside user drives it.
type subject struct {
	// ops are the operations a client picks from, with their weights.
	ops []op
	// close releases the cache (and its store).
	close func()
}

// op is one kind of client operation on key k, with its weight among the
// subject's operations: run calls the cache and records what it did with
// client.record.
type op struct {
	weight int
	run    func(c *client, k int)
}

// client is one goroutine of a history: its random source, the history's
// shared state, and the operations it recorded.
type client struct {
	id   int
	rng  *rand.Rand
	env  *env
	ctx  context.Context // carries the client, for stores that record when they wrote (see slowKV)
	ops  []porcupine.Operation
	errs []error

	wrote, invalidating int64 // set by slowKV: when the source write returned, and a time after it
}

// record appends an operation on one key, called at call and returned at
// ret (times from env.now).
func (c *client) record(in input, out output, call, ret int64) {
	c.ops = append(c.ops, porcupine.Operation{ClientId: c.id, Input: in, Call: call, Output: out, Return: ret})
}

// read records a read of k by method name: call, then f, then return.
func (c *client) read(k int, kd kind, name string, f func() output) {
	call := c.env.now()
	out := f()
	c.record(input{key: k, kind: kd, name: name}, out, call, c.env.now())
}

// write is a cache-aside write of version ver of key k, with the key's
// writer lock held: store writes the source, then invalidate tells the
// cache and returns the keys it invalidated. It is recorded as two
// operations, the source write and then the invalidations, which do not
// overlap in time.
func (c *client) write(k int, ver int64, name string, store func(), invalidate func() []int) {
	c.env.keyMu[k].Lock()
	defer c.env.keyMu[k].Unlock()
	call := c.env.now()
	store()
	wrote := c.env.now()
	inval := c.env.after(wrote)
	keys := invalidate()
	ret := c.env.now()
	c.record(input{key: k, kind: kWrite, ver: ver, name: "source"}, output{}, call, wrote)
	for _, o := range keys {
		c.record(input{key: o, kind: kInval, name: name}, output{}, inval, ret)
	}
}

// env is what the clients of one history share.
type env struct {
	versions atomic.Int64          // the last version written to a source
	keyMu    [numKeys]sync.Mutex   // writers of a key, one at a time (a row lock)
	src      [numKeys]atomic.Int64 // the source of truth, for caches that have none of their own
	base     time.Time             // the history's time origin (monotonic)
}

// now is the time since the history began, on one monotonic time base
// shared by all clients.
func (e *env) now() int64 { return int64(time.Since(e.base)) }

// after returns a time later than t (porcupine takes intervals as closed:
// operations that share an end are concurrent).
func (e *env) after(t int64) int64 {
	for {
		if n := e.now(); n > t {
			return n
		}
	}
}

// nextVersion returns a version for a write of the source: a new one, or
// 0 (the key is deleted from the source) one time in five.
func (c *client) nextVersion() int64 {
	if c.rng.IntN(5) == 0 {
		return 0
	}
	return c.env.versions.Add(1)
}

// pause widens a race window on the checker's side: a load that read its
// source pauses before it returns, so that writes overlap it.
func pause(rng *rand.Rand) {
	switch rng.IntN(10) {
	case 0, 1:
		time.Sleep(time.Duration(rng.IntN(30)) * time.Microsecond)
	case 2, 3, 4:
		runtime.Gosched()
	}
}

// srcLoad is the loader of caches whose source is env.src: it reads the
// key's version (0 is not found) and pauses before returning it.
func (e *env) srcLoad(k int) (int64, error) {
	v := e.src[k].Load()
	pause(rand.New(rand.NewPCG(uint64(v), uint64(k))))
	if v == 0 {
		return 0, fmt.Errorf("key %d: %w", k, shard.ErrNotFound)
	}
	return v, nil
}

// srcLoadAll is the bulk loader of caches whose source is env.src: the
// versions of the keys the source holds (not-found keys are left out).
func (e *env) srcLoadAll(ks []int) map[int]int64 {
	out := make(map[int]int64, len(ks))
	for _, k := range ks {
		if v, err := e.srcLoad(k); err == nil {
			out[k] = v
		}
	}
	return out
}

// loaded converts a load's result to an output: 0 for not found.
func (c *client) loaded(v int64, err error) output {
	switch {
	case err == nil:
		return output{v: v}
	case errors.Is(err, shard.ErrNotFound):
		return output{v: 0}
	}
	c.errs = append(c.errs, fmt.Errorf("%w: %v", errLoad, err))
	return output{v: -1}
}

// clientKey is the context key of the client making a call.
type clientKey struct{}

// history runs one history against s and returns it.
func history(s *subject, e *env) ([]porcupine.Operation, error) {
	total := 0
	for _, o := range s.ops {
		total += o.weight
	}
	var (
		mu   sync.Mutex
		ops  []porcupine.Operation
		errs []error
		wg   sync.WaitGroup
	)
	seed := rand.Uint64()
	for id := range numClients {
		wg.Go(func() {
			c := &client{id: id, rng: rand.New(rand.NewPCG(seed, uint64(id))), env: e}
			c.ctx = context.WithValue(context.Background(), clientKey{}, c)
			for range opsPerClient {
				k := c.rng.IntN(numKeys)
				pick := c.rng.IntN(total)
				for _, o := range s.ops {
					if pick < o.weight {
						o.run(c, k)
						break
					}
					pick -= o.weight
				}
			}
			mu.Lock()
			ops = append(ops, c.ops...)
			errs = append(errs, c.errs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return ops, errors.Join(errs...)
}

// target is a cache type under check: newSubject makes the i-th history's
// cache (configurations vary with i).
type target struct {
	name       string
	newSubject func(t *testing.T, i int, e *env) *subject
}

// targets are the caches checked: shard.Cache, a generated cache, and
// writeback.Cache over a Buffer over memstore.
var targets = []target{
	{"shard", newShardSubject},
	{"generated", newGeneratedSubject},
	{"writeback", newWritebackSubject},
}

// TestLinearizable records concurrent histories of each target and checks
// them with porcupine against the per-key model (see step), for
// -lincheck.duration per target. A history that is not linearizable fails
// the test, with porcupine's visualization written to a temporary file.
func TestLinearizable(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			checkTarget(t, tg)
		})
	}
}

// checkTarget checks histories of tg until the duration has passed.
func checkTarget(t *testing.T, tg target) {
	d := duration(t)
	start := time.Now()
	var histories, checked, unknown int
	for histories == 0 || time.Since(start) < d {
		e := &env{}
		s := tg.newSubject(t, histories, e)
		e.base = time.Now()
		h, err := history(s, e)
		s.close()
		if err != nil {
			t.Fatalf("%s: history %d: %v", tg.name, histories, err)
		}
		res, info := porcupine.CheckOperationsVerbose(model, h, checkTimeout)
		switch res {
		case porcupine.Illegal:
			if os.Getenv("LINCHECK_DUMP") != "" {
				os.WriteFile(os.Getenv("LINCHECK_DUMP"), []byte(illegalPartition(h)), 0o644)
			}
			t.Fatalf("%s: history %d (%d operations) is not linearizable: a stale value was served, after %.1fs of checking (widened race windows: %v); visualization: %s",
				tg.name, histories, len(h), time.Since(start).Seconds(), core.Widened, visualize(t, info))
		case porcupine.Unknown:
			unknown++
		}
		histories++
		checked += len(h)
	}
	t.Logf("%s: %d histories, %d operations checked, 0 violations, %d unknown (checker timeout), in %v (widened race windows: %v)",
		tg.name, histories, checked, unknown, time.Since(start).Round(time.Millisecond), core.Widened)
}

// visualize writes porcupine's visualization of info to a temporary file
// and returns its path.
func visualize(t *testing.T, info porcupine.LinearizationInfo) string {
	f, err := os.CreateTemp("", "lincheck-*.html")
	if err != nil {
		return "(not written: " + err.Error() + ")"
	}
	defer f.Close()
	if err := porcupine.Visualize(model, info, f); err != nil {
		return "(not written: " + err.Error() + ")"
	}
	return f.Name()
}

// sortedKeys returns the keys of set, in order.
func sortedKeys(set map[int]bool) []int {
	ks := make([]int, 0, len(set))
	for k := range set {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// illegalPartition returns a text listing of the first key's operations
// that are not linearizable by themselves, ordered by call time.
func illegalPartition(h []porcupine.Operation) string {
	m := model
	m.Partition = nil
	for _, part := range model.Partition(h) {
		if porcupine.CheckOperations(m, part) {
			continue
		}
		sort.Slice(part, func(i, j int) bool { return part[i].Call < part[j].Call })
		var b strings.Builder
		for _, op := range part {
			fmt.Fprintf(&b, "%12d %12d c%d %s\n", op.Call, op.Return, op.ClientId, model.DescribeOperation(op.Input, op.Output))
		}
		return b.String()
	}
	return ""
}
