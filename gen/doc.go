// Package gen is the library behind cachegen: it emits, for one key type and
// one value type, a cache type with the method set of shard.Cache whose key
// hash is specialized at compile time.
//
// The generated code is thin glue over shardimpl.Engine, which holds the
// index, eviction, expiry and statistics: each method hashes the key with
// code written for its type, under the random seed the engine drew for this
// cache (shardimpl.Seed, kept in the cache next to the engine pointer), and
// calls the engine. Strings and byte arrays hash with hash/maphash
// (shardimpl.HashString, shardimpl.HashBytes), integers of every
// width with a mixer (shardimpl.HashUint64), bools and floats with
// shardimpl.HashBool and shardimpl.HashFloat64, and structs and arrays part by
// part, folded with shardimpl.Combine; pointers, channels, interfaces, and
// structs of other packages with unexported fields go through
// shardimpl.HashComparable. No reflection and no Options.Hash.
//
// Use: [Load] a package, then [Generate] a file for a [Config]; or, with
// types already in hand, [Render] a [Spec]. Nothing here writes to disk:
// that is the command's job (gen/cmd/cachegen). Errors start with
// "cachegen: ", the command's name, since they are its messages.
//
// Every generated file refers to shardimpl.GeneratedCodeVersion6, so that a
// file generated for a runtime it no longer matches fails to build with that
// name in the error.
package gen
