package lifecycle

import "github.com/seatkeeper/seatkeeper/internal/events"

// PoolEstimate is one worker's running estimate of a pool between two
// reads of it from the vendor: the last read, plus the seats this worker's
// own applied assigns gave and its releases took back since. It tells when
// a pool is worth reading at once (the estimate crossed the threshold) and
// keeps a crossing that a read comes too late to see.
//
// It is not safe for concurrent use; the zero value knows no pool yet.
type PoolEstimate struct {
	base  events.Pool // the last read
	known bool
	delta int // seats assigned since base, net of releases

	// dip is the estimate's highest delta while low since the last read
	// began; dipped says there was one.
	dip    int
	dipped bool
	// judging is the dip a read under way (or a failed one) is to judge.
	judging    int
	hasJudging bool

	// reading is set while a read is under way; lo and hi are the
	// estimate's range meanwhile, start its delta when the read began.
	reading       bool
	start, lo, hi int
}

// Known reports whether the pool has been read at least once.
func (e *PoolEstimate) Known() bool { return e.known }

// Pool returns the estimated pool.
func (e *PoolEstimate) Pool() events.Pool { return e.at(e.delta) }

func (e *PoolEstimate) at(delta int) events.Pool {
	p := e.base
	p.Assigned += delta
	p.Free = max(0, p.Free-delta)
	return p
}

// Apply records delta seats assigned (negative: released) by a command
// this worker applied. It reports whether the estimate has just crossed
// the threshold, either way: the pool is then worth reading at once. A
// pool not read yet has no estimate.
func (e *PoolEstimate) Apply(delta int, threshold float64) (crossed bool) {
	if !e.known || delta == 0 {
		return false
	}
	was := Low(e.Pool(), threshold)
	e.delta += delta
	if e.reading {
		e.lo, e.hi = min(e.lo, e.delta), max(e.hi, e.delta)
	}
	low := Low(e.Pool(), threshold)
	if low && (!e.dipped || e.delta > e.dip) {
		e.dip, e.dipped = e.delta, true
	}
	return low != was
}

// BeginRead marks the start of a read of the pool from the vendor.
func (e *PoolEstimate) BeginRead() {
	if e.dipped && (!e.hasJudging || e.dip > e.judging) {
		e.judging, e.hasJudging = e.dip, true
	}
	e.dipped = false
	e.reading, e.start, e.lo, e.hi = true, e.delta, e.delta, e.delta
}

// EndRead takes the pool as read and returns what to observe, in order.
// That is the read itself, preceded by the estimated pool at its lowest
// when the estimate went low since the previous read while the read shows
// the pool above the threshold again, provided the read agrees with the
// estimate: its assigned count is one the estimate held while the read
// was under way, so nobody else changed the pool as far as can be seen,
// and the dip was as real as the estimate. A read that disagrees (another
// replica's commands, seats changed outside seatkeeper, a new total) is
// taken alone.
//
// Then the estimate starts again from the read: where the read agrees it
// keeps its count (commands applied during the read may not be in it);
// where it does not, commands applied during the read are taken not to be
// in it.
func (e *PoolEstimate) EndRead(read events.Pool, threshold float64) []events.Pool {
	out := []events.Pool{read}
	if !e.known || !e.reading {
		e.base, e.known, e.delta, e.reading = read, true, 0, false
		e.dipped, e.hasJudging = false, false
		return out
	}
	seen := read.Assigned - e.base.Assigned
	agrees := read.Total == e.base.Total && e.lo <= seen && seen <= e.hi
	if agrees && e.hasJudging && !Low(read, threshold) {
		out = []events.Pool{e.at(e.judging), read}
	}
	delta := e.delta - e.start
	if agrees {
		delta = e.delta - seen
	}
	shift := delta - e.delta
	e.base, e.delta, e.reading, e.hasJudging = read, delta, false, false
	e.dip += shift
	return out
}
