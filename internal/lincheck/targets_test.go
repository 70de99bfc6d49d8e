package lincheck_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hotcache/hotcache/generated"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// cacheAPI is the part of shard.Cache's methods the checker drives, over
// int keys and int64 versions, so that shard.Cache and a generated cache
// share one set of operations.
type cacheAPI struct {
	get        func(k int) (int64, bool)
	getOrLoad  func(ctx context.Context, k int) (int64, error) // with env.srcLoad as the loader
	set        func(k int, v int64)
	del        func(k int)
	deleteFunc func(f func(k int) bool)
	clear      func()

	// compute is Compute; f gets the old value and whether there is one.
	compute func(k int, f func(old int64, found bool) (int64, shard.ComputeOp)) (int64, bool)
	// refresh is Refresh with env.srcLoad as the loader.
	refresh func(ctx context.Context, k int) error
	// getOrLoadAll is GetOrLoadAll with a loader that reads env.src for
	// each key it is given (not-found keys left out of its map).
	getOrLoadAll func(ctx context.Context, ks []int) (map[int]int64, error)
	// setCapacity is SetCapacity: it evicts, which the model allows at any
	// time, so it is driven but not recorded; a stale value it let through
	// shows in the reads after it.
	setCapacity func(n int) error
}

// shardOptions returns the options of the i-th history: room for every key
// or for fewer (evictions), one shard or several, not-founds remembered or
// not, admission on or off.
func shardOptions[K comparable, V any](i int) shard.Options[K, V] {
	switch i % 4 {
	case 0:
		return shard.Options[K, V]{Capacity: 64, NegativeTTL: time.Hour}
	case 1:
		return shard.Options[K, V]{Capacity: 3, NegativeTTL: time.Hour}
	case 2:
		return shard.Options[K, V]{Capacity: 64, Shards: 4}
	}
	return shard.Options[K, V]{Capacity: 2, NoAdmission: true, NegativeTTL: time.Hour}
}

// collidingEvery: every collidingEvery-th shard history (of Capacity 64)
// hashes every key alike, so that all keys share one bucket chain, and a
// goroutine writes and deletes filler keys (not checked) in that chain
// while the clients run: the checked keys then sit in overflow buckets,
// which the fillers' deletes return to the table's free list and their
// writes take again, under lock-free readers of the same chain.
const collidingEvery = 8

func newShardSubject(t *testing.T, i int, e *env) *subject {
	opts := shardOptions[int, int64](i)
	colliding := i%collidingEvery == collidingEvery/2 // a Capacity 64 case of shardOptions
	if colliding {
		opts.Hash = func(int) uint64 { return 0 }
	}
	c, err := shard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {}
	if colliding {
		done, quit := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for j := 0; ; j++ {
				select {
				case <-quit:
					return
				default:
				}
				k := numKeys + j%16 // fillers: never a checked key
				if j%3 == 2 {
					c.Delete(k)
				} else {
					c.Set(k, 0)
				}
			}
		}()
		stop = func() { close(quit); <-done }
	}
	load := func(_ context.Context, k int) (int64, error) { return e.srcLoad(k) }
	return &subject{
		ops: cacheOps(e, cacheAPI{
			get:         c.Get,
			getOrLoad:   func(ctx context.Context, k int) (int64, error) { return c.GetOrLoad(ctx, k, load) },
			set:         c.Set,
			del:         func(k int) { c.Delete(k) },
			deleteFunc:  func(f func(int) bool) { c.DeleteFunc(func(k int, _ int64) bool { return f(k) }) },
			clear:       c.Clear,
			compute:     c.Compute,
			refresh:     func(ctx context.Context, k int) error { return c.Refresh(ctx, k, load) },
			setCapacity: c.SetCapacity,
			getOrLoadAll: func(ctx context.Context, ks []int) (map[int]int64, error) {
				return c.GetOrLoadAll(ctx, ks, func(_ context.Context, ks []int) (map[int]int64, error) { return e.srcLoadAll(ks), nil })
			},
		}),
		close: func() { stop(); c.Close() },
	}
}

