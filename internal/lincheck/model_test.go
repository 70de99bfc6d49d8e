package lincheck_test

import (
	"fmt"
	"slices"

	"github.com/anishathalye/porcupine"
)

// kind is what an operation of a history does to one key.
type kind uint8

const (
	kGet   kind = iota // Get: a hit returns an allowed value, a miss is always allowed
	kLoad              // GetOrLoad: an allowed value (0: not found)
	kWrite             // the key's source of truth was set to ver (0: deleted)
	kInval             // the cache was told the key changed: Delete, DeleteFunc, Clear, Set
)

// maxAllowed bounds the versions a key's reads may return at once: the
// current one and those written since the last invalidation. Writers of a
// key are serialized (see env.keyMu), each invalidating after its write,
// so there are at most two.
const maxAllowed = 4

// input is one operation's call on one key. A cache-aside write is two
// operations of its client: the write of the source (kWrite) and then the
// invalidation of the cache (kInval; Set counts as one, as it replaces
// the value). Clear and DeleteFunc, which touch many keys, are recorded as
// one invalidation per key they may affect, all with the same call and
// return times, so that partitioning by key keeps every effect of them.
type input struct {
	key  int
	kind kind
	ver  int64  // kWrite: the source's new version of key (0: deleted)
	name string // the method called, for the visualization
}

// output is what the operation returned: a version (0: not found) and,
// for Get, whether it hit.
type output struct {
	v  int64
	ok bool
}

// state is the model of one key: the versions a read may return, the
// source's current one first. Versions are >= 0; 0 is "absent from the
// source", which GetOrLoad reports as shard.ErrNotFound (and may remember).
type state struct {
	n       int
	allowed [maxAllowed]int64
}

func (s state) allows(v int64) bool {
	for _, a := range s.allowed[:s.n] {
		if a == v {
			return true
		}
	}
	return false
}

// step is the sequential specification of a cache-aside cache for one
// key. Eviction may happen at any time, so a miss is always allowed and a
// GetOrLoad may always load. Between a write of the source and the
// invalidation that follows it, reads may return the old value or the new
// one, in any order (the cache cannot know of the write before it is
// told); once the invalidation has taken effect, only the source's current
// value is allowed. A value older than the last write whose invalidation
// completed is never allowed: that is the promise of issue 17.
func step(st state, in input, out output) (bool, state) {
	switch in.kind {
	case kGet:
		return !out.ok || out.v != 0 && st.allows(out.v), st
	case kLoad:
		return st.allows(out.v), st
	case kWrite:
		if st.n == maxAllowed {
			panic("lincheck: more writes of one key than maxAllowed without an invalidation")
		}
		copy(st.allowed[1:], st.allowed[:st.n])
		st.allowed[0] = in.ver
		st.n++
		return true, st
	case kInval:
		st.n = 1
		st.allowed = [maxAllowed]int64{st.allowed[0]}
		return true, st
	}
	panic(fmt.Sprintf("lincheck: unknown operation kind %d", in.kind))
}

// model is step as a porcupine model, partitioned by key.
var model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(input).key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]int, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() any { return state{n: 1} }, // the source holds nothing: not found
	Step: func(s, in, out any) (bool, any) {
		return step(s.(state), in.(input), out.(output))
	},
	DescribeOperation: func(in, out any) string {
		i, o := in.(input), out.(output)
		switch i.kind {
		case kGet:
			if !o.ok {
				return fmt.Sprintf("Get(%d) -> miss", i.key)
			}
			return fmt.Sprintf("Get(%d) -> v%d", i.key, o.v)
		case kLoad:
			if o.v == 0 {
				return fmt.Sprintf("%s(%d) -> not found", i.name, i.key)
			}
			return fmt.Sprintf("%s(%d) -> v%d", i.name, i.key, o.v)
		case kWrite:
			return fmt.Sprintf("source[%d] = v%d", i.key, i.ver)
		}
		return fmt.Sprintf("%s(%d)", i.name, i.key)
	},
	DescribeState: func(s any) string {
		st := s.(state)
		return fmt.Sprintf("source v%d, reads may return %v", st.allowed[0], st.allowed[:st.n])
	},
}
