package vocab_test

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hotcache/hotcache/internal/vocab"
	"github.com/hotcache/hotcache/shard"
	"github.com/hotcache/hotcache/writeback"
)

// TestVocabulary checks every options and stats type of the root module
// against docs/vocabulary.md (see vocab.Check).
func TestVocabulary(t *testing.T) {
	vocab.Check(t, "../../docs/vocabulary.md",
		[]reflect.Type{
			reflect.TypeFor[shard.Options[string, string]](),
			reflect.TypeFor[writeback.Options](),
			reflect.TypeFor[writeback.CacheOptions[string, string]](),
		},
		[]reflect.Type{
			reflect.TypeFor[shard.Stats](),
			reflect.TypeFor[writeback.BufferStats](),
			reflect.TypeFor[writeback.CacheStats](),
		})
}

// TestVocabulary_ReadmeHasTheTables checks that the README's "One
// vocabulary" section holds the same tables as docs/vocabulary.md.
func TestVocabulary_ReadmeHasTheTables(t *testing.T) {
	_, _, lines := vocab.Tables(t, "../../docs/vocabulary.md")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## One vocabulary\n")
	if !ok {
		t.Fatal(`README.md has no "## One vocabulary" section`)
	}
	for _, l := range lines {
		if !strings.Contains(section, l+"\n") {
			t.Errorf("README.md's One vocabulary section lacks the row\n%s", l)
		}
	}
}

// TestVocabulary_CatchesADifference checks that Check fails for a field
// the document does not list and for one name with two types.
func TestVocabulary_CatchesADifference(t *testing.T) {
	type odd struct {
		Capacity string // the table says int
		Surprise int    // not in the table
	}
	rec := &recorder{T: t}
	vocab.Check(rec, "../../docs/vocabulary.md",
		[]reflect.Type{reflect.TypeFor[shard.Options[string, string]](), reflect.TypeFor[odd]()}, nil)
	want := []string{"odd.Capacity is string, but the Options table says int", "Surprise (int) is not in the Options table",
		"Capacity is int in shard.Options[string,string] but string in"}
	for _, w := range want {
		if !strings.Contains(strings.Join(rec.errs, "\n"), w) {
			t.Errorf("Check did not report %q; it reported:\n%s", w, strings.Join(rec.errs, "\n"))
		}
	}
}

// recorder is a testing.TB whose Errorf records instead of failing.
type recorder struct {
	*testing.T
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