func newGeneratedSubject(t *testing.T, i int, e *env) *subject {
	c, err := generated.NewUint64Cache(shardOptions[uint64, uint64](i))
	if err != nil {
		t.Fatal(err)
	}
	load := func(_ context.Context, k uint64) (uint64, error) {
		v, err := e.srcLoad(int(k))
		return uint64(v), err
	}
	return &subject{
		ops: cacheOps(e, cacheAPI{
			get: func(k int) (int64, bool) {
				v, ok := c.Get(uint64(k))
				return int64(v), ok
			},
			getOrLoad: func(ctx context.Context, k int) (int64, error) {
				v, err := c.GetOrLoad(ctx, uint64(k), load)
				return int64(v), err
			},
			set:        func(k int, v int64) { c.Set(uint64(k), uint64(v)) },
			del:        func(k int) { c.Delete(uint64(k)) },
			deleteFunc: func(f func(int) bool) { c.DeleteFunc(func(k, _ uint64) bool { return f(int(k)) }) },
			clear:      c.Clear,
			compute: func(k int, f func(int64, bool) (int64, shard.ComputeOp)) (int64, bool) {
				v, ok := c.Compute(uint64(k), func(old uint64, found bool) (uint64, shard.ComputeOp) {
					nv, op := f(int64(old), found)
					return uint64(nv), op
				})
				return int64(v), ok
			},
			refresh:     func(ctx context.Context, k int) error { return c.Refresh(ctx, uint64(k), load) },
			setCapacity: c.SetCapacity,
			getOrLoadAll: func(ctx context.Context, ks []int) (map[int]int64, error) {
				uks := make([]uint64, len(ks))
				for i, k := range ks {
					uks[i] = uint64(k)
				}
				m, err := c.GetOrLoadAll(ctx, uks, func(_ context.Context, uks []uint64) (map[uint64]uint64, error) {
					out := map[uint64]uint64{}
					for _, k := range uks {
						if v, err := e.srcLoad(int(k)); err == nil {
							out[k] = uint64(v)
						}
					}
					return out, nil
				})
				res := make(map[int]int64, len(m))
				for k, v := range m {
					res[int(k)] = int64(v)
				}
				return res, err
			},
		}),
		close: func() { c.Close() },
	}
}

// cacheOps are the operations of a cache-aside user of a shard.Cache: reads
// (Get, GetOrLoad) and writes that update the source and then invalidate
// (Delete, DeleteFunc, Clear) or write the cache through (Set), plus
// invalidations that leave the source as it is.
func cacheOps(e *env, a cacheAPI) []op {
	return []op{
		{20, func(c *client, k int) {
			c.read(k, kGet, "Get", func() output {
				v, ok := a.get(k)
				return output{v: v, ok: ok}
			})
		}},
		{35, func(c *client, k int) {
			c.read(k, kLoad, "GetOrLoad", func() output { return c.loaded(a.getOrLoad(c.ctx, k)) })
		}},
		{12, func(c *client, k int) {
			ver := c.nextVersion()
			c.write(k, ver, "Delete", func() { e.src[k].Store(ver) }, func() []int {
				a.del(k)
				return []int{k}
			})
		}},
		{6, func(c *client, k int) {
			ver := e.versions.Add(1)
			c.write(k, ver, "Set", func() { e.src[k].Store(ver) }, func() []int {
				a.set(k, ver)
				return []int{k}
			})
		}},
		{5, func(c *client, k int) {
			call := e.now()
			a.del(k)
			c.record(input{key: k, kind: kInval, name: "Delete"}, output{}, call, e.now())
		}},
		{6, func(c *client, k int) {
			// A write of k, then DeleteFunc of k and of some other keys.
			set := map[int]bool{k: true}
			for o := range numKeys {
				if c.rng.IntN(3) == 0 {
					set[o] = true
				}
			}
			ver := c.nextVersion()
			c.write(k, ver, "DeleteFunc", func() { e.src[k].Store(ver) }, func() []int {
				a.deleteFunc(func(key int) bool { return set[key] })
				return sortedKeys(set)
			})
		}},
		{6, func(c *client, k int) {
			// A cache-aside write through Compute: WriteOp of the new
			// version, or InvalidateOp when the source no longer has k.
			ver := c.nextVersion()
			c.write(k, ver, "Compute", func() { e.src[k].Store(ver) }, func() []int {
				a.compute(k, func(int64, bool) (int64, shard.ComputeOp) {
					if ver == 0 {
						return 0, shard.InvalidateOp
					}
					return ver, shard.WriteOp
				})
				return []int{k}
			})
		}},
		{4, func(c *client, k int) {
			// Compute that only reads: CancelOp returns what f saw.
			c.read(k, kGet, "Compute(cancel)", func() output {
				var saw output
				v, ok := a.compute(k, func(old int64, found bool) (int64, shard.ComputeOp) {
					saw = output{v: old, ok: found}
					return 0, shard.CancelOp
				})
				if ok != saw.ok || ok && v != saw.v {
					c.errs = append(c.errs, fmt.Errorf("Compute(%d) with CancelOp returned (%d, %v), f saw (%d, %v)", k, v, ok, saw.v, saw.ok))
				}
				return output{v: v, ok: ok}
			})
		}},
		{5, func(c *client, k int) {
			// Refresh stores what it loads unless a write or invalidation
			// overtook it: what it stored is judged by the reads after it.
			// It returns only an error; a not-found is not one to record.
			if err := a.refresh(c.ctx, k); err != nil && !errors.Is(err, shard.ErrNotFound) {
				c.errs = append(c.errs, fmt.Errorf("%w: Refresh(%d): %v", errLoad, k, err))
			}
		}},
		{6, func(c *client, k int) {
			// GetOrLoadAll of k and some other keys: each key's answer is
			// a load of that key, all with the call's interval.
			set := map[int]bool{k: true}
			for o := range numKeys {
				if c.rng.IntN(3) == 0 {
					set[o] = true
				}
			}
			ks := sortedKeys(set)
			call := e.now()
			m, err := a.getOrLoadAll(c.ctx, ks)
			ret := e.now()
			if err != nil {
				c.errs = append(c.errs, fmt.Errorf("%w: GetOrLoadAll(%v): %v", errLoad, ks, err))
				return
			}
			for _, o := range ks {
				c.record(input{key: o, kind: kLoad, name: "GetOrLoadAll"}, output{v: m[o]}, call, ret)
			}
		}},
		{2, func(c *client, k int) {
			// SetCapacity between 1 and twice the keys: shrinking evicts
			// while writes and loads go on.
			if err := a.setCapacity(1 + c.rng.IntN(2*numKeys)); err != nil {
				c.errs = append(c.errs, fmt.Errorf("SetCapacity: %v", err))
			}
		}},
		{2, func(c *client, k int) {
			ver := c.nextVersion()
			c.write(k, ver, "Clear", func() { e.src[k].Store(ver) }, func() []int {
				a.clear()
				all := make([]int, numKeys)
				for i := range all {
					all[i] = i
				}
				return all
			})
		}},
	}
}

