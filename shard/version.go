package shard

// GeneratedCodeVersion2 is referenced by every file that cachegen generates
// (`const _ = shard.GeneratedCodeVersion2`), as protobuf's EnforceVersion
// is. A release of shard that can no longer run such files removes it, and a
// generator whose output needs a newer runtime refers to a higher version:
// either way a mismatched generated file fails to build with this name in
// the error, and regenerating it with the cachegen of the hotcache version
// in go.mod fixes it.
//
// Version 2: the generated hash takes the cache's [Seed] (from
// [Engine.Seed]), and so do the hash helpers it calls. Version 1 files
// hashed keys unseeded and no longer build.
const GeneratedCodeVersion2 = true
