package evictq

// WindowPercent is the share of a queue's capacity given to the admission
// window at first, and MinWindow the window's least size; the window then
// adapts (see [Window]) up to MaxWindowPercent of the capacity. GhostPercent
// is how many recently evicted keys the adaptation remembers, for the
// window and for the main queue each, as a share of the capacity (at least
// four each).
//
// A window of one entry (1% of a 100-entry shard) let a new key be judged
// before its second use; four entries keep that from happening at the
// smallest capacities. Ghosts of 2% sample only keys that a slightly larger
// window or main queue would have kept, which is the margin the adaptation
// needs to compare; 10% or more made it grow the window on loops and
// frequency-heavy disk traces, where most rejected keys do come back, but
// too late for any window to keep them.
const (
	WindowPercent    = 1
	MinWindow        = 4
	MaxWindowPercent = 80
	GhostPercent     = 2
)

// AdmitMargin is how many more uses the sketch must count for a candidate
// leaving the window than for the main queue's victim before the candidate
// takes the victim's place, in a queue of SmallCapacity to
// MarginlessCapacity entries; smaller queues use SmallMargin, larger ones no
// margin (see [Margin]).
//
// The candidate's count always includes the miss that brought it in; the
// victim's does not yet include its next use, and the victim is the node
// the hand met first unused since its last pass, which in a loop is the
// next node due. With no margin, every loop larger than the cache swapped
// the node about to be used for one just used (lirs-gli at 20% of its
// footprint: 19% hits against otter's 27%); a margin of one use, the
// miss, gives 33% there and 0.5 to 2 points more on the other LIRS traces
// (ps, cs, cpp, multi1-3, zigzag, backf), within noise elsewhere.
const AdmitMargin = 1

// MarginlessCapacity is the queue capacity from which a candidate needs
// only to be estimated more frequent than the victim (no [AdmitMargin]), as
// in TinyLFU.
//
// Measured on the hit-ratio matrix (8 shards, so queues of 1/8 of the
// cache): the margin cost the large-cache cells of the disk and
// recommendation traces 2.5 to 5 points (P3 at 69 003 entries, queues of
// 8625: 33.5% with it, 37.5% without; P2 at 53 695: 37.7 → 40.3; P6 at
// 57 356: 31.9 → 33.6; scarab-recs at 44 220: 66.9 → 67.1), where it held
// out candidates seen once more than their victims; below about 2000
// entries a queue it still gained (P3 at 17 250, queues of 2156: 10.3%
// with it, 9.7% without; P12 at 17 038: 17.5 → 16.7; every LIRS trace and
// the loop phases of TestQueueAdmission_FollowsPhases, at 1000 entries).
// 4096 keeps every measured queue of fewer than 2200 entries on the
// margin and every one above 5000 without it.
const MarginlessCapacity = 4096

// SmallCapacity is the queue capacity below which a candidate needs
// SmallMargin more uses than the victim rather than [AdmitMargin].
//
// The sketch halves its counts every sketchPeriod × capacity counted uses,
// which in a queue of 37 entries is every 555: a main queue node the hand
// last counted before a halving is down to 0 or 1, while a key seen twice
// since (a sweep that turns back: lirs-backf, lirs-zigzag) has 2 and, with
// a one-use margin, takes the place of the node due next. Measured on the
// small part of the hit-ratio matrix (5 runs of 5 seeds, medians of 25;
// the cells below 128 entries are one queue each), two uses took
// lirs-backf at 37 from 3.28% to 4.19% (LRU and OPT 4.52%) and lirs-zigzag
// at 100 from 3.85 to 4.49% (LRU 4.76%), both from failing the goal in
// every run to passing, with lirs-cs at 70, lirs-gli at 126, lirs-loop at
// 50 and lirs-scan at 100 up 0.1 to 0.8 points and lirs-cpp at 61 within
// 0.2. It stops below 128 because from there it cost lirs-multi3 at 372
// (queues of 186) 1.7 points, lirs-ps at 154 0.6 and lirs-sprite at 353
// (queues of 176) 0.4, measured with two uses everywhere; shards of a
// cache that picks its own shard count hold at least 128 entries, so only
// caches of fewer than 128 entries (and caches given more shards than
// that) use it.
const (
	SmallCapacity = 128
	SmallMargin   = 2
)

// Margin returns the admission margin of a queue of the given capacity:
// SmallMargin below SmallCapacity, AdmitMargin below MarginlessCapacity,
// 0 from it on. A candidate replaces the victim only if its estimated
// frequency exceeds the victim's by more than the margin.
func Margin(capacity int) int {
	switch {
	case capacity >= MarginlessCapacity:
		return 0
	case capacity < SmallCapacity:
		return SmallMargin
	}
	return AdmitMargin
}

// WindowStepDivisor and MaxWindowStep set how far the window moves per
// ghost that comes back (see [Window]): capacity/WindowStepDivisor entries,
// at least one and at most MaxWindowStep.
//
// With steps of one entry, a 1000-entry queue took most of a 20 000-request
// half phase to move between a loop (window 4) and a recency-heavy workload
// (window about 600): in the second half of such phases it was still 3 to
// 5 points below LRU on recency and up to 18 below an LFU on a loop; with
// eight, within 0.5 of both (TestQueueAdmission_FollowsPhases). Steps of 1/64 of the capacity without
// a bound made the window wander on large queues: Zipf(0.9) at 16384
// entries (8 queues of 2048) lost 0.7 points and the 71 069-entry replay
// of the Zipf(0.99) trace 0.8; eight entries at most kept both within 0.3
// of one-entry steps.
const (
	WindowStepDivisor = 64
	MaxWindowStep     = 8
)
