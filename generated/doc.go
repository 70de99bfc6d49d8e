// Package generated holds caches that cachegen generated for common key and
// value types, ready to use, and tested like shard.Cache:
//
//	StringCache  string   → string
//	BytesCache   string   → []byte
//	Uint64Cache  uint64   → uint64
//	AnyCache     string   → any
//	DigestCache  [32]byte → []byte (e.g. a sha256.Sum256 digest)
//	PermCache    PermKey  → bool (a permission check)
//	TokenCache   string   → *Token (registry auth tokens)
//	CounterCache string   → uint64 (counters updated in place)
//
// Each is a shard.Cache of the same types with the key's hash specialized
// at compile time. The five string-keyed ones (StringCache, BytesCache,
// AnyCache, TokenCache, CounterCache) are deprecated: they differ from
// shard.Cache[string, V] only in their names, so use that (shard.New with
// the same Options). They stay, generated with cachegen's -deprecated, so
// that code using them builds, and the benchmarks use CounterCache to
// compare a generated string hash with the generic one. generate.go holds the go:generate lines that make them;
// regenerate with go generate ./generated.
package generated
