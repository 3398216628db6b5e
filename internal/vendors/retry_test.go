package vendors_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// fastPolicy retries in milliseconds.
func fastPolicy() vendors.RetryPolicy {
	return vendors.RetryPolicy{
		InitialInterval: time.Millisecond,
		MaxInterval:     5 * time.Millisecond,
		InProcessBudget: 30 * time.Millisecond,
		TotalBudget:     24 * time.Hour,
		MaxDeferral:     time.Hour,
	}
}

var errBusy = vendors.Errorf(vendors.ErrTransient, "allocate", 503, "busy")

// failing returns an op that fails with err every time and counts calls.
func failing(err error) (func(context.Context) error, *int) {
	n := 0
	return func(context.Context) error { n++; return err }, &n
}

func TestRetryPermanentErrorIsNotRetried(t *testing.T) {
	for _, class := range []error{vendors.ErrCapacity, vendors.ErrAuth, vendors.ErrRejected, vendors.ErrNotConfigured} {
		t.Run(class.Error(), func(t *testing.T) {
			want := vendors.Errorf(class, "allocate", 409, "no")
			op, calls := failing(want)
			attempts, err := fastPolicy().Retry(context.Background(), time.Now(), op)
			if attempts != 1 || *calls != 1 {
				t.Errorf("attempts = %d (op called %d times), want 1", attempts, *calls)
			}
			if err != want {
				t.Errorf("err = %v, want the op's error unchanged", err)
			}
		})
	}
}

func TestRetrySucceedsAfterTransientFailures(t *testing.T) {
	calls := 0
	attempts, err := fastPolicy().Retry(context.Background(), time.Now(), func(context.Context) error {
		calls++
		if calls < 3 {
			return errBusy
		}
		return nil
	})
	if err != nil || attempts != 3 {
		t.Errorf("Retry = %d, %v; want 3, nil", attempts, err)
	}
}

func TestRetryDefersPastTheInProcessBudget(t *testing.T) {
	p := fastPolicy()
	op, calls := failing(errBusy)
	start := time.Now()
	attempts, err := p.Retry(context.Background(), start, op)
	elapsed := time.Since(start)

	var d *vendors.Deferral
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a *Deferral", err)
	}
	if attempts < 2 || attempts != *calls {
		t.Errorf("attempts = %d (op called %d times), want several in-process retries", attempts, *calls)
	}
	if elapsed > p.InProcessBudget+time.Second {
		t.Errorf("Retry took %s, want about the in-process budget %s", elapsed, p.InProcessBudget)
	}
	if d.Err != errBusy || !errors.Is(err, vendors.ErrTransient) {
		t.Errorf("Deferral.Err = %v, want the last failure", d.Err)
	}
	if d.Delay <= 0 || d.Delay > p.MaxDeferral {
		t.Errorf("Deferral.Delay = %s, want in (0, %s]", d.Delay, p.MaxDeferral)
	}
}

func TestRetryDeferralGrowsWithFailingTime(t *testing.T) {
	p := fastPolicy()
	p.MaxDeferral = time.Minute
	var prev time.Duration
	for _, failingFor := range []time.Duration{0, 8 * time.Second, 40 * time.Second, 2 * time.Minute, time.Hour} {
		op, _ := failing(errBusy)
		_, err := p.Retry(context.Background(), time.Now().Add(-failingFor), op)
		var d *vendors.Deferral
		if !errors.As(err, &d) {
			t.Fatalf("failing for %s: err = %v, want a *Deferral", failingFor, err)
		}
		if d.Delay < prev {
			t.Errorf("failing for %s: delay %s, shorter than %s for a shorter failure", failingFor, d.Delay, prev)
		}
		if d.Delay > p.MaxDeferral {
			t.Errorf("failing for %s: delay %s, past MaxDeferral %s", failingFor, d.Delay, p.MaxDeferral)
		}
		prev = d.Delay
	}
	if prev != p.MaxDeferral {
		t.Errorf("delay after an hour of failures = %s, want the cap %s", prev, p.MaxDeferral)
	}
}

func TestRetryDeferralEndsWithTheTotalBudget(t *testing.T) {
	p := fastPolicy()
	p.TotalBudget = time.Hour
	// Failing for 59 minutes: a quarter of that is past the 1 minute left.
	first := time.Now().Add(-59 * time.Minute)
	op, _ := failing(errBusy)
	_, err := p.Retry(context.Background(), first, op)
	var d *vendors.Deferral
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a *Deferral", err)
	}
	if end := first.Add(p.TotalBudget); time.Now().Add(d.Delay).After(end.Add(time.Second)) {
		t.Errorf("deferred for %s, past the end of the total budget", d.Delay)
	}
}

