package memstore_test

import (
	"testing"

	"github.com/hotcache/hotcache/writeback/memstore"
	"github.com/hotcache/hotcache/writeback/storetest"
)

func TestStore_Suite(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memstore.New[string, []byte]() })
}
