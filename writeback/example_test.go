package writeback_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hotcache/hotcache/writeback"
	"github.com/hotcache/hotcache/writeback/memstore"
)

// A read-through cache over a write-behind buffer over a store: writes
// return at once, reads see them at once, and Close stores them.
func Example() {
	ctx := context.Background()
	db := memstore.New[string, string]() // stands in for a database
	buf, err := writeback.New(db, writeback.Options{MaxBatch: 100, MaxDelay: 50 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	cache, err := writeback.NewCache(buf, writeback.CacheOptions[string, string]{Capacity: 1000, MaxTTL: time.Minute})
	if err != nil {
		panic(err)
	}
	defer cache.Close()

	_ = cache.Store(ctx, "session:1", "alice")
	_ = cache.Store(ctx, "session:1", "bob") // coalesces with the first
	v, _ := cache.Load(ctx, "session:1")
	fmt.Println("read:", v)

	if err := buf.Close(ctx); err != nil {
		fmt.Println("not stored:", err)
	}
	fmt.Println("stored:", db.Snapshot())
	// Output:
	// read: bob
	// stored: map[session:1:bob]
}

// logged is a decorator: it embeds writeback.KV, so it inherits Load and
// Delete, and overrides Store. (Embedding writeback.Store, the alias,
// would name the field Store, as the method, and not compile.)
type logged struct {
	writeback.KV[string, string]
}

func (l logged) Store(ctx context.Context, key, value string) error {
	fmt.Printf("store %s=%s\n", key, value)
	return l.KV.Store(ctx, key, value)
}

// A decorator embeds KV and overrides what it needs. It hides the inner
// store's StoreMany and InTx, so this buffer stores one key per call.
func ExampleKV_decorator() {
	ctx := context.Background()
	db := memstore.New[string, string]()
	buf, _ := writeback.New[string, string](logged{db}, writeback.Options{})
	_ = buf.Store(ctx, "a", "1")
	_ = buf.Store(ctx, "a", "2")
	_ = buf.Close(ctx)
	v, _ := db.Load(ctx, "a")
	fmt.Println("stored:", v)
	// Output:
	// store a=2
	// stored: 2
}

type session struct {
	User string `json:"user"`
	TTL  int    `json:"ttl"`
}

// WithCodec stores typed values in a store of bytes and keeps its bulk
// and transaction methods, so a buffer over it still flushes in bulk.
func ExampleWithCodec() {
	ctx := context.Background()
	db := memstore.New[string, []byte]()
	sessions := writeback.WithCodec(writeback.KV[string, []byte](db),
		func(s session) ([]byte, error) { return json.Marshal(s) },
		func(b []byte) (session, error) {
			var s session
			err := json.Unmarshal(b, &s)
			return s, err
		})
	_, bulk := sessions.(writeback.BulkStore[string, session])
	fmt.Println("bulk:", bulk)

	buf, _ := writeback.New(sessions, writeback.Options{})
	_ = buf.Store(ctx, "s1", session{User: "alice", TTL: 300})
	_ = buf.Close(ctx)
	raw, _ := db.Load(ctx, "s1")
	fmt.Println("stored:", string(raw))
	s, _ := sessions.Load(ctx, "s1")
	fmt.Println("loaded:", s.User)
	// Output:
	// bulk: true
	// stored: {"user":"alice","ttl":300}
	// loaded: alice
}

// Stats reports what metrics need: the backlog and how the store is doing.
func ExampleBuffer_Stats() {
	ctx := context.Background()
	buf, _ := writeback.New[string, string](memstore.New[string, string](), writeback.Options{MaxDelay: time.Hour})
	_ = buf.Store(ctx, "a", "1")
	_ = buf.Store(ctx, "b", "1")
	fmt.Println("pending:", buf.Stats().Pending)
	_ = buf.Flush(ctx)
	st := buf.Stats()
	fmt.Println("pending:", st.Pending, "written:", st.Written, "store calls:", st.StoreCalls)
	_ = buf.Close(ctx)
	// Output:
	// pending: 2
	// pending: 0 written: 2 store calls: 1
}

// checked is a bulk store whose table refuses empty values, as a NOT NULL
// or CHECK constraint would: a StoreMany holding one fails whole.
type checked struct {
	writeback.KV[string, string] // Load, Store and Delete
	db                           *memstore.Store[string, string]
}

func (c checked) StoreMany(ctx context.Context, es []writeback.Entry[string, string]) error {
	for _, e := range es {
		if e.Value == "" {
			return fmt.Errorf("%s: empty value refused", e.Key)
		}
	}
	return c.db.StoreMany(ctx, es)
}

func (c checked) DeleteMany(ctx context.Context, keys []string) error {
	return c.db.DeleteMany(ctx, keys)
}

// A value the store rejects holds back no other write: the buffer splits
// the failed call until the rejected write is alone, stores the others,
// and keeps that one pending, reported, until it is rewritten.
func ExampleBuffer_rejectedValue() {
	ctx := context.Background()
	db := memstore.New[string, string]()
	buf, _ := writeback.New[string, string](checked{db, db}, writeback.Options{MaxDelay: time.Hour})
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		_ = buf.Store(ctx, k, "v-"+k)
	}
	_ = buf.Store(ctx, "c", "") // a bug upstream
	fmt.Println(buf.Flush(ctx))
	st := buf.Stats()
	fmt.Println("stored:", len(db.Snapshot()), "pending:", st.Pending, "splits:", st.Splits, "isolated:", st.Isolated)

	_ = buf.Store(ctx, "c", "v-c") // the fix
	fmt.Println(buf.Close(ctx), len(db.Snapshot()))
	// Output:
	// writeback: 1 writes not stored (keys c): c: empty value refused
	// stored: 7 pending: 1 splits: 3 isolated: 1
	// <nil> 8
}
