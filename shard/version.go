package shard

// GeneratedCodeVersion1 is referenced by every file that cachegen generates
// (`const _ = shard.GeneratedCodeVersion1`), as protobuf's EnforceVersion
// is. A release of shard that can no longer run such files removes it, and a
// generator whose output needs a newer runtime refers to a higher version:
// either way a mismatched generated file fails to build with this name in
// the error, and regenerating it with the cachegen of the hotcache version
// in go.mod fixes it.
const GeneratedCodeVersion1 = true
