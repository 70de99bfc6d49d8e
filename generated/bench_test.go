package generated

import (
	"testing"

	"github.com/hotcache/hotcache/shard"
)

// benchKeys is the number of keys each Get benchmark cycles through: all
// present, so every Get is a hit.
const benchKeys = 1 << 12

// getter is the Get of a generated cache or of shard.Cache.
type getter[K comparable, V any] interface{ Get(K) (V, bool) }

func benchGet[K comparable, V any](b *testing.B, c interface {
	getter[K, V]
	Set(K, V)
}, key func(int) K, val V) {
	keys := make([]K, benchKeys)
	for i := range keys {
		keys[i] = key(i)
		c.Set(keys[i], val)
	}
	i := 0
	for b.Loop() {
		if _, ok := c.Get(keys[i&(benchKeys-1)]); !ok {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkGet compares a Get hit on a generated cache with shard.Cache of
// the same types, in the same run:
//
//	go test ./generated -run '^$' -bench Get -count 6
func BenchmarkGet(b *testing.B) {
	opts := func() shard.Options[string, string] { return shard.Options[string, string]{Capacity: 2 * benchKeys} }
	b.Run("key=string/generated", func(b *testing.B) {
		c, _ := NewStringCache(opts())
		benchGet(b, c, strKey, "v")
	})
	b.Run("key=string/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(opts()), strKey, "v")
	})

	uopts := shard.Options[uint64, uint64]{Capacity: 2 * benchKeys}
	ukey := func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }
	b.Run("key=uint64/generated", func(b *testing.B) {
		c, _ := NewUint64Cache(uopts)
		benchGet(b, c, ukey, 1)
	})
	b.Run("key=uint64/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(uopts), ukey, 1)
	})

	dopts := shard.Options[[32]byte, []byte]{Capacity: 2 * benchKeys}
	b.Run("key=[32]byte/generated", func(b *testing.B) {
		c, _ := NewDigestCache(dopts)
		benchGet(b, c, digest, []byte("v"))
	})
	b.Run("key=[32]byte/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(dopts), digest, []byte("v"))
	})

	popts := shard.Options[PermKey, bool]{Capacity: 2 * benchKeys}
	b.Run("key=struct/generated", func(b *testing.B) {
		c, _ := NewPermCache(popts)
		benchGet(b, c, permKey, true)
	})
	b.Run("key=struct/shard.Cache", func(b *testing.B) {
		benchGet(b, shard.Must(popts), permKey, true)
	})
}
