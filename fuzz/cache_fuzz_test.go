package fuzz

import (
	"strconv"
	"testing"

	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/internal/conformance"
	"github.com/hotcache/hotcache/shard"
)

// FuzzCache decodes the input into operations (two bytes each: operation
// and argument; Get, Set, SetTTL, SetIfAbsent, Delete, Peek and clock moves)
// and runs them against shard.Cache and the reference model, with a manual
// clock, requiring the same results, evictions and lengths at every step.
// The first byte picks the policy, the admission filter, whether every key
// hashes alike, the number of shards (1 to 8), and whether the cache is
// bounded by weight too, or by weight only.
func FuzzCache(f *testing.F) {
	f.Add([]byte{0, 3, 1, 0, 1, 9, 2, 7, 1})
	f.Add([]byte{1, 4, 5, 4, 6, 4, 7, 0, 5, 9, 1, 0, 6})
	f.Add([]byte{2, 5, 9, 5, 3, 9, 2, 0, 9, 6, 9})
	f.Add([]byte{4, 3, 1, 3, 2, 3, 3, 3, 4, 0, 1, 3, 5, 3, 6, 3, 7, 0, 1})
	f.Add([]byte{16 | 32 | 4, 3, 1, 3, 2, 3, 3, 3, 4, 0, 1, 3, 5, 3, 6, 3, 7, 0, 1})
	f.Add([]byte{24 | 64 | 2, 3, 1, 3, 2, 3, 3, 3, 4, 0, 1, 3, 5, 3, 6, 3, 7, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg := conformance.Config{Policy: evict.Policy(data[0] & 1), Admission: data[0]&4 != 0,
			Shards: 1 << (data[0] >> 3 & 3), Weighted: data[0]&32 != 0, WeightOnly: data[0]&64 != 0}
		constant := data[0]&2 != 0
		seed := shard.MakeSeed()
		hash := func(k string) uint64 { return shard.HashString(seed, k) }
		if constant {
			hash = func(string) uint64 { return 1 }
		}
		data = data[1:]
		s := conformance.Suite[string, int]{
			New: func(o shard.Options[string, int]) (conformance.Cache[string, int], error) {
				o.Hash = hash
				c, err := shard.New(o)
				if err != nil {
					return nil, err
				}
				return c, nil
			},
			Key:    func(i int) string { return "k" + strconv.Itoa(i) },
			Val:    func(i int) int { return i },
			HashOf: func(conformance.Cache[string, int]) func(string) uint64 { return hash },
		}
		conformance.Replay(t, s, cfg, func() (byte, bool) {
			if len(data) == 0 {
				return 0, false
			}
			b := data[0]
			data = data[1:]
			return b, true
		})
	})
}
