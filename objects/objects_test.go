package objects_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hotcache/hotcache/clock"
	"github.com/hotcache/hotcache/evict"
	"github.com/hotcache/hotcache/objects"
	"github.com/hotcache/hotcache/shard"
)

// repo stands for a Kubernetes object: it has the two accessors of
// metav1.Object that MetaNamespaceKeyFunc uses.
type repo struct {
	Namespace, Name string
	URL             string
}

func (r *repo) GetNamespace() string { return r.Namespace }
func (r *repo) GetName() string      { return r.Name }

func TestMetaNamespaceKeyFunc(t *testing.T) {
	for _, tc := range []struct {
		obj     *repo
		want    string
		wantErr error
	}{
		{&repo{Namespace: "flux-system", Name: "podinfo"}, "flux-system/podinfo", nil},
		{&repo{Name: "cluster-scoped"}, "cluster-scoped", nil},
		{&repo{Namespace: "ns"}, "", objects.ErrNoName},
		{nil, "", objects.ErrNoName},
	} {
		got, err := objects.MetaNamespaceKeyFunc(tc.obj)
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("MetaNamespaceKeyFunc(%+v) = %q, %v; want %q, %v", tc.obj, got, err, tc.want, tc.wantErr)
		}
	}
	// Over the interface itself, a nil interface is an error, not a panic.
	if _, err := objects.MetaNamespaceKeyFunc[objects.Object](nil); !errors.Is(err, objects.ErrNoName) {
		t.Errorf("nil Object: error %v, want ErrNoName", err)
	}
}

func TestSplitMetaNamespaceKey(t *testing.T) {
	for _, obj := range []*repo{{Namespace: "apps", Name: "redis"}, {Name: "global"}} {
		key, err := objects.MetaNamespaceKeyFunc(obj)
		if err != nil {
			t.Fatal(err)
		}
		ns, name, err := objects.SplitMetaNamespaceKey(key)
		if err != nil || ns != obj.Namespace || name != obj.Name {
			t.Errorf("SplitMetaNamespaceKey(%q) = %q, %q, %v", key, ns, name, err)
		}
	}
	if _, _, err := objects.SplitMetaNamespaceKey("a/b/c"); err == nil {
		t.Error(`SplitMetaNamespaceKey("a/b/c") did not fail`)
	}
}

