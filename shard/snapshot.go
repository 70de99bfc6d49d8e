package shard

import (
	"io"

	"github.com/hotcache/hotcache/internal/core"
)

// Snapshotter is the part of a cache that saves and loads snapshots: both
// *Cache and every cache that cachegen generates satisfy it, so code that
// warms caches at startup (a controller restarted by a rollout) can take
// either. For a *Cache, Save and Load are the same calls.
type Snapshotter interface {
	// SaveTo writes every live entry, with its remaining lifetime (see Save).
	SaveTo(w io.Writer) error
	// LoadFrom stores a snapshot's entries and returns how many (see Load).
	LoadFrom(r io.Reader) (int, error)
}

var _ Snapshotter = (*Cache[string, int])(nil)

// ErrSnapshot is wrapped by the error Load (or LoadFrom) returns for input
// that is not a complete snapshot of the cache's key and value types: not
// a snapshot at all, a snapshot of another format version or of other
// types, or a truncated one.
var ErrSnapshot = core.ErrSnapshot

// Save writes every live entry of c to w with its remaining lifetime, so
// that Load can warm another cache (a process restarted later, say). The
// snapshot is an encoding/gob stream: a header (a magic string, the format
// version, the key and value types' names, the time of the save by c's
// clock), one record per entry, and an end record that counts them. K and
// V must be encodable by gob (exported fields; types stored in interfaces
// registered with gob.Register). Entries are written coldest first (see
// Coldest), so that a smaller cache loading them keeps the hottest. Each
// shard is locked only to copy its eviction order; entries written
// during Save may or may not be in the snapshot. With
// Options.ExpireAfterAccess, an entry keeps the lifetime it was written
// with, and counts as written again when loaded. The error is the first
// of encoding or of w, wrapped.
func Save[K comparable, V any](w io.Writer, c *Cache[K, V]) error { return c.SaveTo(w) }

// Load reads a snapshot written by Save (of a cache of the same key and
// value types, generated or not) from r and stores its entries in c,
// returning how many it stored. An entry's lifetime is what it had left at
// the save less the time since, by c's clock (so a restart later skips
// entries that expired meanwhile; no time passes if c's clock reads
// earlier than the save's). Entries whose keys c already holds live are
// kept as they are, and values too heavy for MaxWeight are skipped; the
// rest are stored as SetIfAbsent would, evicting if c fills up.
//
// The whole snapshot is decoded and checked before anything is stored:
// input that is not a snapshot, another format version, other key or value
// types, or a truncated snapshot returns an error wrapping ErrSnapshot
// that names the problem, and leaves c as it was.
func Load[K comparable, V any](r io.Reader, c *Cache[K, V]) (int, error) { return c.LoadFrom(r) }
