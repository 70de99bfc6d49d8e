// Package internal holds what no user imports: the engine and its parts
// (core, with budget, evictq and tick beneath it), the reference cache
// (model), the suite every cache implementation runs (conformance), the
// linearizability checker (lincheck), and test helpers (testhook, flood,
// vocab).
package internal
