// Package fakefaults is fault injection for the vendor fakes: failures for
// the next n calls, dropped and hung connections, latency and a seeded
// failure rate, applied by a middleware in front of a fake's license API;
// Log, the record of calls every fake keeps for its tests; and Clock, the
// settable time a test gives a fake (and the adapter that talks to it) to
// move past a token's expiry without waiting for it.
//
// What differs from vendor to vendor is the fake's to say: how an injected
// failure's body reads (Config.WriteFailure) and which calls the faults
// apply to (the fake calls Inject, or wraps with Middleware, only where it
// wants them, before its own authentication check). The package knows no
// vendor and imports no adapter.
package fakefaults

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Failure is one injected failure answer.
type Failure struct {
	// Status is the failure's status code (what WriteFailure makes of it is
	// the vendor's: ArcGIS answers some with HTTP 200).
	Status int
	// RetryAfter, when not zero, is sent as Retry-After in whole seconds,
	// rounded up.
	RetryAfter time.Duration
	// Message is the error body's message where a fake lets a test choose
	// it; empty means the vendor's usual one.
	Message string
	// Form is a fake's own variant of its error answer (0 is the usual
	// one); only its WriteFailure reads it.
	Form int
}

// Config configures Faults.
type Config struct {
	// Seed seeds the random source of SetFailureRate, so that runs repeat.
	Seed int64
	// WriteFailure answers a call with an injected failure. Retry-After is
	// already set when it is called.
	WriteFailure func(w http.ResponseWriter, r *http.Request, f Failure)
	// Accumulate makes FailNext, ResetNext and HangNext add to what is
	// pending (failures queue up in order) instead of replacing it.
	Accumulate bool
	// CutAnswer is what a reset writes before it closes the connection;
	// empty means a truncated status line. It must hold at least one byte
	// of an answer: see Inject.
	CutAnswer string
}

// Faults is the fault state of one fake. Its methods are safe for
// concurrent use.
type Faults struct {
	cfg     Config
	closing chan struct{}
	close   sync.Once

	mu       sync.Mutex
	rng      *rand.Rand
	hangN    int
	resetN   int
	failures []run // in order; without Accumulate at most one
	latency  time.Duration
	rate     float64
	rateFail Failure
}

// run is a failure pending for the next n calls.
type run struct {
	Failure
	n int
}

// New returns Faults with no fault set.
func New(cfg Config) *Faults {
	f := &Faults{cfg: cfg, closing: make(chan struct{})}
	f.Recover()
	return f
}

// FailNext makes the next n calls answer fl. Without Config.Accumulate it
// replaces a failure not yet used up.
func (f *Faults) FailNext(fl Failure, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.cfg.Accumulate {
		f.failures = f.failures[:0]
	}
	if n > 0 {
		f.failures = append(f.failures, run{Failure: fl, n: n})
	}
}

// ResetNext makes the next n calls lose their connection part-way through
// the answer (Config.CutAnswer).
func (f *Faults) ResetNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resetN = f.count(f.resetN, n)
}

// HangNext makes the next n calls never answer: they are held until the
// client gives up or Close, then dropped.
func (f *Faults) HangNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangN = f.count(f.hangN, n)
}

func (f *Faults) count(pending, n int) int {
	if f.cfg.Accumulate {
		return pending + n
	}
	return n
}

// SetLatency delays every call by d.
func (f *Faults) SetLatency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// SetFailureRate makes each call answer status with probability p (0 turns
// it off), drawn from the source seeded with Config.Seed.
func (f *Faults) SetFailureRate(p float64, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate, f.rateFail = p, Failure{Status: status}
}

// Recover clears every fault and restarts the random source from its seed,
// so that what follows repeats from run to run.
func (f *Faults) Recover() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangN, f.resetN, f.failures, f.latency, f.rate = 0, 0, nil, 0, 0
	f.rng = rand.New(rand.NewPCG(uint64(f.cfg.Seed), 0x6d333635))
}

// Close releases the calls held by HangNext or SetLatency; later ones are
// not held. It is for the fake's Close, and safe to call more than once.
func (f *Faults) Close() {
	f.close.Do(func() { close(f.closing) })
}
