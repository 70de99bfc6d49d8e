package main

import (
	"fmt"
	"slices"

	"github.com/hotcache/hotcache/benchmarks"
)

// missingTraceNotes returns one line for each trace that the run would
// replay (want; nil means every trace) but that is not among files because
// the repository does not ship it, with the command that fetches it.
func missingTraceNotes(want, files []string) []string {
	var found []string
	for _, f := range files {
		found = append(found, benchmarks.TraceName(f))
	}
	var notes []string
	for _, s := range benchmarks.FetchSources {
		if slices.Contains(found, s.Name) || (want != nil && !slices.Contains(want, s.Name)) {
			continue
		}
		notes = append(notes, fmt.Sprintf("hit ratio on %s (%s) skipped: not shipped (licence: %s); fetch it with `go run ./cmd/fetchtraces -only %s` (all of them: `go run ./cmd/fetchtraces`)",
			s.Name, hitRatioFile(s.Name), s.Licence, s.Name))
	}
	return notes
}
