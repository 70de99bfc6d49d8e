package tier

import (
	"reflect"
	"testing"

	"github.com/hotcache/hotcache/internal/vocab"
	"github.com/hotcache/hotcache/shard"
)

// TestVocabulary checks tier's options and stats against the root
// module's docs/vocabulary.md, beside shard's (same name, same type).
func TestVocabulary(t *testing.T) {
	vocab.Check(t, "../docs/vocabulary.md",
		[]reflect.Type{reflect.TypeFor[shard.Options[string, string]](), reflect.TypeFor[Options[string]]()},
		[]reflect.Type{reflect.TypeFor[shard.Stats](), reflect.TypeFor[Stats]()})
}
