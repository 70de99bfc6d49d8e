package storetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/hotcache/hotcache/writeback"
)

// errInjected is the error a probe's injected faults return.
var errInjected = errors.New("storetest: injected fault")

// probe wraps the store under test: it counts the rows written and, when
// faults are on, fails one write call in three and panics in one in fifty.
// A failing call fails either before reaching the store (nothing written)
// or after (written, error returned anyway: the ambiguous timeout case); a
// panicking one likewise. A bulk call or a transaction fails whole; a
// transaction whose body panics must be rolled back by the store.
type probe struct {
	raw  Store
	rows atomic.Int64 // rows passed to write calls, retries included

	mu     sync.Mutex
	rng    *rand.Rand // nil: no faults
	faults int        // faults injected
}

// setFaults turns fault injection on with a seed, or off for seed 0.
func (p *probe) setFaults(seed uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rng = nil
	if seed != 0 {
		p.rng = rand.New(rand.NewPCG(seed, seed))
	}
}

func (p *probe) injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// do runs one write call of rows rows, injecting a fault if one is drawn.
func (p *probe) do(rows int, call func() error) error {
	p.mu.Lock()
	fault, panics := 0, false // fault 0: none, 1: before the call, 2: after it
	if p.rng != nil {
		switch r := p.rng.IntN(150); {
		case r < 50:
			fault = 1 + p.rng.IntN(2)
			p.faults++
		case r < 53:
			fault, panics = 1+p.rng.IntN(2), true
			p.faults++
		}
	}
	p.mu.Unlock()
	if fault == 1 {
		return inject(panics)
	}
	p.rows.Add(int64(rows))
	if err := call(); err != nil {
		return err
	}
	if fault == 2 {
		return inject(panics)
	}
	return nil
}

// inject returns errInjected, or panics with it.
func inject(panics bool) error {
	if panics {
		panic(errInjected)
	}
	return errInjected
}

func (p *probe) Load(ctx context.Context, key string) ([]byte, error) { return p.raw.Load(ctx, key) }

func (p *probe) Store(ctx context.Context, key string, value []byte) error {
	return p.do(1, func() error { return p.raw.Store(ctx, key, value) })
}

func (p *probe) Delete(ctx context.Context, key string) error {
	return p.do(1, func() error { return p.raw.Delete(ctx, key) })
}

// singleView shows only the Store methods of the probe.
type singleView struct{ *probe }

// bulkView shows the probe as a BulkStore.
type bulkView struct{ *probe }

func (v bulkView) StoreMany(ctx context.Context, entries []writeback.Entry[string, []byte]) error {
	return v.do(len(entries), func() error {
		return v.raw.(writeback.BulkStore[string, []byte]).StoreMany(ctx, entries)
	})
}

func (v bulkView) DeleteMany(ctx context.Context, keys []string) error {
	return v.do(len(keys), func() error {
		return v.raw.(writeback.BulkStore[string, []byte]).DeleteMany(ctx, keys)
	})
}

// txView shows the probe as a TxStore (and not a BulkStore). A fault
// "after" the transaction's body makes it roll back.
type txView struct{ *probe }

func (v txView) InTx(ctx context.Context, fn func(writeback.KV[string, []byte]) error) error {
	return v.raw.(writeback.TxStore[string, []byte]).InTx(ctx, func(tx writeback.KV[string, []byte]) error {
		return v.do(0, func() error { return fn(txProbe{v.probe, tx}) })
	})
}

// txProbe is the probe's view of a transaction's Store: it counts rows and
// injects faults like the probe, on tx.
type txProbe struct {
	p  *probe
	tx Store
}

func (t txProbe) Load(ctx context.Context, key string) ([]byte, error) { return t.tx.Load(ctx, key) }

func (t txProbe) Store(ctx context.Context, key string, value []byte) error {
	return t.p.do(1, func() error { return t.tx.Store(ctx, key, value) })
}

func (t txProbe) Delete(ctx context.Context, key string) error {
	return t.p.do(1, func() error { return t.tx.Delete(ctx, key) })
}
