// Package clash declares package-level names that the generated file's
// imports must not take.
package clash

var shard = "not the package"

type iter int

// Key is the key type.
type Key struct{ N iter }

var _ = shard
