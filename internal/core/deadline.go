package core

import (
	"math"
	"time"
)

// valueDeadline returns the deadline of v written under k now: TTL; or
// with Options.ExpireAfter, now + ExpireAfter(k, v) (TTL for 0); or with
// Options.Expiry, Expiry(k, v) (TTL for a zero time) shortened to
// ExpiryFraction of the time left, minus Skew; either capped at MaxTTL
// from now. A deadline in the past (or a negative ExpireAfter) is returned
// as a negative number if it would otherwise read as 0 (never).
func (e *Engine[K, V]) valueDeadline(k K, v V) int64 {
	if f := e.lo.expireAfter; f != nil {
		ttl := f(k, v)
		switch {
		case ttl < 0:
			return -1
		case ttl == 0:
			ttl = e.ttl
		}
		return e.capped(e.deadline(ttl))
	}
	d := e.deadline(e.ttl)
	if e.lo.expiry == nil {
		return d
	}
	if t := e.lo.expiry(k, v); !t.IsZero() {
		d = unixNano(t)
		if f := e.lo.fraction; f != 0 && f != 1 {
			if now := e.now(); d > now {
				d = now + int64(f*float64(d-now))
			}
		}
		if d <= e.lo.skew {
			return -1
		}
		d -= e.lo.skew
	}
	return e.capped(d)
}

// capped returns deadline d capped at MaxTTL from now, if MaxTTL is set.
func (e *Engine[K, V]) capped(d int64) int64 {
	if e.lo.maxTTL > 0 {
		if c := e.deadline(e.lo.maxTTL); d == 0 || d > c {
			d = c
		}
	}
	return d
}

// unixNano is t.UnixNano saturated to the int64 range (UnixNano's result
// is undefined outside it).
func unixNano(t time.Time) int64 {
	switch s := t.Unix(); {
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return t.UnixNano()
}

// deadline returns the absolute deadline for an entry written now with ttl
// (>= 0): 0 (never) for ttl 0, saturating instead of overflowing. The clock
// never reads before the epoch (clock.Clock), so a deadline is never 0.
func (e *Engine[K, V]) deadline(ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	now := e.now()
	if now > math.MaxInt64-int64(ttl) {
		return math.MaxInt64
	}
	return now + int64(ttl)
}
