package objects_test

import (
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/hotcache/hotcache/objects"
	"github.com/hotcache/hotcache/shard"
)

// HelmChart stands for a Kubernetes API type (*v1.HelmChart): like every
// metav1.Object it has GetNamespace and GetName.
type HelmChart struct {
	Namespace, Name string
	Version         string
}

func (c *HelmChart) GetNamespace() string { return c.Namespace }
func (c *HelmChart) GetName() string      { return c.Name }

// An informer's event handlers keep a store of the objects they saw, keyed
// as client-go keys them; a reconciler then fetches by the object it was
// handed, or by the "namespace/name" of its request.
func ExampleStore() {
	charts, err := objects.NewStore(objects.MetaNamespaceKeyFunc, shard.Options[string, *HelmChart]{
		Capacity: 10_000,
		TTL:      10 * time.Minute, // a cache of the informer's objects, not a replica
	})
	if err != nil {
		log.Fatal(err)
	}
	defer charts.Close()

	// OnAdd, OnUpdate.
	for _, c := range []*HelmChart{
		{Namespace: "apps", Name: "redis", Version: "18.0.0"},
		{Namespace: "apps", Name: "podinfo", Version: "6.5.0"},
		{Namespace: "apps", Name: "redis", Version: "18.1.0"}, // an update: same key
	} {
		if err := charts.Update(c); err != nil {
			log.Fatal(err)
		}
	}

	got, ok, err := charts.Get(&HelmChart{Namespace: "apps", Name: "redis"})
	fmt.Println(got.Version, ok, err)

	// OnDelete.
	if err := charts.Delete(&HelmChart{Namespace: "apps", Name: "podinfo"}); err != nil {
		log.Fatal(err)
	}
	_, ok = charts.GetByKey("apps/podinfo")
	fmt.Println("podinfo cached:", ok)

	keys := charts.ListKeys()
	slices.Sort(keys)
	fmt.Println(keys)

	// An object without a name has no key: a clear error, nothing stored.
	fmt.Println(charts.Add(&HelmChart{Namespace: "apps"}))
	// Output:
	// 18.1.0 true <nil>
	// podinfo cached: false
	// [apps/redis]
	// objects: no key for *objects_test.HelmChart: object has no name
}
