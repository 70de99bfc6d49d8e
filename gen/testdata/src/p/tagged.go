//go:build tagged

package p

// Tagged exists only under the build tag "tagged".
type Tagged struct{ ID uint32 }