func TestRetryExhaustedPastTheTotalBudget(t *testing.T) {
	p := fastPolicy()
	p.TotalBudget = time.Hour
	op, calls := failing(errBusy)
	attempts, err := p.Retry(context.Background(), time.Now().Add(-2*time.Hour), op)
	if !errors.Is(err, vendors.ErrRetriesExhausted) {
		t.Fatalf("err = %v, want ErrRetriesExhausted", err)
	}
	if !errors.Is(err, errBusy) || !errors.Is(err, vendors.ErrTransient) {
		t.Errorf("err = %v, want it to wrap the last failure", err)
	}
	var d *vendors.Deferral
	if errors.As(err, &d) {
		t.Errorf("err = %v is a Deferral, want a final failure", err)
	}
	if attempts != 1 || *calls != 1 {
		t.Errorf("attempts = %d, want 1: the budget was spent before this delivery", attempts)
	}
}

func TestRetryExhaustedWhenTheBudgetRunsOutInProcess(t *testing.T) {
	p := fastPolicy()
	p.TotalBudget = 20 * time.Millisecond
	p.InProcessBudget = time.Minute
	op, calls := failing(errBusy)
	attempts, err := p.Retry(context.Background(), time.Now(), op)
	if !errors.Is(err, vendors.ErrRetriesExhausted) || !errors.Is(err, errBusy) {
		t.Fatalf("err = %v, want ErrRetriesExhausted wrapping the last failure", err)
	}
	if attempts < 2 || attempts != *calls {
		t.Errorf("attempts = %d (op called %d times), want retries before the budget ran out", attempts, *calls)
	}
}

func TestRetryAfterRaisesTheWait(t *testing.T) {
	const retryAfter = 40 * time.Millisecond
	throttled := &vendors.Error{Class: vendors.ErrRateLimited, Op: "allocate", Status: 429, RetryAfter: retryAfter}
	p := fastPolicy()
	p.InProcessBudget = time.Minute
	var calls []time.Time
	attempts, err := p.Retry(context.Background(), time.Now(), func(context.Context) error {
		calls = append(calls, time.Now())
		if len(calls) == 1 {
			return throttled
		}
		return nil
	})
	if err != nil || attempts != 2 {
		t.Fatalf("Retry = %d, %v; want 2, nil", attempts, err)
	}
	if waited := calls[1].Sub(calls[0]); waited < retryAfter {
		t.Errorf("retried %s after a 429, want at least its Retry-After %s (the backoff alone is 1ms)", waited, retryAfter)
	}

	// A Retry-After past the in-process budget defers for at least as long.
	throttled.RetryAfter = 10 * time.Minute
	op, _ := failing(throttled)
	_, err = fastPolicy().Retry(context.Background(), time.Now(), op)
	var d *vendors.Deferral
	if !errors.As(err, &d) || d.Delay < throttled.RetryAfter {
		t.Errorf("err = %v, want a Deferral of at least the Retry-After %s", err, throttled.RetryAfter)
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	p := fastPolicy()
	p.InitialInterval, p.MaxInterval, p.InProcessBudget = time.Hour, time.Hour, 24*time.Hour

	t.Run("cancelled during the call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		attempts, err := p.Retry(ctx, time.Now(), func(context.Context) error {
			cancel()
			return errBusy
		})
		var d *vendors.Deferral
		if !errors.As(err, &d) || d.Delay != 0 || d.Err != errBusy || attempts != 1 {
			t.Errorf("Retry = %d, %v; want 1 and a Deferral without delay", attempts, err)
		}
	})

	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		called := make(chan struct{})
		go func() {
			<-called
			cancel()
		}()
		start := time.Now()
		attempts, err := p.Retry(ctx, time.Now(), func(context.Context) error {
			close(called)
			return errBusy
		})
		var d *vendors.Deferral
		if !errors.As(err, &d) || d.Delay != 0 || attempts != 1 {
			t.Errorf("Retry = %d, %v; want 1 and a Deferral without delay", attempts, err)
		}
		// The backoff was half an hour at least; returning at all shows
		// the wait ended with the context.
		if elapsed := time.Since(start); elapsed > time.Minute {
			t.Errorf("Retry returned %s after the cancel", elapsed)
		}
	})
}

func TestDefaultRetryPolicy(t *testing.T) {
	p := vendors.DefaultRetryPolicy()
	if p.InitialInterval <= 0 || p.MaxInterval < p.InitialInterval || p.InProcessBudget <= 0 ||
		p.TotalBudget <= p.InProcessBudget || p.MaxDeferral <= 0 {
		t.Errorf("DefaultRetryPolicy() = %+v, want positive, ordered durations", p)
	}
}
