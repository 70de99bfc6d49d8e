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
// at compile time. generate.go holds the go:generate lines that make them;
// regenerate with go generate ./generated.
package generated
