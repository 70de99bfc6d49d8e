package core

import (
	"reflect"
	"sync/atomic"
	"unsafe"
)

// valueMode says how an engine stores values in its nodes.
type valueMode uint8

const (
	// valueNode: values are immutable; a write to a present key publishes a
	// new node in the old one's place (one allocation).
	valueNode valueMode = iota
	// valuePtr: V is one pointer word (pointer, map, chan, func); a write
	// to a present key stores it in place with an atomic pointer store.
	valuePtr
	// valueWord64 / valueWord32: V is pointer-free and exactly 8 (4) bytes,
	// aligned to its size (uint64, int64, float64, uint32, ...); updated in
	// place with atomic 64-bit (32-bit) stores. 64-bit words only on 64-bit
	// platforms.
	valueWord64
	valueWord32
)

// valueModeOf picks the cheapest race-free way to update a V in place.
func valueModeOf[V any]() valueMode {
	t := reflect.TypeFor[V]()
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer, reflect.Map, reflect.Chan, reflect.Func:
		return valuePtr
	}
	if !pointerFree(t) {
		return valueNode
	}
	switch {
	case t.Size() == 8 && t.Align() == 8 && unsafe.Sizeof(uintptr(0)) == 8:
		return valueWord64
	case t.Size() == 4 && t.Align() == 4:
		return valueWord32
	}
	return valueNode
}

// pointerFree reports whether values of t hold no pointers.
func pointerFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return t.Len() == 0 || pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// value reads n's value; lock-free readers call it, and it is atomic in the
// in-place modes.
func (e *Engine[K, V]) value(n *node[K, V]) V {
	p := unsafe.Pointer(&n.Item.val)
	switch e.vmode {
	case valuePtr:
		// Safety: valuePtr means V is exactly one pointer word.
		w := atomic.LoadPointer((*unsafe.Pointer)(p))
		return *(*V)(unsafe.Pointer(&w))
	case valueWord64:
		// Safety: V is pointer-free, 8 bytes and 8-aligned.
		w := atomic.LoadUint64((*uint64)(p))
		return *(*V)(unsafe.Pointer(&w))
	case valueWord32:
		// Safety: V is pointer-free, 4 bytes and 4-aligned.
		w := atomic.LoadUint32((*uint32)(p))
		return *(*V)(unsafe.Pointer(&w))
	}
	return n.Item.val
}

// setValue stores v in n in place. Only for the in-place modes: under the
// shard lock, or lock-free by tryUpdate (update.go).
func (e *Engine[K, V]) setValue(n *node[K, V], v V) {
	p := unsafe.Pointer(&n.Item.val)
	switch e.vmode {
	case valuePtr:
		atomic.StorePointer((*unsafe.Pointer)(p), *(*unsafe.Pointer)(unsafe.Pointer(&v)))
	case valueWord64:
		atomic.StoreUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&v)))
	case valueWord32:
		atomic.StoreUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&v)))
	default:
		panic("shard: setValue on an immutable value")
	}
}

// casValue stores v in n in place if n still holds old, bit for bit, and
// reports whether it did. Only for the in-place modes; Compute uses it so
// that a lock-free update between its read and its write is not lost
// (update.go).
func (e *Engine[K, V]) casValue(n *node[K, V], old, v V) bool {
	p := unsafe.Pointer(&n.Item.val)
	switch e.vmode {
	case valuePtr:
		return atomic.CompareAndSwapPointer((*unsafe.Pointer)(p), *(*unsafe.Pointer)(unsafe.Pointer(&old)), *(*unsafe.Pointer)(unsafe.Pointer(&v)))
	case valueWord64:
		return atomic.CompareAndSwapUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&old)), *(*uint64)(unsafe.Pointer(&v)))
	case valueWord32:
		return atomic.CompareAndSwapUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&old)), *(*uint32)(unsafe.Pointer(&v)))
	}
	panic("shard: casValue on an immutable value")
}

// unchanged reports whether n still holds v, the value read from it earlier.
// Immutable nodes always do; in-place values are compared bit for bit (they
// are single words), so a write in between is noticed. Caller holds the
// shard lock.
func (e *Engine[K, V]) unchanged(n *node[K, V], v V) bool {
	cur := e.value(n)
	switch e.vmode {
	case valuePtr:
		return *(*unsafe.Pointer)(unsafe.Pointer(&cur)) == *(*unsafe.Pointer)(unsafe.Pointer(&v))
	case valueWord64:
		return *(*uint64)(unsafe.Pointer(&cur)) == *(*uint64)(unsafe.Pointer(&v))
	case valueWord32:
		return *(*uint32)(unsafe.Pointer(&cur)) == *(*uint32)(unsafe.Pointer(&v))
	}
	return true
}

// mayBeUnequal reports whether a value of t can be unequal to itself: a
// float or complex NaN, held directly, in an interface, or in an array or
// struct field.
func mayBeUnequal(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.Interface:
		return true
	case reflect.Array:
		return t.Len() > 0 && mayBeUnequal(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if mayBeUnequal(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
