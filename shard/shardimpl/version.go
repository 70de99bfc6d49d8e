package shardimpl

// GeneratedCodeVersion6 is referenced by every file that cachegen generates
// (`const _ = shardimpl.GeneratedCodeVersion6`), as protobuf's
// EnforceVersion is. A release that can no longer run such files removes
// it, and a generator whose output needs a newer runtime refers to a higher
// version: either way a mismatched generated file fails to build with this
// name in the error, and regenerating it with the cachegen of the hotcache
// version in go.mod fixes it.
//
// Version 6: a cache whose key is a string, int64 or uint64 (or a type
// defined on one) lets the engine hash it (NewEngine with a nil hash, which
// is the same hash) and its Get is one call of Engine.GetKey, which older
// runtimes lack. Version 5: generated caches hash keys of 8 to 16 bytes with the inlined
// HashString8to16 and HashBytes8to16, which older runtimes lack. Version 4:
// generated caches call the engine's Compute, GetOrLoadAll,
// Refresh, SetCapacity, SetMaxWeight, Hottest, Coldest, SaveTo and
// LoadFrom, which older runtimes lack. Version 3: generated files import
// this package for the engine, the seed and the hash helpers, which
// version 2 files found in package shard (shard.GeneratedCodeVersion2, now
// gone). Version 2: the generated hash takes the cache's [Seed] (from
// Engine.Seed), and so do the hash helpers it calls; version 1 files hashed
// keys unseeded.
const GeneratedCodeVersion6 = true

// GeneratedCodeVersion5 is the guard of version 5 files, which this runtime
// still runs: they call a subset of the engine's methods.
const GeneratedCodeVersion5 = true

// GeneratedCodeVersion4 is the guard of version 4 files, which this runtime
// still runs: they call a subset of the helpers.
const GeneratedCodeVersion4 = true

// GeneratedCodeVersion3 is the guard of version 3 files, which this runtime
// still runs: they call a subset of the engine's methods.
const GeneratedCodeVersion3 = true
