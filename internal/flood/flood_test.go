package flood

import (
	"testing"

	"github.com/cespare/xxhash/v2"
)

func TestUint64Keys_CollideUnderTheUnseededMixer(t *testing.T) {
	keys := Uint64Keys(1000)
	seen := map[uint64]bool{}
	for i, k := range keys {
		if seen[k] {
			t.Fatalf("key %d (%#x) repeated", i, k)
		}
		seen[k] = true
		if h := Mix(k); h != collidingHash(i) || Unmix(h) != k {
			t.Fatalf("key %d: Mix = %#x, want %#x", i, h, collidingHash(i))
		}
	}
}

func TestStringKeys_CollideUnderUnseededXXH64(t *testing.T) {
	keys := StringKeys(1000)
	seen := map[string]bool{}
	for i, k := range keys {
		if seen[k] {
			t.Fatalf("key %d (%q) repeated", i, k)
		}
		seen[k] = true
		if h := xxhash.Sum64String(k); h != collidingHash(i) {
			t.Fatalf("key %d: XXH64 = %#x, want %#x", i, h, collidingHash(i))
		}
	}
}
