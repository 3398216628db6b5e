package vendors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// RetryPolicy says how long transient vendor failures are retried.
//
// One delivery of a command retries in-process, with exponential backoff and
// jitter, for at most InProcessBudget; then the command is handed back to
// JetStream with a delay (Deferral) so that the handler slot is freed. Past
// TotalBudget, counted from the command's first attempt, it fails with
// retries_exhausted.
type RetryPolicy struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration
	InProcessBudget time.Duration
	TotalBudget     time.Duration
	// MaxDeferral caps the delay of a deferred command.
	MaxDeferral time.Duration
}

// DefaultRetryPolicy is the policy used when configuration says nothing.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		InitialInterval: 200 * time.Millisecond,
		MaxInterval:     10 * time.Second,
		InProcessBudget: 20 * time.Second,
		TotalBudget:     24 * time.Hour,
		MaxDeferral:     5 * time.Minute,
	}
}

// Deferral is returned by Retry when the in-process budget is spent but the
// total budget is not: the command should be tried again after Delay.
type Deferral struct {
	Delay time.Duration
	Err   error
}

func (d *Deferral) Error() string {
	return fmt.Sprintf("deferred for %s: %v", d.Delay.Round(time.Millisecond), d.Err)
}

func (d *Deferral) Unwrap() error { return d.Err }

// ErrRetriesExhausted wraps the last transient error once the total budget
// is spent.
var ErrRetriesExhausted = errors.New("retries exhausted")

// Retry calls op until it succeeds, fails permanently, or the budget runs
// out. firstAttempt is when the command was first tried (by any delivery):
// the longer a command has been failing, the longer it is deferred. It
// returns how many times op was called.
//
// On a transient error past the in-process budget Retry returns a *Deferral;
// past the total budget, an error wrapping both ErrRetriesExhausted and the
// last failure.
func (p RetryPolicy) Retry(ctx context.Context, firstAttempt time.Time, op func(context.Context) error) (int, error) {
	start := time.Now()
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = p.InitialInterval
	bo.MaxInterval = p.MaxInterval
	bo.MaxElapsedTime = 0
	bo.Reset()
	totalEnd := firstAttempt.Add(p.TotalBudget)
	attempts := 0
	for {
		attempts++
		err := op(ctx)
		if err != nil && ctx.Err() != nil {
			// Cancelled (a shutdown deadline): whatever the error says, the
			// command was not refused; hand it back.
			return attempts, &Deferral{Delay: 0, Err: err}
		}
		if err == nil || !Retryable(err) {
			return attempts, err
		}
		if errors.Is(err, ErrCircuitOpen) {
			// The vendor is not being called: waiting in a handler slot
			// helps nobody. Hand the command back until the probe.
			now := time.Now()
			if !now.Add(RetryAfterOf(err)).Before(totalEnd) {
				return attempts, fmt.Errorf("%w after %d attempts over %s: %w",
					ErrRetriesExhausted, attempts, now.Sub(firstAttempt).Round(time.Millisecond), err)
			}
			// At least until the probe; longer the longer the command has
			// been failing, so a long outage does not spend its deliveries.
			return attempts, &Deferral{Delay: p.deferral(RetryAfterOf(err), now.Sub(firstAttempt), totalEnd.Sub(now)), Err: err}
		}
		wait := bo.NextBackOff()
		if ra := RetryAfterOf(err); ra > wait {
			wait = ra
		}
		now := time.Now()
		if !now.Add(wait).Before(totalEnd) {
			return attempts, fmt.Errorf("%w after %d attempts over %s: %w",
				ErrRetriesExhausted, attempts, now.Sub(firstAttempt).Round(time.Millisecond), err)
		}
		if now.Add(wait).Sub(start) > p.InProcessBudget {
			return attempts, &Deferral{Delay: p.deferral(wait, now.Sub(firstAttempt), totalEnd.Sub(now)), Err: err}
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return attempts, &Deferral{Delay: 0, Err: err}
		}
	}
}

// deferral grows with how long the command has been failing (a quarter of
// it), never below the backoff or the wait the vendor asked for, never past
// the cap or the end of the total budget.
func (p RetryPolicy) deferral(wait, failing, left time.Duration) time.Duration {
	d := failing / 4
	if d < wait {
		d = wait
	}
	if p.MaxDeferral > 0 && d > p.MaxDeferral {
		d = p.MaxDeferral
	}
	if d > left {
		d = left
	}
	return d
}
