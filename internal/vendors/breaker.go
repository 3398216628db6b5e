package vendors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// ErrCircuitOpen is returned, wrapped in an *Error of class ErrTransient,
// while a vendor's circuit breaker is open: the vendor was not called. Its
// RetryAfter says when the breaker lets a probe through.
var ErrCircuitOpen = errors.New("circuit open: vendor failing, not called")

// Circuit states, as reported to an observer.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// BreakerConfig configures a Breaker.
type BreakerConfig struct {
	// Threshold is how many transient failures in a row open the circuit.
	Threshold int
	// Cooldown is how long the circuit stays open before a probe.
	Cooldown time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// CircuitObserver is told when a vendor's circuit changes state.
type CircuitObserver interface {
	ObserveCircuit(vendor, state string)
}

// Breaker is a Vendor that stops calling the vendor it wraps after a run of
// transient failures: for Cooldown every operation fails at once with
// ErrCircuitOpen, so that a vendor in an outage is not hammered and its
// commands wait in JetStream instead of in handler slots. Then one call is
// let through as a probe: success closes the circuit, failure opens it for
// another Cooldown. Rate limiting (429) does not count: the transport's
// Retry-After pause handles it. Permanent errors count as answers.
type Breaker struct {
	Vendor
	cfg BreakerConfig
	obs CircuitObserver
	now func() time.Time

	mu        sync.Mutex
	state     string
	failures  int
	openUntil time.Time
	probing   bool
}

// NewBreaker wraps v. obs may be nil.
func NewBreaker(v Vendor, cfg BreakerConfig, obs CircuitObserver) *Breaker {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Breaker{Vendor: v, cfg: cfg, obs: obs, now: cfg.Now, state: CircuitClosed}
	b.report(CircuitClosed)
	return b
}

// State returns the circuit's state.
func (b *Breaker) State() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == CircuitOpen && !b.now().Before(b.openUntil) {
		return CircuitHalfOpen
	}
	return b.state
}

// allow decides whether a call may go to the vendor; probe is set when it is
// the half-open probe.
func (b *Breaker) allow() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch {
	case b.state == CircuitClosed:
		return false, nil
	case b.state == CircuitOpen && now.Before(b.openUntil):
		return false, b.openError(b.openUntil.Sub(now))
	case b.probing:
		return false, b.openError(time.Second)
	}
	b.probing = true
	b.setState(CircuitHalfOpen)
	return true, nil
}

// Open returns what a call would be answered now without calling the
// vendor: ErrCircuitOpen, with the wait until the probe, while the circuit
// is open or its probe is in flight; nil while a call would go through
// (the circuit closed, or half open with the probe not taken). It takes no
// probe, so a caller may ask before it does any work of its own.
func (b *Breaker) Open() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch {
	case b.state == CircuitOpen && now.Before(b.openUntil):
		return b.openError(b.openUntil.Sub(now))
	case b.state != CircuitClosed && b.probing:
		return b.openError(time.Second)
	}
	return nil
}

func (b *Breaker) openError(wait time.Duration) error {
	return &Error{Class: ErrTransient, Op: b.Name(), RetryAfter: wait, Err: ErrCircuitOpen,
		Message: fmt.Sprintf("%s failed %d times in a row; next probe in %s", b.Name(), b.cfg.Threshold, wait.Round(time.Millisecond))}
}

// record counts the outcome of a call that reached the vendor.
func (b *Breaker) record(probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	if errors.Is(err, ErrNotSent) {
		// The vendor was not called: nothing is learnt of it. A probe
		// that was not sent leaves the circuit half open for the next.
		return
	}
	failed := err != nil && Retryable(err) && !errors.Is(err, ErrRateLimited) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, ErrCircuitOpen)
	if !failed {
		b.failures = 0
		b.setState(CircuitClosed)
		return
	}
	b.failures++
	if probe || b.failures >= b.cfg.Threshold {
		b.openUntil = b.now().Add(b.cfg.Cooldown)
		b.setState(CircuitOpen)
	}
}

func (b *Breaker) setState(s string) {
	if b.state != s {
		b.state = s
		b.report(s)
	}
}

func (b *Breaker) report(s string) {
	if b.obs != nil {
		b.obs.ObserveCircuit(b.Name(), s)
	}
}

func guard[T any](b *Breaker, call func() (T, error)) (T, error) {
	probe, err := b.allow()
	if err != nil {
		var zero T
		return zero, err
	}
	out, err := call()
	b.record(probe, err)
	return out, err
}

// Assign implements Vendor.
func (b *Breaker) Assign(ctx context.Context, req Request) (Outcome, error) {
	return guard(b, func() (Outcome, error) { return b.Vendor.Assign(ctx, req) })
}

// Release implements Vendor.
func (b *Breaker) Release(ctx context.Context, req Request) (Outcome, error) {
	return guard(b, func() (Outcome, error) { return b.Vendor.Release(ctx, req) })
}

// List implements Vendor.
func (b *Breaker) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	return guard(b, func() ([]events.Holding, error) { return b.Vendor.List(ctx, account, user) })
}

// Pools implements Vendor.
func (b *Breaker) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	return guard(b, func() ([]events.Pool, error) { return b.Vendor.Pools(ctx, account) })
}