func newStore(t *testing.T, opts shard.Options[string, *repo]) *objects.Store[*repo] {
	t.Helper()
	if opts.Capacity == 0 {
		opts.Capacity = 100
	}
	s, err := objects.NewStore(objects.MetaNamespaceKeyFunc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore_AddGetUpdateDelete(t *testing.T) {
	s := newStore(t, shard.Options[string, *repo]{})
	a := &repo{Namespace: "flux-system", Name: "podinfo", URL: "oci://ghcr.io/a"}
	b := &repo{Namespace: "apps", Name: "podinfo", URL: "oci://ghcr.io/b"} // same name, other namespace
	for _, obj := range []*repo{a, b} {
		if err := s.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
	// Get by an object with the same key, not the same pointer.
	got, ok, err := s.Get(&repo{Namespace: "flux-system", Name: "podinfo"})
	if err != nil || !ok || got != a {
		t.Fatalf("Get = %v, %v, %v; want a", got, ok, err)
	}
	a2 := &repo{Namespace: "flux-system", Name: "podinfo", URL: "oci://ghcr.io/a2"}
	if err := s.Update(a2); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.GetByKey("flux-system/podinfo"); !ok || got != a2 {
		t.Fatalf("GetByKey after Update = %v, %v; want a2", got, ok)
	}
	keys := s.ListKeys()
	slices.Sort(keys)
	if want := []string{"apps/podinfo", "flux-system/podinfo"}; !slices.Equal(keys, want) {
		t.Errorf("ListKeys = %q, want %q", keys, want)
	}
	list := s.List()
	if len(list) != 2 || !slices.Contains(list, a2) || !slices.Contains(list, b) {
		t.Errorf("List = %v, want a2 and b", list)
	}
	if err := s.Delete(&repo{Namespace: "apps", Name: "podinfo"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(b); ok {
		t.Error("b still there after Delete")
	}
	if _, ok := s.GetByKey("flux-system/podinfo"); !ok {
		t.Error("Delete of b removed a2")
	}
	if st := s.Stats(); st.Evictions[evict.Deleted] != 1 || st.Evictions[evict.Replaced] != 1 {
		t.Errorf("Stats evictions = %v, want 1 deleted and 1 replaced", st.Evictions)
	}
}

var errNoURL = errors.New("no URL")

func TestStore_KeyFuncErrors(t *testing.T) {
	byURL := func(r *repo) (string, error) {
		if r.URL == "" {
			return "", errNoURL
		}
		return r.URL, nil
	}
	s, err := objects.NewStore(byURL, shard.Options[string, *repo]{Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := &repo{Name: "no-url"}
	check := func(op string, err error) {
		t.Helper()
		var ke *objects.KeyError
		if !errors.As(err, &ke) || ke.Obj != any(bad) || !errors.Is(err, errNoURL) {
			t.Errorf("%s: error %v, want a *KeyError for the object wrapping errNoURL", op, err)
		}
		if want := "objects: no key for *objects_test.repo: no URL"; err != nil && err.Error() != want {
			t.Errorf("%s: error %q, want %q", op, err, want)
		}
	}
	check("Add", s.Add(bad))
	check("Update", s.Update(bad))
	check("Delete", s.Delete(bad))
	_, ok, err := s.Get(bad)
	check("Get", err)
	if ok || s.Len() != 0 {
		t.Errorf("after failed key: Get ok=%v, Len=%d; want nothing stored", ok, s.Len())
	}
}

func TestNewStore_Errors(t *testing.T) {
	if _, err := objects.NewStore[*repo](nil, shard.Options[string, *repo]{Capacity: 1}); err == nil {
		t.Error("nil key function accepted")
	}
	_, err := objects.NewStore(objects.MetaNamespaceKeyFunc[*repo], shard.Options[string, *repo]{})
	if err == nil {
		t.Error("zero Capacity accepted")
	}
}

// The cache's options pass through: a TTL expires objects, OnEvict sees
// them leave, a full store evicts.
func TestStore_OptionsPassThrough(t *testing.T) {
	clk := clock.NewManual(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	var evicted []string
	s := newStore(t, shard.Options[string, *repo]{
		Capacity: 2, Shards: 1, NoAdmission: true, TTL: time.Minute, Clock: clk,
		OnEvict: func(k string, _ *repo, r evict.Reason) {
			mu.Lock()
			defer mu.Unlock()
			evicted = append(evicted, k+" "+r.String())
		},
	})
	for _, name := range []string{"a", "b", "c"} { // the third evicts one
		if err := s.Add(&repo{Namespace: "ns", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 2 {
		t.Errorf("Len = %d, want 2 (Capacity)", s.Len())
	}
	clk.Advance(2 * time.Minute) // a Manual clock sweeps expired entries in Advance
	if _, ok := s.GetByKey("ns/c"); ok {
		t.Error("ns/c served after its TTL")
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(evicted)
	if want := []string{"ns/a capacity", "ns/b expired", "ns/c expired"}; !slices.Equal(evicted, want) {
		t.Errorf("evicted %q, want %q", evicted, want)
	}
}

func TestStore_Concurrent(t *testing.T) {
	s := newStore(t, shard.Options[string, *repo]{Capacity: 1000})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				obj := &repo{Namespace: "ns" + strconv.Itoa(i%3), Name: strconv.Itoa(i % 50), URL: fmt.Sprint(g)}
				switch i % 4 {
				case 0:
					_ = s.Add(obj)
				case 1:
					_ = s.Update(obj)
				case 2:
					if got, ok, err := s.Get(obj); err != nil || ok && (got.Namespace != obj.Namespace || got.Name != obj.Name) {
						t.Errorf("Get(%s/%s) = %+v, %v, %v", obj.Namespace, obj.Name, got, ok, err)
					}
				case 3:
					_ = s.Delete(obj)
				}
				if i%100 == 0 {
					for k, v := range s.All() {
						if want, _ := objects.MetaNamespaceKeyFunc(v); k != want {
							t.Errorf("All: key %q holds %s", k, want)
						}
					}
				}
			}
		})
	}
	wg.Wait()
}