// slowKV is a store whose Load pauses after reading, so that writes
// overlap loads (a slow database).
type slowKV struct {
	writeback.KV[int, int64]
}

func (s slowKV) Load(ctx context.Context, k int) (int64, error) {
	v, err := s.KV.Load(ctx, k)
	pause(rand.New(rand.NewPCG(uint64(v), uint64(k))))
	return v, err
}

// Store stores and records when the store returned in the calling client.
func (s slowKV) Store(ctx context.Context, k int, v int64) error {
	err := s.KV.Store(ctx, k, v)
	wrote(ctx)
	return err
}

// Delete deletes and records when the store returned in the calling client.
func (s slowKV) Delete(ctx context.Context, k int) error {
	err := s.KV.Delete(ctx, k)
	wrote(ctx)
	return err
}

// wrote records in ctx's client that its write of the source returned,
// and the time after which its invalidation starts.
func wrote(ctx context.Context) {
	if c, _ := ctx.Value(clientKey{}).(*client); c != nil {
		c.wrote = c.env.now()
		c.invalidating = c.env.after(c.wrote)
	}
}

// newWritebackSubject is a writeback.Cache over a writeback.Buffer over a
// memstore.Store: the buffer is the source of truth (it sees its own
// pending writes), and the cache's Store and Delete write it and then
// invalidate.
func newWritebackSubject(t *testing.T, i int, e *env) *subject {
	buf, err := writeback.New[int, int64](memstore.New[int, int64](), writeback.Options{MaxBatch: 4, MaxDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	capacity := 64
	if i%2 == 1 {
		capacity = 3
	}
	c, err := writeback.NewCache[int, int64](slowKV{buf}, writeback.CacheOptions[int, int64]{Capacity: capacity, NegativeTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return &subject{
		ops: []op{
			{50, func(cl *client, k int) {
				cl.read(k, kLoad, "Load", func() output { return cl.loaded(c.Load(cl.ctx, k)) })
			}},
			{20, func(cl *client, k int) {
				ver := cl.nextVersion()
				cl.env.keyMu[k].Lock()
				defer cl.env.keyMu[k].Unlock()
				call := e.now()
				var err error
				name := "Store"
				if ver == 0 {
					name, err = "Delete", c.Delete(cl.ctx, k)
				} else {
					err = c.Store(cl.ctx, k, ver)
				}
				ret := e.now()
				if err != nil {
					cl.errs = append(cl.errs, err)
				}
				// Cache.Store and Cache.Delete write the store, then
				// invalidate: slowKV recorded when the store returned.
				cl.record(input{key: k, kind: kWrite, ver: ver, name: "source"}, output{}, call, cl.wrote)
				cl.record(input{key: k, kind: kInval, name: name}, output{}, cl.invalidating, ret)
			}},
			{5, func(cl *client, k int) {
				cl.read(k, kInval, "Invalidate", func() output {
					c.Invalidate(k)
					return output{}
				})
			}},
		},
		close: func() {
			c.Close()
			if err := buf.Close(context.Background()); err != nil {
				t.Error(err)
			}
		},
	}
}
