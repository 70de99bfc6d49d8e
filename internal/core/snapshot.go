package core

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// A snapshot (SaveTo, LoadFrom) is an encoding/gob stream of a
// snapshotHeader, then one snapshotRecord per entry, then a record with End
// set that counts them. The header comes first and alone so that a reader
// checks the magic and the version before it decodes anything whose layout
// a version could change; the end record tells a complete snapshot from a
// truncated one (a stream cut between two records decodes cleanly).

// snapshotMagic identifies a hotcache snapshot; snapshotVersion is the
// version of its layout this package writes and reads.
const (
	snapshotMagic   = "hotcache snapshot"
	snapshotVersion = 1
)

// snapshotHeader opens a snapshot.
type snapshotHeader struct {
	Magic   string
	Version int
	Key     string // the key and value types' names (see typeName)
	Value   string
	Saved   int64 // the saving cache's clock at the save, in ns since the Unix epoch
}

// snapshotRecord is one entry, or with End the end of the snapshot.
type snapshotRecord[K comparable, V any] struct {
	Key   K
	Value V
	TTL   int64 // the entry's remaining lifetime at the save, in ns; 0 = no expiry
	End   bool  // the last record: Count says how many entries came before it
	Count int
}

// typeName names t for a snapshot's header: package path and name for a
// named type, else its literal (e.g. "[]uint8").
func typeName(t reflect.Type) string {
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// SaveTo writes every live entry of the engine to w, with its remaining
// lifetime, as a snapshot (encoding/gob; see LoadFrom). Entries are written
// in Coldest's order, so that a smaller cache that loads them keeps the
// hottest. It takes each shard's lock only to copy its queue (see Coldest);
// entries written meanwhile may or may not be saved. With
// ExpireAfterAccess, an entry's saved lifetime is the one it was written
// with (its TTL or Expiry): it counts as written again when loaded. It
// returns the first error of the encoding (a type gob cannot encode) or
// of w, wrapped.
func (e *Engine[K, V]) SaveTo(w io.Writer) error {
	enc := gob.NewEncoder(w)
	now := e.now()
	h := snapshotHeader{
		Magic: snapshotMagic, Version: snapshotVersion, Saved: now,
		Key: typeName(reflect.TypeFor[K]()), Value: typeName(reflect.TypeFor[V]()),
	}
	if err := enc.Encode(&h); err != nil {
		return fmt.Errorf("%sSave: writing the header: %w", errPrefix, err)
	}
	var err error
	count := 0
	e.walkOrdered(false, func(n *node[K, V]) bool {
		d := e.hardDeadline(n) // before the value: see Get
		rec := snapshotRecord[K, V]{Key: n.Item.key, Value: e.value(n)}
		if d != 0 {
			if rec.TTL = d - now; rec.TTL <= 0 {
				return true // expired since the walk looked
			}
		}
		if err = enc.Encode(&rec); err != nil {
			err = fmt.Errorf("%sSave: writing entry %d: %w", errPrefix, count, err)
			return false
		}
		count++
		return true
	})
	if err != nil {
		return err
	}
	if err := enc.Encode(&snapshotRecord[K, V]{End: true, Count: count}); err != nil {
		return fmt.Errorf("%sSave: writing the end: %w", errPrefix, err)
	}
	return nil
}

// ErrSnapshot is wrapped by every error LoadFrom returns for an input that
// is not a complete snapshot of this cache's key and value types.
var ErrSnapshot = errors.New(errPrefix + "bad snapshot")

// LoadFrom reads a snapshot that SaveTo wrote and stores its entries,
// returning how many it stored. Each entry's lifetime is what was left at
// the save less the time since (by this engine's clock; none if that
// reads earlier than the save's): an entry that expired meanwhile is
// skipped. An entry whose key the cache holds live already is skipped too
// (the cache's value is at least as recent), as is one too heavy for
// MaxWeight; storing the rest may evict, as Set does.
//
// The whole snapshot is read and checked before anything is stored: input
// that is not a snapshot, a snapshot of another version or of other key or
// value types, and a truncated one each return an error wrapping
// ErrSnapshot that names the problem, and leave the cache as it was.
// Memory: every entry of the snapshot is held decoded until it is stored.
func (e *Engine[K, V]) LoadFrom(r io.Reader) (int, error) {
	dec := gob.NewDecoder(r)
	var h snapshotHeader
	if err := dec.Decode(&h); err != nil {
		return 0, fmt.Errorf("%w: not a hotcache snapshot (reading its header: %v)", ErrSnapshot, err)
	}
	key, value := typeName(reflect.TypeFor[K]()), typeName(reflect.TypeFor[V]())
	switch {
	case h.Magic != snapshotMagic:
		return 0, fmt.Errorf("%w: not a hotcache snapshot (header magic %q)", ErrSnapshot, h.Magic)
	case h.Version != snapshotVersion:
		return 0, fmt.Errorf("%w: snapshot format version %d, this hotcache reads version %d", ErrSnapshot, h.Version, snapshotVersion)
	case h.Key != key || h.Value != value:
		return 0, fmt.Errorf("%w: snapshot of a cache of %s to %s, this cache maps %s to %s", ErrSnapshot, h.Key, h.Value, key, value)
	}
	var recs []snapshotRecord[K, V]
	for {
		var rec snapshotRecord[K, V]
		if err := dec.Decode(&rec); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("%w: truncated or corrupt after %d entries: %v", ErrSnapshot, len(recs), err)
		}
		if rec.End {
			if rec.Count != len(recs) {
				return 0, fmt.Errorf("%w: the end record counts %d entries, the snapshot holds %d", ErrSnapshot, rec.Count, len(recs))
			}
			break
		}
		recs = append(recs, rec)
	}
	now := e.now()
	elapsed := max(now-h.Saved, 0)
	stored := 0
	for _, rec := range recs {
		var d int64
		if rec.TTL != 0 {
			left := rec.TTL - elapsed
			if left <= 0 {
				continue
			}
			d = now + min(left, math.MaxInt64-now)
		}
		wr := e.writeOf(e.hash(e.seed, rec.Key), rec.Key, rec.Value, d)
		wr.ifAbsent = true
		if _, ok := e.put(&wr); ok {
			stored++
		}
	}
	return stored, nil
}
