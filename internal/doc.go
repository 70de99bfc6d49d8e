// Package internal holds helpers that no user imports: see its
// subpackages model (the reference cache) and conformance (the suite every
// cache implementation runs).
package internal
